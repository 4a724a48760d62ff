import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { waitingRoomOpensAt } from '../../lifecycle/deadlines.js'

/** What the rules need of a join link's consultation; the fast path reads it by SQL, the others by the ORM. */
export interface LinkedConsultation {
  state: string
  startAt: Date
  endAt: Date
  dueAt?: Date | null
}

export type LinkVerdict =
  | { kind: 'refused'; error: Error }
  /** A deadline of the consultation is due but not yet applied: catch it up under the row lock, then ask again. */
  | { kind: 'catch-up' }
  | null

/** Whether a link's consultation is over for good: cancelled (410), or ended, purged or past its end (410). */
export function linkGone(c: LinkedConsultation, now: number): Error | null {
  if (c.state === 'cancelled') return new errors.consultationCancelled()
  if (c.state === 'ended' || c.state === 'purged' || c.endAt.getTime() <= now) return new errors.joinLinkExpired()
  return null
}

/**
 * Whether a join link lets someone into the waiting room now, in the one order of checks every way in
 * uses: the batched first entry, a returning client and a reload. Seats (SZ_JOIN_LINK_PARTICIPANTS) are
 * counted by the caller, under the link's row lock.
 */
export function entryVerdict(c: LinkedConsultation, now: number, config: Pick<Config, 'waitingRoomOpensBefore'>): LinkVerdict {
  const gone = linkGone(c, now)
  if (gone) return { kind: 'refused', error: gone }
  if (c.dueAt && c.dueAt.getTime() <= now) return { kind: 'catch-up' }
  const opensAt = waitingRoomOpensAt(c, config)
  if (opensAt.getTime() > now) {
    return { kind: 'refused', error: Object.assign(new errors.waitingRoomNotOpen(opensAt.toISOString()), { details: { opensAt: opensAt.toISOString() } }) }
  }
  if (c.state !== 'waiting' && c.state !== 'live') return { kind: 'refused', error: new errors.joinLinkExpired() }
  return null
}
