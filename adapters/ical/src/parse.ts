import { createRequire } from 'node:module'
import { resolveZone, wallToUtc, icsUtc, type Zone } from './timezones.js'

const require = createRequire(import.meta.url)
const ical = require('node-ical') as { sync: { parseICS(text: string): Record<string, any> } }

/**
 * Why not `ical.sync.parseICS(wholeFeed)`: node-ical 0.26.1 keeps every parsed component as a key of
 * the VCALENDAR object, and for each date without `Z` and without a resolvable TZID (floating times,
 * which X-WR-TIMEZONE / TIMEZONE-ID feeds use) `findVtimezoneInStack()` runs `Object.values()` over that
 * object: O(events) per date, O(events²) per feed (2.6 s of 2.8 s self time for 4,000 events in a
 * profile). Per-event TZIDs take a Temporal-polyfill conversion per date instead (about 6× UTC).
 *
 * So this module unfolds the text itself, splits it into components, rewrites the DTSTART/DTEND/
 * RECURRENCE-ID/EXDATE of each event to UTC with a cached Intl offset table, and hands node-ical one
 * small VCALENDAR per event: linear in the feed, and a broken event is one report entry instead of a
 * failed import. Recurring events in a zone keep their (resolved IANA) TZID so that node-ical's
 * expansion follows daylight saving; zones that cannot be resolved (Microsoft "Customized Time Zone")
 * go to node-ical together with their VTIMEZONE.
 */

export interface ParseOptions {
  /** Zone for floating times when the feed names none (X-WR-TIMEZONE / TIMEZONE-ID win). */
  defaultZone: string
  /** Expansion window of recurring series. */
  from: Date
  to: Date
  /** At most this many instances per series and in total. */
  maxInstancesPerSeries: number
  maxInstances: number
  /** Wall-clock budget for the whole parse + expansion. */
  budgetMs: number
  /** At most this many VEVENTs are read. */
  maxEvents: number
}

export interface Instance {
  /** UID, plus `|` and the original start (UTC) of a recurrence instance. */
  key: string
  uid: string
  start: Date
  end: Date
  summary: string
  location: string
  description: string
  categories: string[]
  status: 'CONFIRMED' | 'TENTATIVE' | 'CANCELLED'
  attendees: Array<{ email: string; name: string | null }>
}

export interface Skipped {
  uid: string
  reason: string
}

export interface ParseResult {
  instances: Instance[]
  skipped: Skipped[]
  /** UIDs seen in the feed (also of skipped events), so that a broken event does not count as vanished. */
  seenUids: Set<string>
  /** Whether the whole feed was read (false: budget or limits hit, vanished events must not cancel). */
  complete: boolean
}

export class FeedError extends Error {
  override name = 'FeedError'
}

/** Unfolds (RFC 5545 §3.1) and splits into lines; tolerates LF-only and stray CR. */
export function unfold(text: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  return text
    .replace(/\r\n|\r/g, '\n')
    .replace(/\n[ \t]/g, '')
    .split('\n')
}

const DATE_PROPS = /^(DTSTART|DTEND|RECURRENCE-ID|EXDATE)((?:;[^:]*)?):(.*)$/i

interface Chunk {
  lines: string[]
  uid: string
  tzids: Set<string>
}

