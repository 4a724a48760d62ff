import t from 'tap'
import { nextDeadline, waitingRoomOpensAt, type ConsultationTimes, type DeadlineDurations } from '../src/lifecycle/deadlines.js'
import { loadConfig } from '../src/config.js'

const MIN = 60_000
const HOUR = 60 * MIN

const d: DeadlineDurations = { waitingRoomOpensBefore: 15 * MIN, liveGrace: HOUR, emptyRoomAfter: 10 * MIN, purgeAfter: 2 * HOUR }
const startAt = new Date('2030-03-01T10:00:00.000Z')
const endAt = new Date('2030-03-01T11:00:00.000Z')
const at = (iso: string) => new Date(iso)
const times = (extra: Partial<ConsultationTimes> & Pick<ConsultationTimes, 'state'>): ConsultationTimes => ({ startAt, endAt, ...extra })

t.test('waitingRoomOpensAt is the start minus the opening lead time', async t => {
  t.same(waitingRoomOpensAt({ startAt }, d), at('2030-03-01T09:45:00.000Z'))
  t.same(waitingRoomOpensAt({ startAt }, { waitingRoomOpensBefore: 0 }), startAt, 'no lead time: opens at the start')
  t.same(waitingRoomOpensAt({ startAt }, { waitingRoomOpensBefore: 500 }), at('2030-03-01T09:59:59.500Z'), 'millisecond precision')
  const before = startAt.getTime()
  waitingRoomOpensAt({ startAt }, d)
  t.equal(startAt.getTime(), before, 'the start time is not mutated')
})

t.test('waitingRoomOpensAt is the same for every state', async t => {
  for (const state of ['scheduled', 'waiting', 'live', 'ended', 'cancelled', 'purged'] as const) {
    t.same(waitingRoomOpensAt(times({ state }), d), at('2030-03-01T09:45:00.000Z'), state)
  }
})

t.test('scheduled: the room opens before the start', async t => {
  t.same(nextDeadline(times({ state: 'scheduled' }), d), { event: 'ROOM_OPENS', at: at('2030-03-01T09:45:00.000Z') })
  t.same(nextDeadline(times({ state: 'scheduled' }), { ...d, waitingRoomOpensBefore: 0 }), { event: 'ROOM_OPENS', at: startAt })
})

t.test('waiting: the scheduled end (a no-show when nobody was admitted)', async t => {
  t.same(nextDeadline(times({ state: 'waiting' }), d), { event: 'SCHEDULED_END_PASSED', at: endAt })
  t.same(
    nextDeadline(times({ state: 'waiting', emptySince: at('2030-03-01T10:05:00.000Z') }), d),
    { event: 'SCHEDULED_END_PASSED', at: endAt },
    'emptySince does not matter while waiting'
  )
})

t.test('live without emptySince: the grace period after the scheduled end', async t => {
  const grace = { event: 'LIVE_GRACE_PASSED', at: at('2030-03-01T12:00:00.000Z') }
  t.same(nextDeadline(times({ state: 'live' }), d), grace)
  t.same(nextDeadline(times({ state: 'live', emptySince: null }), d), grace, 'null is the same as absent')
  t.same(nextDeadline(times({ state: 'live', emptySince: undefined }), d), grace)
})

