import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mjml2html from 'mjml'

/** The mails the plugin knows; each exists as `<name>.<locale>.mjml` and `<name>.<locale>.txt`. */
export const MAIL_TEMPLATES = [
  'invitation',
  'update',
  'cancel',
  'reminder',
  'account-registered',
  'verify-email',
  'registration-attempt',
  'sign-ins-slowed',
  'password-reset',
  'contact-message',
  'contact-confirmation',
  'email-changed',
  'provider-invited'
] as const
export type MailTemplate = (typeof MAIL_TEMPLATES)[number]
export const LOCALES = ['de', 'en'] as const
export type Locale = (typeof LOCALES)[number]

export type TemplateData = Record<string, string | null | undefined>
export type Render = (data: TemplateData) => string

/** Where the build put the flattened templates (mj-include already resolved). */
export const TEMPLATE_DIR = fileURLToPath(new URL('./templates/', import.meta.url))

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, c => HTML_ESCAPES[c])

/** One line of text: control characters (CR, LF, tab, NUL, line separators) become spaces. */
export const oneLine = (value: string): string => value.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ').trim()

type Node = string | { key: string } | { section: string; inverted: boolean; children: Node[] }

const TAG = /\{\{\s*([#^/]?)\s*([A-Za-z][\w-]*)\s*\}\}/g

/** Parses `{{key}}`, `{{#key}}…{{/key}}` and `{{^key}}…{{/key}}` into a tree; anything else is text. */
function parse(source: string, where: string): Node[] {
  const root: Node[] = []
  const stack: Array<{ key: string; children: Node[] }> = [{ key: '', children: root }]
  let last = 0
  for (const match of source.matchAll(TAG)) {
    const top = stack[stack.length - 1]
    if (match.index > last) top.children.push(source.slice(last, match.index))
    last = match.index + match[0].length
    const [, sigil, key] = match
    if (sigil === '#' || sigil === '^') {
      const section = { section: key, inverted: sigil === '^', children: [] as Node[] }
      top.children.push(section)
      stack.push({ key, children: section.children })
    } else if (sigil === '/') {
      if (top.key !== key) throw new Error(`${where}: {{/${key}}} closes ${top.key ? `{{#${top.key}}}` : 'nothing'}`)
      stack.pop()
    } else {
      top.children.push({ key })
    }
  }
  if (stack.length > 1) throw new Error(`${where}: {{#${stack[stack.length - 1].key}}} is not closed`)
  if (last < source.length) root.push(source.slice(last))
  return root
}

/**
 * Compiles a template once into a render function. Values are inserted as they are (escaped for
 * HTML) and never parsed again, so data that looks like a placeholder or markup stays text.
 */
export function compileTemplate(source: string, escape: (value: string) => string, where = 'template'): Render {
  const tree = parse(source, where)
  const compileNodes = (nodes: Node[]): Render => {
    const parts = nodes.map((node): Render => {
      if (typeof node === 'string') return () => node
      if ('key' in node) {
        const key = node.key
        return data => {
          const v = data[key]
          return v == null ? '' : escape(String(v))
        }
      }
      const inner = compileNodes(node.children)
      const { section, inverted } = node
      return data => (Boolean(data[section]) !== inverted ? inner(data) : '')
    })
    return data => {
      let out = ''
      for (const part of parts) out += part(data)
      return out
    }
  }
  return compileNodes(tree)
}

export interface CompiledMail {
  subject: Render
  html: Render
  text: Render
}
export interface CompiledTemplates {
  mail(name: MailTemplate, locale: Locale): CompiledMail
  calendar(locale: Locale): Render
}

/** MJML → HTML for one template whose includes the build resolved already. */
export async function mjmlToHtml(source: string, where: string): Promise<string> {
  const result = await mjml2html(source, { validationLevel: 'strict', ignoreIncludes: true, keepComments: false, minify: false, beautify: false })
  if (result.errors?.length) throw new Error(`${where}: ${result.errors.map((e: any) => e.formattedMessage ?? e.message).join('; ')}`)
  return result.html
}

/** Compiles every template of `dir` once: MJML to HTML, then each into a render function. */
export async function loadTemplates(dir = TEMPLATE_DIR): Promise<CompiledTemplates> {
  const files = new Set(readdirSync(dir))
  const read = (name: string) => {
    if (!files.has(name)) throw new Error(`mail templates: ${name} is missing in ${dir} (run the mail plugin's build)`)
    return readFileSync(join(dir, name), 'utf8')
  }
  const subjects = JSON.parse(read('subjects.json')) as Record<string, Record<string, string>>
  // Every value is one line of text; in HTML it is escaped too.
  const plain = (s: string) => oneLine(s)
  const htmlValue = (s: string) => escapeHtml(oneLine(s))
  const mails = new Map<string, CompiledMail>()
  await Promise.all(
    MAIL_TEMPLATES.flatMap(name =>
      LOCALES.map(async locale => {
        const subject = subjects[name]?.[locale]
        if (!subject) throw new Error(`mail templates: no subject for ${name} (${locale})`)
        const html = await mjmlToHtml(read(`${name}.${locale}.mjml`), `${name}.${locale}.mjml`)
        mails.set(`${name}.${locale}`, {
          subject: compileTemplate(subject, plain, `subject of ${name}.${locale}`),
          html: compileTemplate(html, htmlValue, `${name}.${locale}.mjml`),
          text: compileTemplate(read(`${name}.${locale}.txt`), plain, `${name}.${locale}.txt`)
        })
      })
    )
  )
  const calendars = new Map(LOCALES.map(locale => [locale, compileTemplate(read(`calendar.${locale}.txt`), plain, `calendar.${locale}.txt`)]))
  return {
    mail: (name, locale) => mails.get(`${name}.${locale}`) ?? mails.get(`${name}.de`)!,
    calendar: locale => calendars.get(locale) ?? calendars.get('de')!
  }
}

export const isLocale = (value: unknown): value is Locale => LOCALES.includes(value as Locale)
