import type { Locale } from './templates.js'

const INTL_LOCALE: Record<Locale, string> = { de: 'de-DE', en: 'en-GB' }
const cache = new Map<string, Intl.DateTimeFormat>()

function formatter(locale: Locale, timeZone: string, kind: 'date' | 'time' | 'zone'): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${kind}`
  let f = cache.get(key)
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      kind === 'date'
        ? { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }
        : kind === 'time'
          ? { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
          : { timeZone, timeZoneName: 'short' }
    f = new Intl.DateTimeFormat(INTL_LOCALE[locale], options)
    cache.set(key, f)
  }
  return f
}

/** Date, time and zone abbreviation of an instant in the practice's time zone (DST-aware through Intl). */
export function when(at: Date, locale: Locale, timeZone: string): { date: string; time: string; zone: string } {
  const zone =
    formatter(locale, timeZone, 'zone')
      .formatToParts(at)
      .find(p => p.type === 'timeZoneName')?.value ?? timeZone
  return { date: formatter(locale, timeZone, 'date').format(at), time: formatter(locale, timeZone, 'time').format(at), zone }
}

/** "24 Stunden", "15 minutes", "1 Stunde": a duration in the largest whole unit. */
export function duration(ms: number, locale: Locale): string {
  const units: Array<[Intl.NumberFormatOptions['unit'], number]> = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1000]
  ]
  const [unit, size] = units.find(([, size]) => ms >= size && ms % size === 0) ?? units.find(([, size]) => ms >= size) ?? ['second', 1000]
  return new Intl.NumberFormat(INTL_LOCALE[locale], { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 0 }).format(Math.round(ms / size))
}

/** "in 24 Stunden", "in 15 minutes". */
export function inDuration(ms: number, locale: Locale): string {
  return `in ${duration(ms, locale)}`
}
