import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from 'ical-generator'
import { oneLine } from './templates.js'

export interface CalendarEvent {
  method: 'REQUEST' | 'CANCEL'
  uid: string
  sequence: number
  start: Date
  end: Date
  summary: string
  description: string
  url: string | null
  organizer: { name: string; email: string }
  attendee: { name?: string | null; email: string }
}

/** A parameter value (CN) must not carry quotes or line breaks. */
const param = (value: string) => oneLine(value).replace(/"/g, "'")

/**
 * An iTIP object (RFC 5546) for iMIP (RFC 6047): one VEVENT with a stable UID per consultation,
 * SEQUENCE rising with every change, times in UTC, and the join link as URL and in the description.
 */
export function calendarObject(event: CalendarEvent): string {
  const calendar = ical({
    prodId: { company: 'Sprechzimmer', product: 'Mail', language: 'DE' },
    method: event.method === 'CANCEL' ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST
  })
  calendar.createEvent({
    id: event.uid,
    sequence: event.sequence,
    stamp: new Date(),
    start: event.start,
    end: event.end,
    summary: oneLine(event.summary),
    description: event.description,
    url: event.url,
    status: event.method === 'CANCEL' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: { name: param(event.organizer.name), email: event.organizer.email },
    attendees: [
      {
        email: event.attendee.email,
        name: event.attendee.name ? param(event.attendee.name) : null,
        role: ICalAttendeeRole.REQ,
        status: ICalAttendeeStatus.NEEDSACTION,
        rsvp: false
      }
    ]
  })
  return calendar.toString()
}
