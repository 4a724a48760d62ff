import { createHash } from 'node:crypto'
import type { ScheduledConsultation } from '@sprechzimmer/core'
import ical, { ICalEvent, ICalEventStatus, ICalAttendeeRole, ICalAttendeeStatus, type ICalCalendar } from 'ical-generator'

/** What one VEVENT of a feed is made of; only ids, times, the title and (opt-in) client details. */
export interface FeedEvent extends Omit<ScheduledConsultation, 'invitationId'> {
  /** The link the feed's owner opens (portal page for providers, join link for clients). */
  url: string | null
  description: string
  /** Only when the practice switched client details on. */
  attendees?: Array<{ email: string; name: string | null }>
}

/**
 * RFC 5545 §3.1 folding at 75 octets, never inside a UTF-8 sequence or a surrogate pair. Same output
 * as ical-generator's foldLines, which encodes every character on its own (most of its toString time).
 */
export function foldLines(text: string): string {
  const lines = text.split('\r\n')
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]
    if (line.length <= 74 && !/[^\x00-\x7f]/.test(line)) continue
    let out = ''
    let octets = 0
    for (let i = 0; i < line.length; i++) {
      const code = line.charCodeAt(i)
      let ch = line[i]
      let size = code < 0x80 ? 1 : code < 0x800 ? 2 : 3
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < line.length) {
        ch += line[++i]
        size = 4
      }
      octets += size
      if (octets > 74) {
        out += '\r\n '
        octets = size
      }
      out += ch
    }
    lines[n] = out
  }
  return lines.join('\r\n')
}

/** A parameter value (CN) must not carry quotes, control characters or line breaks. */
const param = (value: string) => value.replace(/[\u0000-\u001f\u007f"]/g, ' ').trim()

/** One stable UID per consultation: rescheduling updates the same calendar entry. */
export const uidOf = (consultationId: string) => `${consultationId}@sprechzimmer`

/**
 * Renders and caches folded VEVENT fragments. A fragment is keyed by consultation id + version (the
 * optimistic-lock column rises with every change of the row) + a hash of whatever else went into it
 * (variant, attendees), so a cache entry is never stale: a change makes a new key.
 * ical-generator's `toString()` of a whole calendar spends most of its time folding the full text
 * (4 s for 10,000 events); here each event is serialised and folded once, and a repeated request only
 * concatenates strings.
 */
export class FragmentCache {
  private readonly fragments = new Map<string, string>()
  private readonly calendar: ICalCalendar = ical({ prodId: { company: 'Sprechzimmer', product: 'Calendar', language: 'DE' } })
  hits = 0
  misses = 0

  constructor(private readonly maxEntries = 100_000) {}

  keyOf(event: FeedEvent, variant: string): string {
    const extra = event.attendees?.length ? createHash('sha1').update(JSON.stringify(event.attendees)).digest('base64url') : ''
    return `${variant}|${event.id}|${event.version}|${event.cancelled ? 'c' : ''}|${extra}`
  }

  fragment(event: FeedEvent, variant: string, key = this.keyOf(event, variant)): string {
    const cached = this.fragments.get(key)
    if (cached !== undefined) {
      this.hits++
      return cached
    }
    this.misses++
    const text = renderEvent(this.calendar, event)
    if (this.fragments.size >= this.maxEntries) {
      // Oldest first (a Map iterates in insertion order); a tenth at a time keeps this rare.
      let drop = Math.ceil(this.maxEntries / 10)
      for (const k of this.fragments.keys()) {
        this.fragments.delete(k)
        if (--drop === 0) break
      }
    }
    this.fragments.set(key, text)
    return text
  }

  get size(): number {
    return this.fragments.size
  }
}

/** One folded VEVENT (CRLF line ends), times in UTC. */
export function renderEvent(calendar: ICalCalendar, event: FeedEvent): string {
  const ev = new ICalEvent(
    {
      id: uidOf(event.id),
      sequence: event.version,
      stamp: event.updatedAt,
      lastModified: event.updatedAt,
      start: event.startAt,
      end: event.endAt,
      summary: event.title.replace(/[\r\n]+/g, ' '),
      description: event.description,
      url: event.url,
      status: event.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      attendees: (event.attendees ?? []).map(a => ({
        email: a.email,
        name: a.name ? param(a.name) : null,
        role: ICalAttendeeRole.REQ,
        status: ICalAttendeeStatus.NEEDSACTION,
        rsvp: false
      }))
    },
    calendar
  )
  return foldLines(ev.toString().replace(/\r\n$/, '')) + '\r\n'
}

/** The calendar around the fragments; no X-WR-TIMEZONE (every time is UTC, nothing is floating). */
export function calendarText(name: string, fragments: string[]): string {
  const head =
    foldLines(
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Sprechzimmer//Calendar//DE',
        'CALSCALE:GREGORIAN',
        `X-WR-CALNAME:${name.replace(/[\r\n\\;,]/g, ' ')}`,
        'REFRESH-INTERVAL;VALUE=DURATION:PT15M',
        'X-PUBLISHED-TTL:PT15M'
      ].join('\r\n')
    ) + '\r\n'
  return head + fragments.join('') + 'END:VCALENDAR\r\n'
}