export function parseFeed(text: string, options: ParseOptions): ParseResult {
  const started = Date.now()
  const lines = unfold(text)
  const first = lines.findIndex(l => l.trim() !== '')
  if (first < 0 || lines[first].trim().toUpperCase() !== 'BEGIN:VCALENDAR') throw new FeedError('not an iCalendar file (no BEGIN:VCALENDAR)')

  // One pass: calendar properties, VTIMEZONE blocks by TZID, VEVENT chunks.
  const vtimezones = new Map<string, string[]>()
  const chunks: Chunk[] = []
  let calendarZone: string | null = null
  let depth = 0
  let current: Chunk | null = null
  let tz: { lines: string[]; id: string } | null = null
  const skipped: Skipped[] = []
  let complete = true
  for (const raw of lines) {
    const line = raw.trimEnd()
    if (line === '') continue
    const upper = line.slice(0, 16).toUpperCase()
    if (upper.startsWith('BEGIN:')) {
      depth++
      if (depth > 20) throw new FeedError('components nested too deeply')
      const name = line.slice(6).trim().toUpperCase()
      if (depth === 2 && name === 'VEVENT') {
        if (chunks.length >= options.maxEvents) {
          complete = false
          current = null
          continue
        }
        current = { lines: [], uid: '', tzids: new Set() }
      } else if (depth === 2 && name === 'VTIMEZONE') tz = { lines: [], id: '' }
    }
    if (current) {
      current.lines.push(line)
      if (upper.startsWith('UID')) {
        const m = /^UID(?:;[^:]*)?:(.*)$/i.exec(line)
        if (m) current.uid = m[1].trim()
      }
      const tzm = /;TZID=("[^"]*"|[^;:]*)/i.exec(line)
      if (tzm) current.tzids.add(tzm[1].replace(/^"(.*)"$/, '$1'))
    } else if (tz) {
      tz.lines.push(line)
      if (upper.startsWith('TZID')) {
        const m = /^TZID(?:;[^:]*)?:(.*)$/i.exec(line)
        if (m && !tz.id) tz.id = m[1].trim().replace(/^"(.*)"$/, '$1')
      }
    } else if (depth === 1) {
      const m = /^(X-WR-TIMEZONE|TIMEZONE-ID)(?:;[^:]*)?:(.*)$/i.exec(line)
      if (m && m[2].trim()) calendarZone = m[2].trim()
    }
    if (upper.startsWith('END:')) {
      const name = line.slice(4).trim().toUpperCase()
      if (depth === 2 && name === 'VEVENT' && current) {
        chunks.push(current)
        current = null
      } else if (depth === 2 && name === 'VTIMEZONE' && tz) {
        if (tz.id) vtimezones.set(tz.id, tz.lines)
        tz = null
      }
      depth--
      if (depth < 0) throw new FeedError('END without BEGIN')
    }
  }
  if (current) skipped.push({ uid: current.uid || '(no UID)', reason: 'event not terminated (END:VEVENT missing)' })

  const floatingZone = resolveZone(calendarZone ?? options.defaultZone) ?? resolveZone(options.defaultZone)
  const instances: Instance[] = []
  const seenUids = new Set<string>()
  // Every VEVENT of one UID (a series and its RECURRENCE-ID overrides) goes to node-ical together.
  const groups = new Map<string, Chunk[]>()
  for (const chunk of chunks) {
    if (!chunk.uid) {
      skipped.push({ uid: '(no UID)', reason: 'event without UID' })
      continue
    }
    seenUids.add(chunk.uid)
    const group = groups.get(chunk.uid)
    if (group) group.push(chunk)
    else groups.set(chunk.uid, [chunk])
  }
  // Batches of UIDs per node-ical call keep its per-call overhead small; the times are UTC by then, so
  // its per-date scan has nothing to look for. A batch that fails is parsed again UID by UID, so a
  // broken event costs only itself.
  const BATCH = 100
  const entries = [...groups]
  for (let i = 0; i < entries.length; i += BATCH) {
    if (Date.now() - started > options.budgetMs) {
      skipped.push({ uid: entries[i][0], reason: 'time budget exhausted; the rest of the feed was not read' })
      complete = false
      break
    }
    if (instances.length >= options.maxInstances) {
      complete = false
      skipped.push({ uid: entries[i][0], reason: 'too many events in the window' })
      break
    }
    const batch = entries.slice(i, i + BATCH)
    let parsedBatch: any[] | null
    try {
      const parsed = ical.sync.parseICS(
        chunkText(
          batch.flatMap(([, group]) => group),
          vtimezones,
          floatingZone
        )
      )
      parsedBatch = Object.values(parsed).filter((c: any) => c?.type === 'VEVENT')
      // node-ical must have read exactly these UIDs (it unescapes and trims on its own); else UID by UID.
      const uids = new Set(batch.map(([uid]) => uid))
      if (parsedBatch.length !== batch.length || !parsedBatch.every((e: any) => uids.has(String(e.uid)))) parsedBatch = null
    } catch {
      parsedBatch = null
    }
    if (parsedBatch) {
      for (const event of parsedBatch) expand(event, String(event.uid), options, started, instances, skipped)
      continue
    }
    for (const [uid, group] of batch) {
      try {
        const parsed = ical.sync.parseICS(chunkText(group, vtimezones, floatingZone))
        const events = Object.values(parsed).filter((c: any) => c?.type === 'VEVENT')
        if (events.length !== 1) throw new Error('unreadable event')
        expand(events[0], uid, options, started, instances, skipped)
      } catch (err) {
        skipped.push({ uid, reason: `unreadable event: ${String((err as Error)?.message ?? err).slice(0, 120)}` })
      }
    }
  }
  return { instances, skipped, seenUids, complete }
}

