import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
// node-ical's own TZID resolution (IANA names, Windows names such as "W. Europe Standard Time", offsets).
const tzUtil = require('node-ical/lib/tz-utils.js') as { resolveTZID(tzid: string): { iana?: string; offset?: string; offsetMinutes?: number } }

export type Zone = { iana: string } | { offsetMinutes: number }

const resolved = new Map<string, Zone | null>()

/**
 * A TZID (or X-WR-TIMEZONE) as something this module can convert with, or null (then node-ical gets the
 * event together with its VTIMEZONE and resolves it itself). Cached: a feed repeats one or two TZIDs.
 */
export function resolveZone(tzid: string): Zone | null {
  const key = tzid.replace(/^"(.*)"$/, '$1')
  if (resolved.has(key)) return resolved.get(key)!
  let zone: Zone | null = null
  // Microsoft's custom zones only make sense with their VTIMEZONE; node-ical would guess the server's zone.
  if (!/^(tzone:\/\/Microsoft\/|Customized Time Zone|\(no TZ description\))/.test(key)) {
    try {
      const info = tzUtil.resolveTZID(key)
      if (info.iana && isIana(info.iana)) zone = { iana: info.iana }
      else if (Number.isFinite(info.offsetMinutes)) zone = { offsetMinutes: info.offsetMinutes! }
    } catch {
      zone = null
    }
  }
  resolved.set(key, zone)
  return zone
}

function isIana(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name })
    return true
  } catch {
    return false
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()
const offsets = new Map<string, number>()
const BUCKET = 15 * 60_000

/** The zone's UTC offset in minutes at an instant; cached per zone and quarter hour (offsets change on those). */
function offsetAt(iana: string, utcMs: number): number {
  const bucket = Math.floor(utcMs / BUCKET)
  const key = `${iana}|${bucket}`
  const hit = offsets.get(key)
  if (hit !== undefined) return hit
  let f = formatters.get(iana)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: iana,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric'
    })
    formatters.set(iana, f)
  }
  const at = bucket * BUCKET
  const parts: Record<string, number> = {}
  for (const p of f.formatToParts(new Date(at))) if (p.type !== 'literal') parts[p.type] = Number(p.value)
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second)
  const minutes = Math.round((wall - at) / 60_000)
  if (offsets.size > 200_000) offsets.clear()
  offsets.set(key, minutes)
  return minutes
}

/**
 * A local wall time (YYYYMMDDTHHMMSS) in a zone as a UTC instant. A time that falls into the spring-forward
 * gap moves forward by the gap (as RFC 5545 §3.3.5 asks); an ambiguous autumn time takes the first one.
 */
export function wallToUtc(stamp: string, zone: Zone): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/.exec(stamp)
  if (!m) return null
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])
  if (Number.isNaN(wall) || +m[2] < 1 || +m[2] > 12 || +m[3] < 1 || +m[3] > 31 || +m[4] > 23 || +m[5] > 59 || +m[6] > 60) return null
  if ('offsetMinutes' in zone) return new Date(wall - zone.offsetMinutes * 60_000)
  const first = offsetAt(zone.iana, wall - offsetAt(zone.iana, wall) * 60_000)
  const before = offsetAt(zone.iana, wall - first * 60_000 - 3 * 3_600_000)
  // Earlier of two candidate offsets that map back to this wall time (ambiguous hour), else the first guess.
  for (const o of [Math.max(first, before), Math.min(first, before)]) {
    if (offsetAt(zone.iana, wall - o * 60_000) === o) return new Date(wall - o * 60_000)
  }
  return new Date(wall - first * 60_000)
}

export const icsUtc = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
