import type { ConsultationState } from '../modules/consultation/consultation.entity.js'
import type { LifecycleEvent } from './machine.js'

export interface DeadlineDurations {
  waitingRoomOpensBefore: number
  liveGrace: number
  emptyRoomAfter: number
  purgeAfter: number
}

export interface ConsultationTimes {
  state: ConsultationState
  startAt: Date
  endAt: Date
  endedAt?: Date | null
  cancelledAt?: Date | null
  emptySince?: Date | null
}

export interface Deadline {
  event: LifecycleEvent['type']
  at: Date
}

const plus = (date: Date, ms: number) => new Date(date.getTime() + ms)

export function waitingRoomOpensAt(c: Pick<ConsultationTimes, 'startAt'>, d: Pick<DeadlineDurations, 'waitingRoomOpensBefore'>): Date {
  return plus(c.startAt, -d.waitingRoomOpensBefore)
}

/** The next timed event of a consultation in its current state, or null when none is pending. */
export function nextDeadline(c: ConsultationTimes, d: DeadlineDurations): Deadline | null {
  switch (c.state) {
    case 'scheduled':
      return { event: 'ROOM_OPENS', at: waitingRoomOpensAt(c, d) }
    case 'waiting':
      return { event: 'SCHEDULED_END_PASSED', at: c.endAt }
    case 'live': {
      const grace: Deadline = { event: 'LIVE_GRACE_PASSED', at: plus(c.endAt, d.liveGrace) }
      if (!c.emptySince) return grace
      const empty: Deadline = { event: 'ROOM_EMPTY', at: plus(c.emptySince, d.emptyRoomAfter) }
      return empty.at < grace.at ? empty : grace
    }
    case 'ended':
      return { event: 'PURGE', at: plus(c.endedAt!, d.purgeAfter) }
    case 'cancelled':
      return { event: 'PURGE', at: plus(c.cancelledAt!, d.purgeAfter) }
    case 'purged':
      return null
  }
}