/** One VCALENDAR with one VEVENT whose times are UTC where this module can convert them. */
export function chunkText(group: Chunk[], vtimezones: Map<string, string[]>, floatingZone: Zone | null): string {
  const needVtimezone = new Set<string>()
  const out: string[] = ['BEGIN:VCALENDAR', 'VERSION:2.0']
  for (const chunk of group) {
    const recurring = chunk.lines.some(l => /^RRULE[;:]/i.test(l))
    let depth = 0
    for (const line of chunk.lines) {
      if (/^BEGIN:/i.test(line)) depth++
      else if (/^END:/i.test(line)) depth--
      const m = depth === 1 ? DATE_PROPS.exec(line) : null
      if (!m) {
        out.push(line)
        continue
      }
      const [, name, params, value] = m
      if (/VALUE=DATE(?!-)/i.test(params) || /^\d{8}$/.test(value.trim())) {
        out.push(line)
        continue
      }
      const tzm = /;TZID=("[^"]*"|[^;:]*)/i.exec(params)
      const zoneName = tzm ? tzm[1].replace(/^"(.*)"$/, '$1') : null
      const zone = zoneName ? resolveZone(zoneName) : floatingZone
      const values = value.split(',').map(v => v.trim())
      if (values.every(v => /Z$/i.test(v))) {
        out.push(line)
        continue
      }
      if (!zone) {
        if (zoneName) {
          needVtimezone.add(zoneName)
          out.push(line)
          continue
        }
        out.push(line)
        continue
      }
      const rest = params.replace(/;TZID=("[^"]*"|[^;:]*)/i, '')
      if (recurring && 'iana' in zone) {
        // Keep wall-clock semantics for the series (DST); node-ical resolves an IANA name directly.
        out.push(`${name}${rest};TZID=${zone.iana}:${values.join(',')}`)
        continue
      }
      const converted = values.map(v => {
        const d = wallToUtc(v, zone)
        if (!d) throw new Error(`invalid date-time "${v.slice(0, 40)}" in ${name}`)
        return icsUtc(d)
      })
      out.push(`${name}${rest}:${converted.join(',')}`)
    }
  }
  const head = out.slice(0, 2)
  for (const id of needVtimezone) {
    const block = vtimezones.get(id)
    if (block) head.push(...block)
  }
  return [...head, ...out.slice(2), 'END:VCALENDAR'].join('\r\n')
}

const text = (v: unknown): string => {
  if (v == null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'object' && 'val' in (v as any)) return String((v as any).val ?? '')
  // node-ical gives strings, numbers, dates or { val } objects; anything else is stringified as it always was.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(v)
}

function attendeesOf(event: any): Array<{ email: string; name: string | null }> {
  const list = event.attendee === undefined ? [] : Array.isArray(event.attendee) ? event.attendee : [event.attendee]
  const result: Array<{ email: string; name: string | null }> = []
  for (const a of list) {
    const value = text(a)
    const m = /^mailto:(.+)$/i.exec(value.trim())
    if (!m) continue
    const email = m[1].trim().toLowerCase()
    if (!/^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{2,}$/.test(email) || email.length > 254) continue
    const cn = typeof a === 'object' ? a.params?.CN : undefined
    result.push({
      email,
      name: cn
        ? String(cn)
            .replace(/^"(.*)"$/, '$1')
            .slice(0, 200)
        : null
    })
  }
  return result
}

function statusOf(v: unknown): Instance['status'] {
  const s = text(v).toUpperCase()
  return s === 'CANCELLED' ? 'CANCELLED' : s === 'TENTATIVE' ? 'TENTATIVE' : 'CONFIRMED'
}

function instanceOf(event: any, uid: string, key: string, start: Date, end: Date): Instance {
  const categories = event.categories === undefined ? [] : (Array.isArray(event.categories) ? event.categories : [event.categories]).map(text)
  return {
    key,
    uid,
    start,
    end,
    summary: text(event.summary).slice(0, 500),
    location: text(event.location).slice(0, 500),
    description: text(event.description).slice(0, 2000),
    categories,
    status: statusOf(event.status),
    attendees: attendeesOf(event)
  }
}

const valid = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime())

