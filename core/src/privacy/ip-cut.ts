import { isIP } from 'node:net'

/** Expands an IPv6 address (with `::` and an embedded IPv4 tail) into its eight 16-bit groups. */
function ipv6Groups(ip: string): number[] {
  let text = ip.split('%')[0]
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number)
    text = text.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const missing = tail === undefined ? 0 : 8 - left.length - right.length
  return [...left, ...Array(missing).fill('0'), ...right].map(g => parseInt(g, 16) || 0)
}

/**
 * The network part the deletion table allows to keep: an IPv4 address cut to its first two octets
 * (/16), an IPv6 address to its /32 — the same cut the access-record job applies in SQL. Anything
 * that is not an IP address becomes `unknown`, so a forged value can never reach a log.
 */
export function cutIp(raw: string | undefined | null): string {
  const ip = raw?.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : (raw ?? '')
  const family = isIP(ip.split('%')[0])
  if (family === 4) {
    const [a, b] = ip.split('.')
    return `${a}.${b}.0.0`
  }
  if (family === 6) {
    const [a, b] = ipv6Groups(ip)
    return b ? `${a.toString(16)}:${b.toString(16)}::` : `${a.toString(16)}::`
  }
  return 'unknown'
}
