import tap from 'tap'
import { fileURLToPath } from 'node:url'
import { setFinalTeardown, build, type Session } from '@sprechzimmer/core/testing'

setFinalTeardown(fn => tap.teardown(fn))

export * from '@sprechzimmer/core/testing'

export const pluginEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url))

export async function icalApp(t: Parameters<typeof build>[0], overrides: Parameters<typeof build>[1] = {}) {
  return await build(t, { plugins: [pluginEntry], ...overrides })
}

type App = Awaited<ReturnType<typeof build>>['app']

/** inject() with an iCalendar body (or any other content type). */
export function upload(app: App, session: Session, url: string, body: string, contentType = 'text/calendar; charset=utf-8') {
  return app.inject({ method: 'POST', url, payload: body, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': contentType } })
}

/** A day `days` ahead at local wall time hh:mm, as iCalendar local (YYYYMMDDTHHMMSS) and as the UTC instant in Europe/Berlin. */
export function local(days: number, hh: number, mm = 0): { ics: string; utc: Date; icsUtc: string } {
  const d = new Date(Date.now() + days * 86_400_000)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth()
  const day = d.getUTCDate()
  const pad = (n: number) => String(n).padStart(2, '0')
  const ics = `${y}${pad(m + 1)}${pad(day)}T${pad(hh)}${pad(mm)}00`
  // Berlin's offset on that day, from Intl's longOffset name (independent of the adapter's conversion).
  const name = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', timeZoneName: 'longOffset' })
    .formatToParts(new Date(Date.UTC(y, m, day, 12)))
    .find(p => p.type === 'timeZoneName')!.value
  const off = /GMT([+-])(\d{2}):(\d{2})/.exec(name)
  const minutes = off ? (off[1] === '-' ? -1 : 1) * (Number(off[2]) * 60 + Number(off[3])) : 0
  const utc = new Date(Date.UTC(y, m, day, hh, mm) - minutes * 60_000)
  return {
    ics,
    utc,
    icsUtc: utc
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}Z/, '')
  }
}

export const VTIMEZONE_BERLIN = [
  'BEGIN:VTIMEZONE',
  'TZID:W. Europe Standard Time',
  'BEGIN:STANDARD',
  'DTSTART:16010101T030000',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10',
  'END:STANDARD',
  'BEGIN:DAYLIGHT',
  'DTSTART:16010101T020000',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3',
  'END:DAYLIGHT',
  'END:VTIMEZONE'
]

export const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n'