/** `uid` is the UID this module grouped the event by (what sync keys and reports by), not node-ical's reading of it. */
function expand(event: any, uid: string, options: ParseOptions, started: number, out: Instance[], skipped: Skipped[]): void {
  if (event.datetype === 'date' || event.start?.dateOnly) {
    skipped.push({ uid, reason: 'all-day event' })
    return
  }
  if (!valid(event.start)) {
    skipped.push({ uid, reason: 'invalid or missing DTSTART' })
    return
  }
  const end = valid(event.end) ? event.end : event.start
  const duration = end.getTime() - event.start.getTime()
  if (duration < 0) {
    skipped.push({ uid, reason: 'DTEND before DTSTART' })
    return
  }

  if (!event.rrule) {
    // A lone RECURRENCE-ID (an override of a series we do not have) is keyed like an instance.
    const key = valid(event.recurrenceid) ? `${uid}|${event.recurrenceid.toISOString()}` : uid
    out.push(instanceOf(event, uid, key, event.start, end))
    return
  }

  // A rule that repeats every second or minute is no consultation series but an RRULE bomb (node-ical
  // #542): refused whole, so that it cannot fill a practice's calendar with its first N instances.
  const freq = frequencyOf(event.rrule)
  if (freq === 'SECONDLY' || freq === 'MINUTELY') {
    skipped.push({ uid, reason: TOO_FREQUENT })
    return
  }

  // Series: instances in the window, bounded by count and time inside this one expansion (see occurrences()).
  const overrides: Record<string, any> = event.recurrences ?? {}
  const exdates: Record<string, any> = event.exdate ?? {}
  // The count budget bounds everything of this UID that becomes a consultation, overrides included.
  const limit = Math.max(0, Math.min(options.maxInstancesPerSeries, options.maxInstances - out.length))
  const expansion = occurrences(event.rrule, new Date(options.from.getTime() - duration), options.to, limit, started + options.budgetMs)
  if (expansion.error) {
    skipped.push({ uid, reason: `recurrence rule not expanded: ${expansion.error.slice(0, 100)}` })
    return
  }
  const dates = expansion.dates
  let trimmed = expansion.trimmed
  let taken = 0
  const seen = new Set<string>()
  for (const date of dates) {
    const iso = date.toISOString()
    if (exdates[iso]) continue
    const override = overrides[iso]
    const key = `${uid}|${iso}`
    seen.add(iso)
    if (override) {
      if (!valid(override.start)) {
        skipped.push({ uid, reason: `override ${iso} without a valid DTSTART` })
        continue
      }
      out.push(instanceOf(override, uid, key, override.start, valid(override.end) ? override.end : new Date(override.start.getTime() + duration)))
    } else {
      out.push(instanceOf(event, uid, key, date, new Date(date.getTime() + duration)))
    }
    taken++
  }
  // Overrides moved into the window from an original date outside it, or whose original is not generated.
  for (const [k, override] of Object.entries(overrides)) {
    if (!/T/.test(k) || seen.has(k) || !valid(override?.start)) continue
    if (override.start > options.to || (valid(override.end) ? override.end : override.start) < options.from) continue
    if (taken >= limit) {
      trimmed ??= 'count'
      break
    }
    out.push(instanceOf(override, uid, `${uid}|${k}`, override.start, valid(override.end) ? override.end : new Date(override.start.getTime() + duration)))
    taken++
  }
  if (trimmed) {
    skipped.push({
      uid,
      reason:
        'recurrence trimmed: ' +
        (trimmed === 'count' ? `only the first ${taken} instances in the window are imported (count budget)` : `time budget exhausted after ${taken} instances`)
    })
  }
}

export const TOO_FREQUENT = 'recurrence too frequent (SECONDLY/MINUTELY is not a consultation series)'

/** FREQ of a node-ical rule, upper case, or '' (rrule-temporal keeps it as a string; rrule.js as a number). */
function frequencyOf(rule: any): string {
  let freq: unknown
  try {
    freq = rule?.options?.freq
  } catch {
    freq = undefined
  }
  if (typeof freq === 'number') return ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'][freq] ?? ''
  if (typeof freq === 'string') return freq.toUpperCase()
  try {
    return /FREQ=([A-Z]+)/i.exec(String(rule?.toString?.() ?? ''))?.[1]?.toUpperCase() ?? ''
  } catch {
    return ''
  }
}

