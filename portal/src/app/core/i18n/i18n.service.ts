import { Injectable, computed, signal } from '@angular/core'
import { ApiError } from '../api/api.service'
import { de } from './de'
import { en, type MessageKey, type Messages } from './en'

export type Locale = 'de' | 'en'
export const LOCALES: readonly Locale[] = ['de', 'en']
const dictionaries: Record<Locale, Messages> = { de, en }
export const LOCALE_STORAGE_KEY = 'sz.locale'

/** The stored choice first, then the browser's languages; German when neither says otherwise. */
export function preferredLocale(stored: string | null, browserLanguages: readonly string[]): Locale {
  if (stored === 'de' || stored === 'en') return stored
  for (const language of browserLanguages) {
    const base = language.toLowerCase().slice(0, 2)
    if (base === 'de' || base === 'en') return base
  }
  return 'de'
}

function readStored(): string | null {
  try {
    return localStorage.getItem(LOCALE_STORAGE_KEY)
  } catch {
    return null
  }
}

/** Runtime translation: both dictionaries ship in the bundle, so switching needs no reload. */
@Injectable({ providedIn: 'root' })
export class I18n {
  readonly locale = signal<Locale>(preferredLocale(readStored(), typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language])))
  /** The BCP 47 tag for Intl: the browser's own regional variant when it speaks the chosen language. */
  readonly intlLocale = computed(() => {
    const chosen = this.locale()
    const browser = typeof navigator === 'undefined' ? [] : (navigator.languages ?? [])
    return browser.find(tag => tag.toLowerCase().startsWith(chosen)) ?? (chosen === 'de' ? 'de-DE' : 'en-GB')
  })

  constructor() {
    this.apply(this.locale())
  }

  use(locale: Locale): void {
    this.locale.set(locale)
    try {
      localStorage.setItem(LOCALE_STORAGE_KEY, locale)
    } catch {
      /* private mode: the choice lasts for this page */
    }
    this.apply(locale)
  }

  t(key: MessageKey, params?: Record<string, string | number>): string {
    const text = dictionaries[this.locale()][key] ?? key
    return params ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) : text
  }

  state(state: string): string {
    const key = `state.${state}`
    return this.has(key) ? this.t(key) : state
  }

  has(key: string): key is MessageKey {
    return key in en
  }

  /** A translated sentence for any failure; never the server's raw body. */
  error(err: unknown): string {
    if (err instanceof ApiError) {
      const key = `error.${err.code}`
      if (this.has(key)) return this.t(key)
      if (err.status === 401) return this.t('error.SZ_UNAUTHORIZED')
      if (err.status === 403) return this.t('error.SZ_FORBIDDEN')
      if (err.status === 404) return this.t('error.HTTP_404')
      if (err.status === 400) return this.t('error.SZ_VALIDATION')
    }
    return this.t('error.generic')
  }

  dateTime(iso: string | Date, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' }, timeZone?: string): string {
    return new Intl.DateTimeFormat(this.intlLocale(), timeZone ? { ...options, timeZone } : options).format(typeof iso === 'string' ? new Date(iso) : iso)
  }

  time(iso: string | Date, timeZone?: string): string {
    return this.dateTime(iso, { timeStyle: 'short' }, timeZone)
  }

  /** "3 min", "1 h 5 min": how long someone has waited. */
  duration(ms: number): string {
    const minutes = Math.max(0, Math.floor(ms / 60_000))
    if (minutes < 60) return new Intl.NumberFormat(this.intlLocale(), { style: 'unit', unit: 'minute', unitDisplay: 'short' }).format(minutes)
    const hours = new Intl.NumberFormat(this.intlLocale(), { style: 'unit', unit: 'hour', unitDisplay: 'short' }).format(Math.floor(minutes / 60))
    const rest = new Intl.NumberFormat(this.intlLocale(), { style: 'unit', unit: 'minute', unitDisplay: 'short' }).format(minutes % 60)
    return `${hours} ${rest}`
  }

  private apply(locale: Locale): void {
    if (typeof document !== 'undefined') document.documentElement.lang = locale
  }
}