t.test('live with emptySince: whichever of empty room and grace is earlier wins', async t => {
  // Empty since 10:20 → ROOM_EMPTY at 10:30, well before the grace end at 12:00.
  t.same(
    nextDeadline(times({ state: 'live', emptySince: at('2030-03-01T10:20:00.000Z') }), d),
    { event: 'ROOM_EMPTY', at: at('2030-03-01T10:30:00.000Z') },
    'an empty room ends the call early'
  )
  // Empty since 11:55 → ROOM_EMPTY at 12:05, after the grace end at 12:00.
  t.same(
    nextDeadline(times({ state: 'live', emptySince: at('2030-03-01T11:55:00.000Z') }), d),
    { event: 'LIVE_GRACE_PASSED', at: at('2030-03-01T12:00:00.000Z') },
    'the grace end comes first'
  )
  // Empty since 11:49:59.999 → ROOM_EMPTY 1 ms before the grace end.
  t.same(
    nextDeadline(times({ state: 'live', emptySince: at('2030-03-01T11:49:59.999Z') }), d),
    { event: 'ROOM_EMPTY', at: at('2030-03-01T11:59:59.999Z') },
    'one millisecond earlier is earlier'
  )
  // Both at exactly 12:00: either event is due at the same instant.
  const tie = nextDeadline(times({ state: 'live', emptySince: at('2030-03-01T11:50:00.000Z') }), d)!
  t.same(tie.at, at('2030-03-01T12:00:00.000Z'), 'a tie is due at that instant')
  t.ok(['ROOM_EMPTY', 'LIVE_GRACE_PASSED'].includes(tie.event))
  // Short durations, as tests configure them.
  const short = { ...d, emptyRoomAfter: 500, liveGrace: 2000 }
  t.same(nextDeadline(times({ state: 'live', emptySince: at('2030-03-01T10:59:59.000Z') }), short), { event: 'ROOM_EMPTY', at: at('2030-03-01T10:59:59.500Z') })
  t.same(nextDeadline(times({ state: 'live', emptySince: at('2030-03-01T11:00:01.600Z') }), short), {
    event: 'LIVE_GRACE_PASSED',
    at: at('2030-03-01T11:00:02.000Z')
  })
})

t.test('ended and cancelled: the purge after the end or the cancellation', async t => {
  const endedAt = at('2030-03-01T10:40:00.000Z')
  t.same(
    nextDeadline(times({ state: 'ended', endedAt }), d),
    { event: 'PURGE', at: at('2030-03-01T12:40:00.000Z') },
    'counted from the actual end, not the scheduled one'
  )
  const cancelledAt = at('2030-02-20T08:00:00.000Z')
  t.same(nextDeadline(times({ state: 'cancelled', cancelledAt }), d), { event: 'PURGE', at: at('2030-02-20T10:00:00.000Z') }, 'counted from the cancellation')
  t.same(nextDeadline(times({ state: 'cancelled', cancelledAt, endedAt }), d)!.at, at('2030-02-20T10:00:00.000Z'), 'cancelled uses cancelledAt')
  t.same(nextDeadline(times({ state: 'ended', endedAt, cancelledAt }), d)!.at, at('2030-03-01T12:40:00.000Z'), 'ended uses endedAt')
})

t.test('purged: nothing is pending', async t => {
  t.equal(nextDeadline(times({ state: 'purged' }), d), null)
  t.equal(nextDeadline(times({ state: 'purged', endedAt: endAt, cancelledAt: endAt, emptySince: endAt }), d), null)
})

t.test('every state has a defined answer, and only purged has none', async t => {
  const all = { endedAt: endAt, cancelledAt: startAt, emptySince: startAt }
  const expected = { scheduled: 'ROOM_OPENS', waiting: 'SCHEDULED_END_PASSED', live: 'ROOM_EMPTY', ended: 'PURGE', cancelled: 'PURGE', purged: null } as const
  for (const [state, event] of Object.entries(expected)) {
    const next = nextDeadline(times({ state: state as ConsultationTimes['state'], ...all }), d)
    t.equal(next?.event ?? null, event, `${state}: ${event}`)
    if (next) t.ok(next.at instanceof Date && !Number.isNaN(next.at.getTime()), `${state}: a valid date`)
  }
})

t.test('the default durations from the configuration', async t => {
  const config = loadConfig({}, { sessionSecret: 'x'.repeat(40), dataDir: '/nonexistent-not-written' })
  t.same(nextDeadline(times({ state: 'scheduled' }), config), { event: 'ROOM_OPENS', at: at('2030-03-01T09:45:00.000Z') }, '15 minutes before the start')
  t.same(nextDeadline(times({ state: 'live' }), config), { event: 'LIVE_GRACE_PASSED', at: at('2030-03-01T12:00:00.000Z') }, '1 hour after the end')
  t.same(
    nextDeadline(times({ state: 'live', emptySince: at('2030-03-01T10:30:00.000Z') }), config),
    { event: 'ROOM_EMPTY', at: at('2030-03-01T10:40:00.000Z') },
    '10 minutes empty'
  )
  t.same(nextDeadline(times({ state: 'ended', endedAt: endAt }), config), { event: 'PURGE', at: at('2030-03-01T12:00:00.000Z') }, 'purged 1 hour after the end')
})
