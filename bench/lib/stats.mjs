/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export const round = (n, digits = 2) => (n === null || n === undefined || Number.isNaN(n) ? null : Math.round(n * 10 ** digits) / 10 ** digits)

/** Renders rows (arrays of cells) as an aligned plain-text table. */
export function table(header, rows) {
  const all = [header, ...rows].map(r => r.map(c => (c === null || c === undefined ? '–' : String(c))))
  const widths = header.map((_, i) => Math.max(...all.map(r => r[i].length)))
  const line = r => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  return [line(all[0]), widths.map(w => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n')
}