const UNIT_MS: Record<string, number> = {
  YEARLY: 366 * 86_400_000,
  MONTHLY: 31 * 86_400_000,
  WEEKLY: 7 * 86_400_000,
  DAILY: 86_400_000,
  HOURLY: 3_600_000,
  MINUTELY: 60_000,
  SECONDLY: 1000
}
const MIN_SLICE_MS = 1000
const MAX_STEPS_PER_CALL = 256
const MAX_ITERATIONS = 1500

export interface Expansion {
  dates: Date[]
  trimmed: 'count' | 'time' | null
  error?: string
}

/**
 * The instances of a rule between from and to, at most `limit`, stopping at `deadline` (epoch ms).
 * Why slices: rrule-temporal's between() generates every occurrence of the window before it filters, and
 * throws past 10,000 iterations, so a FREQ=SECONDLY rule without COUNT (an RRULE bomb, node-ical #542)
 * over a 90-day window would be refused whole. Asking for consecutive slices sized to the rule's
 * frequency keeps each call small, and lets the count and time budgets be checked between calls inside
 * one expansion: a bomb is trimmed to its first `limit` instances instead. A slice that still hits the
 * iteration cap is cut to a quarter and asked again, down to one second.
 */
export function occurrences(
  rule: { between(a: Date, b: Date, inc: boolean): Date[]; options?: any },
  from: Date,
  to: Date,
  limit: number,
  deadline: number
): Expansion {
  const dates: Date[] = []
  if (limit <= 0 || to < from) return { dates, trimmed: limit <= 0 ? 'count' : null }
  // rrule-temporal copies its options into the rule that between() builds, maxIterations included (default
  // 10,000). A rule with COUNT iterates from DTSTART, and one iteration of a rule with several BY* parts costs
  // up to a millisecond: 10,000 made one call take ten seconds. 1,500 still covers four years of a daily
  // COUNT series before the window. (node-ical 0.26.1 keeps the rule as `_rrule`; without it, the default.)
  const inner = (rule as any)._rrule?.opts
  if (inner && typeof inner === 'object' && !(Number(inner.maxIterations) <= MAX_ITERATIONS)) inner.maxIterations = MAX_ITERATIONS
  let opts: any
  try {
    opts = rule.options ?? {}
  } catch {
    opts = {}
  }
  const unit = UNIT_MS[String(opts.freq ?? '').toUpperCase()] ?? 86_400_000
  const hasCount = opts.count != null
  const interval = Number.isFinite(Number(opts.interval)) && Number(opts.interval) >= 1 ? Number(opts.interval) : 1
  const span = to.getTime() - from.getTime()
  // One call iterates about (slice / (unit × interval)) times, and rrule-temporal's polyfilled iteration with
  // BY* filters costs up to a millisecond: the cap keeps a single call short, so the deadline is seen in time.
  const maxStep = Math.max(60_000, unit * interval * MAX_STEPS_PER_CALL)
  let step = Math.min(span, maxStep, Math.max(60_000, unit * interval * Math.min(limit, 64)))
  let cursor = from.getTime()
  let last = -Infinity
  while (cursor <= to.getTime()) {
    if (Date.now() > deadline) return { dates, trimmed: 'time' }
    const end = Math.min(to.getTime(), cursor + step)
    let found: Date[]
    try {
      found = rule.between(new Date(cursor), new Date(end), true)
    } catch (err) {
      const message = String((err as Error)?.message ?? err)
      // Smaller slices help a rule without COUNT (between() starts it at the slice); one with COUNT iterates
      // from DTSTART whatever the slice, so asking again would only cost the same again.
      if (/Maximum iterations/i.test(message) && step > MIN_SLICE_MS && !hasCount) {
        step = Math.max(MIN_SLICE_MS, Math.floor(step / 4))
        continue
      }
      if (dates.length > 0) return { dates, trimmed: 'count' }
      return { dates, trimmed: null, error: message }
    }
    for (let i = 0; i < found.length; i++) {
      const ms = found[i].getTime()
      if (!(ms > last) || ms < cursor || ms > end) continue
      dates.push(found[i])
      last = ms
      if (dates.length >= limit) return { dates, trimmed: i < found.length - 1 || end < to.getTime() ? 'count' : null }
    }
    cursor = end + 1
    // Sparse slices grow (a weekly rule asked in 64-week slices), dense ones stay.
    if (found.length < limit / 4) step = Math.min(span, maxStep, step * 4)
  }
  return { dates, trimmed: null }
}
