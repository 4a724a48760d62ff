import { settingsReader } from '@sprechzimmer/core'

export type Locale = 'de' | 'en'

/** The contact plugin's settings, read from the environment at start-up. */
export interface ContactSettings {
  /**
   * Where contact messages go (CONTACT_TO, one address). null when unset: the plugin still starts,
   * so that `npm start` works out of the box, but POST /api/contact answers 503 SZ_CONTACT_NOT_CONFIGURED.
   */
  to: string | null
  /** Language of the mail to the operator (CONTACT_LOCALE, `de` or `en`, default `de`). */
  locale: Locale
  /** Messages per IP and hour (SZ_CONTACT_RATE_LIMIT, default 5). */
  rateLimit: number
}

/** One plain address, nothing a header could be built from: no name part, list, comment or line break. */
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

export function contactSettings(env: NodeJS.ProcessEnv = process.env): ContactSettings {
  const read = settingsReader(env)
  const to = read.string('CONTACT_TO') ?? null
  if (to !== null && (to.length > 254 || !ADDRESS.test(to))) throw read.invalid('CONTACT_TO', 'is not one e-mail address (write it as operator@example.org)')
  const locale = read.choice('CONTACT_LOCALE', 'de', ['de', 'en'])
  const rateLimit = read.integer('SZ_CONTACT_RATE_LIMIT', 5, { min: 1, max: 10_000 })
  return { to, locale, rateLimit }
}

/**
 * The sender's language from Accept-Language: the first of de and en by preference (q), else German.
 * `en-GB,en;q=0.9,de;q=0.8` is English, `fr,de;q=0.5` is German.
 */
export function localeFrom(header: string | undefined): Locale {
  const ranked = (header ?? '')
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';')
      const q = params.map(p => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)).find(Boolean)
      return { lang: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q[1]) : 1, index }
    })
    .filter(e => (e.lang === 'de' || e.lang === 'en') && e.q > 0)
  ranked.sort((a, b) => b.q - a.q || a.index - b.index)
  return (ranked[0]?.lang as Locale | undefined) ?? 'de'
}
