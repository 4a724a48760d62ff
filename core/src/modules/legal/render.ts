import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Config } from '../../config.js'
import type { DeclaredDeletion } from '../../plugins/contract.js'
import { deletionTable, formatDuration, type Locale } from '../../privacy/deletion-table.js'

/** templates/legal at the repository root, from core/src/modules/legal and core/dist/modules/legal alike. */
export const LEGAL_TEMPLATE_DIR = fileURLToPath(new URL('../../../../templates/legal/', import.meta.url))
export const LEGAL_PAGES = ['privacy', 'terms'] as const
export type LegalPage = (typeof LEGAL_PAGES)[number]

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, c => HTML_ESCAPES[c])

/**
 * `{{name}}` is replaced by the escaped value, `{{{name}}}` by HTML this module generated (its parts
 * escaped already). An unknown placeholder is an error at start-up, not a blank on the page.
 */
export function fill(template: string, values: Record<string, string>, html: Record<string, string>): string {
  return template.replace(/\{\{\{(\w+)\}\}\}|\{\{(\w+)\}\}/g, (_, raw: string | undefined, plain: string | undefined) => {
    if (raw !== undefined) {
      if (!(raw in html)) throw new Error(`legal template: unknown placeholder {{{${raw}}}}`)
      return html[raw]
    }
    if (!(plain! in values)) throw new Error(`legal template: unknown placeholder {{${plain}}}`)
    return escapeHtml(values[plain!])
  })
}

const NOT_CONFIGURED: Record<Locale, string> = { de: '(nicht konfiguriert)', en: '(not configured)' }

/** The operator's values and the generated parts every legal page may use. */
function placeholders(config: Config, locale: Locale, declared: readonly DeclaredDeletion[]) {
  const unset = NOT_CONFIGURED[locale]
  const rows = deletionTable(config, locale, declared)
  const table = [
    '<table>',
    locale === 'de' ? '<thead><tr><th>Daten</th><th>gespeichert bis</th></tr></thead>' : '<thead><tr><th>Data</th><th>kept until</th></tr></thead>',
    '<tbody>',
    ...rows.map(r => `<tr data-category="${r.category}"><td>${escapeHtml(r.data)}</td><td>${escapeHtml(r.keptUntil)}</td></tr>`),
    '</tbody></table>'
  ].join('\n')
  const processors = config.operatorProcessors.length
    ? `<ul>${config.operatorProcessors.map(p => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`
    : `<p>${escapeHtml(unset)}</p>`
  const address = (config.operatorAddress ?? unset)
    .split(/\s*(?:\\n|\n|;)\s*/)
    .map(escapeHtml)
    .join('<br>')
  const email = config.operatorEmail
    ? `<a href="mailto:${escapeHtml(encodeURI(config.operatorEmail))}">${escapeHtml(config.operatorEmail)}</a>`
    : escapeHtml(unset)
  return {
    values: {
      lang: locale,
      operatorName: config.operatorName ?? unset,
      purgeAfter: formatDuration(config.purgeAfter, locale),
      ipAnonymizeAfter: formatDuration(config.ipAnonymizeAfter, locale),
      sessionTtl: formatDuration(config.sessionTtl, locale),
      auditKeep: formatDuration(config.auditKeep, locale),
      publicUrl: config.publicUrl
    },
    html: { deletionTable: table, processors, operatorAddress: address, operatorEmail: email }
  }
}

/** Loads every legal template once and renders pages from the configuration. */
export function legalPages(config: Config, declared: () => readonly DeclaredDeletion[] = () => []): (page: LegalPage, locale: Locale) => string {
  const templates = new Map<string, string>()
  for (const page of LEGAL_PAGES) {
    for (const locale of ['de', 'en'] as const) templates.set(`${page}.${locale}`, readFileSync(`${LEGAL_TEMPLATE_DIR}${page}.${locale}.html`, 'utf8'))
  }
  // Rendered at the first request, when every plugin has declared its data; the configuration does
  // not change while the server runs, so each page is rendered once.
  const pages = new Map<string, string>()
  return (page, locale) => {
    const key = `${page}.${locale}`
    if (!pages.has(key)) {
      const { values, html } = placeholders(config, locale, declared())
      pages.set(key, fill(templates.get(key)!, values, html))
    }
    return pages.get(key)!
  }
}
