import t from 'tap'
import { initialTransition, transition, type SnapshotFrom } from 'xstate'
import { createTestModel, getShortestPaths } from 'xstate/graph'
import { consultationMachine, type LifecycleEvent } from '../src/lifecycle/machine.js'

type Snap = SnapshotFrom<typeof consultationMachine>
type EventType = LifecycleEvent['type']

const EVENT_TYPES: EventType[] = ['ROOM_OPENS', 'ADMIT', 'END', 'ROOM_EMPTY', 'LIVE_GRACE_PASSED', 'SCHEDULED_END_PASSED', 'RESCHEDULE', 'CANCEL', 'PURGE']
const EVENTS: LifecycleEvent[] = EVENT_TYPES.map(type => ({ type }) as LifecycleEvent)
const STATES = ['scheduled', 'waiting', 'live', 'ended', 'cancelled', 'purged'] as const

/** Which events each state accepts; everything else must leave the snapshot untouched. */
const ACCEPTS: Record<(typeof STATES)[number], EventType[]> = {
  scheduled: ['ROOM_OPENS', 'RESCHEDULE', 'SCHEDULED_END_PASSED', 'CANCEL'],
  waiting: ['ADMIT', 'RESCHEDULE', 'END', 'SCHEDULED_END_PASSED', 'CANCEL'],
  live: ['END', 'ROOM_EMPTY', 'LIVE_GRACE_PASSED'],
  ended: ['PURGE'],
  cancelled: ['PURGE'],
  purged: []
}

/** Follows a list of events with the pure API; returns the final snapshot and the actions of every step. */
function run(types: EventType[]): { snapshot: Snap; actions: string[][] } {
  const [initial, initialActions] = initialTransition(consultationMachine)
  let snapshot = initial
  const actions = [initialActions.map(a => a.type)]
  for (const type of types) {
    const [next, stepActions] = transition(consultationMachine, snapshot, { type } as LifecycleEvent)
    snapshot = next
    actions.push(stepActions.map(a => a.type))
  }
  return { snapshot, actions }
}

/** Only the named side effects (xstate may also report its own built-in actions). */
const named = (types: string[]) => types.filter(a => a === 'eraseWaitingRoomNames' || a === 'purgeCallData')

const eventsOf = (path: { steps: Array<{ event: { type: string } }> }) =>
  path.steps.map(s => s.event.type).filter(type => type !== 'xstate.init') as EventType[]

t.test('the initial state is scheduled with an empty context and no actions', async t => {
  const [snapshot, actions] = initialTransition(consultationMachine)
  t.equal(snapshot.value, 'scheduled')
  t.same(snapshot.context, { noShow: false, endReason: null })
  t.equal(snapshot.status, 'active')
  t.same(named(actions.map(a => a.type)), [])
})

t.test('shortest paths by state value: exactly the six states are reachable, at the expected distances', async t => {
  const paths = getShortestPaths(consultationMachine, {
    events: EVENTS,
    serializeState: snapshot => JSON.stringify(snapshot.value)
  })
  const byState = new Map(paths.map(p => [p.state.value as string, p]))
  t.same([...byState.keys()].sort(), [...STATES].sort(), 'the exact set of reachable states')
  t.equal(paths.length, STATES.length, 'one shortest path per state')

  const expectedLength: Record<(typeof STATES)[number], number> = { scheduled: 0, waiting: 1, ended: 1, cancelled: 1, live: 2, purged: 2 }
  for (const state of STATES) {
    const path = byState.get(state)!
    t.ok(path, `${state} is reachable`)
    t.equal(path.weight, expectedLength[state], `${state} is ${expectedLength[state]} steps away`)
    t.equal(eventsOf(path).length, expectedLength[state], `${state}: the path has ${expectedLength[state]} events`)
    const { snapshot } = run(eventsOf(path))
    t.equal(snapshot.value, state, `following ${eventsOf(path).join(' → ') || '(nothing)'} with transition() reaches ${state}`)
    // With a value-only key the graph keeps one snapshot (and context) per value, so the context is checked from the events.
    t.equal(snapshot.context.noShow, eventsOf(path).includes('SCHEDULED_END_PASSED'), `${state}: noShow only through SCHEDULED_END_PASSED`)
  }
  t.same(eventsOf(byState.get('waiting')!), ['ROOM_OPENS'])
  t.same(eventsOf(byState.get('cancelled')!), ['CANCEL'])
  t.same(eventsOf(byState.get('live')!), ['ROOM_OPENS', 'ADMIT'])
  t.same(eventsOf(byState.get('ended')!), ['SCHEDULED_END_PASSED'], 'the quickest way to ended is a no-show')
  t.equal(eventsOf(byState.get('purged')!).at(-1), 'PURGE', 'purged is always reached by PURGE')
})

t.test('shortest paths by state and context: every end reason and its purge', async t => {
  const paths = getShortestPaths(consultationMachine, { events: EVENTS })
  const describe = (s: Snap) => `${String(s.value)} ${JSON.stringify(s.context)}`
  const found = Object.fromEntries(paths.map(p => [describe(p.state), eventsOf(p)]))
  const expected: Record<string, EventType[]> = {
    'scheduled {"noShow":false,"endReason":null}': [],
    'waiting {"noShow":false,"endReason":null}': ['ROOM_OPENS'],
    'cancelled {"noShow":false,"endReason":null}': ['CANCEL'],
    'live {"noShow":false,"endReason":null}': ['ROOM_OPENS', 'ADMIT'],
    'ended {"noShow":true,"endReason":"no-show"}': ['SCHEDULED_END_PASSED'],
    'ended {"noShow":false,"endReason":"provider"}': ['ROOM_OPENS', 'END'],
    'ended {"noShow":false,"endReason":"room-empty"}': ['ROOM_OPENS', 'ADMIT', 'ROOM_EMPTY'],
    'ended {"noShow":false,"endReason":"live-grace"}': ['ROOM_OPENS', 'ADMIT', 'LIVE_GRACE_PASSED'],
    'purged {"noShow":false,"endReason":null}': ['CANCEL', 'PURGE'],
    'purged {"noShow":true,"endReason":"no-show"}': ['SCHEDULED_END_PASSED', 'PURGE'],
    'purged {"noShow":false,"endReason":"provider"}': ['ROOM_OPENS', 'END', 'PURGE'],
    'purged {"noShow":false,"endReason":"room-empty"}': ['ROOM_OPENS', 'ADMIT', 'ROOM_EMPTY', 'PURGE'],
    'purged {"noShow":false,"endReason":"live-grace"}': ['ROOM_OPENS', 'ADMIT', 'LIVE_GRACE_PASSED', 'PURGE']
  }
  t.same(found, expected, 'exactly these (state, context) pairs, each by its shortest path')
  t.same(found['purged {"noShow":false,"endReason":null}'], ['CANCEL', 'PURGE'], 'purged is reachable via cancel → purge in 2 steps')

  for (const path of paths) {
    const { snapshot } = run(eventsOf(path))
    t.equal(snapshot.value, path.state.value, `${describe(path.state)}: transition() agrees`)
    t.same(snapshot.context, path.state.context, `${describe(path.state)}: context agrees`)
    t.equal(snapshot.context.noShow, eventsOf(path).includes('SCHEDULED_END_PASSED'), `${describe(path.state)}: noShow only through SCHEDULED_END_PASSED`)
  }
})

t.test('the test model walks every shortest path and checks each state it passes', async t => {
  const model = createTestModel(consultationMachine, { events: EVENTS })
  const paths = model.getShortestPaths({ allowDuplicatePaths: true })
  const reached = new Set<string>()
  for (const path of paths) {
    // The "system under test" is the pure transition() API, driven step by step.
    let [sut] = initialTransition(consultationMachine)
    const check = (expected: string) => (state: Snap) => {
      reached.add(expected)
      if (sut.value !== expected || state.value !== expected) throw new Error(`expected ${expected}, the SUT is in ${String(sut.value)}`)
      if (JSON.stringify(sut.context) !== JSON.stringify(state.context)) throw new Error(`context differs in ${expected}`)
    }
    const step = (type: EventType) => () => {
      ;[sut] = transition(consultationMachine, sut, { type } as LifecycleEvent)
    }
    const result = await path.test({
      states: Object.fromEntries(STATES.map(s => [s, check(s)])),
      events: Object.fromEntries(EVENT_TYPES.map(e => [e, step(e)]))
    })
    const errors = [result.state.error, ...result.steps.flatMap(s => [s.state.error, s.event.error])].filter(Boolean)
    t.same(errors, [], path.description)
    t.equal(sut.value, path.state.value, `${path.description}: the SUT ends where the model does`)
  }
  t.same([...reached].sort(), [...STATES].sort(), 'the walk checked every state')
})

t.test('context: noShow and endReason', async t => {
  const cases: Array<[EventType[], string, boolean, string | null]> = [
    [['SCHEDULED_END_PASSED'], 'ended', true, 'no-show'],
    [['ROOM_OPENS', 'SCHEDULED_END_PASSED'], 'ended', true, 'no-show'],
    [['ROOM_OPENS', 'END'], 'ended', false, 'provider'],
    [['ROOM_OPENS', 'ADMIT', 'END'], 'ended', false, 'provider'],
    [['ROOM_OPENS', 'ADMIT', 'ROOM_EMPTY'], 'ended', false, 'room-empty'],
    [['ROOM_OPENS', 'ADMIT', 'LIVE_GRACE_PASSED'], 'ended', false, 'live-grace'],
    [['CANCEL'], 'cancelled', false, null],
    [['ROOM_OPENS', 'CANCEL'], 'cancelled', false, null],
    [['ROOM_OPENS', 'RESCHEDULE'], 'scheduled', false, null],
    [['RESCHEDULE'], 'scheduled', false, null],
    [['ROOM_OPENS', 'ADMIT', 'SCHEDULED_END_PASSED'], 'live', false, null]
  ]
  for (const [events, state, noShow, endReason] of cases) {
    const { snapshot } = run(events)
    const label = events.join(' → ')
    t.equal(snapshot.value, state, `${label}: ${state}`)
    t.equal(snapshot.context.noShow, noShow, `${label}: noShow ${noShow}`)
    t.equal(snapshot.context.endReason, endReason, `${label}: endReason ${endReason}`)
  }
  const purged = run(['ROOM_OPENS', 'ADMIT', 'ROOM_EMPTY', 'PURGE']).snapshot
  t.same(purged.context, { noShow: false, endReason: 'room-empty' }, 'purging keeps the end reason')
})

t.test('named actions are returned by transition()', async t => {
  const ended = run(['ROOM_OPENS', 'END'])
  t.same(named(ended.actions[1]), [], 'ROOM_OPENS has no named side effect')
  t.same(named(ended.actions[2]), ['eraseWaitingRoomNames'], 'entering ended erases waiting-room names')

  for (const events of [
    ['SCHEDULED_END_PASSED'],
    ['ROOM_OPENS', 'ADMIT', 'ROOM_EMPTY'],
    ['ROOM_OPENS', 'ADMIT', 'LIVE_GRACE_PASSED'],
    ['ROOM_OPENS', 'ADMIT', 'END']
  ] as EventType[][]) {
    const r = run(events)
    t.same(named(r.actions.at(-1)!), ['eraseWaitingRoomNames'], `${events.join(' → ')}: eraseWaitingRoomNames`)
    t.same(r.actions.slice(0, -1).flatMap(named), [], `${events.join(' → ')}: no named action before`)
  }

  const cancelled = run(['CANCEL'])
  t.same(named(cancelled.actions[1]), ['eraseWaitingRoomNames'], 'entering cancelled erases waiting-room names')

  const purged = run(['CANCEL', 'PURGE'])
  t.same(named(purged.actions[2]), ['purgeCallData'], 'entering purged purges the call data (and only that)')
  t.equal(purged.snapshot.status, 'done', 'purged is final')

  const purgedAfterEnd = run(['ROOM_OPENS', 'END', 'PURGE'])
  t.same(named(purgedAfterEnd.actions[3]), ['purgeCallData'])

  const rescheduled = run(['ROOM_OPENS', 'RESCHEDULE', 'ROOM_OPENS', 'ADMIT'])
  t.same(rescheduled.actions.flatMap(named), [], 'no named action on the way to live')
})

t.test('impossible events leave the state unchanged', async t => {
  // One snapshot per state, reached by its shortest path.
  const reach: Record<(typeof STATES)[number], EventType[]> = {
    scheduled: [],
    waiting: ['ROOM_OPENS'],
    live: ['ROOM_OPENS', 'ADMIT'],
    ended: ['ROOM_OPENS', 'END'],
    cancelled: ['CANCEL'],
    purged: ['CANCEL', 'PURGE']
  }
  for (const state of STATES) {
    const { snapshot } = run(reach[state])
    t.equal(snapshot.value, state)
    for (const type of EVENT_TYPES) {
      const possible = ACCEPTS[state].includes(type)
      t.equal(snapshot.can({ type } as LifecycleEvent), possible, `${state}: can(${type}) is ${possible}`)
      if (possible) continue
      const [next, actions] = transition(consultationMachine, snapshot, { type } as LifecycleEvent)
      t.equal(next.value, state, `${state}: ${type} does not change the state`)
      t.same(next.context, snapshot.context, `${state}: ${type} does not change the context`)
      t.same(named(actions.map(a => a.type)), [], `${state}: ${type} runs no side effect`)
    }
  }
  // The examples named in the specification, spelt out.
  t.notOk(run([]).snapshot.can({ type: 'ADMIT' }), 'ADMIT in scheduled')
  t.notOk(run(['ROOM_OPENS', 'ADMIT']).snapshot.can({ type: 'PURGE' }), 'PURGE in live')
  t.notOk(run(['ROOM_OPENS', 'ADMIT']).snapshot.can({ type: 'CANCEL' }), 'a live call cannot be cancelled')
  t.notOk(run(['ROOM_OPENS', 'ADMIT']).snapshot.can({ type: 'RESCHEDULE' }), 'a live call cannot be rescheduled')
  t.ok(run([]).snapshot.can({ type: 'RESCHEDULE' }), 'RESCHEDULE in scheduled is possible (re-entry)')
})

t.test('a persisted snapshot survives a JSON round trip and continues correctly', async t => {
  const roundTrip = (snapshot: Snap) => {
    const persisted = JSON.parse(JSON.stringify(consultationMachine.getPersistedSnapshot(snapshot)))
    return { persisted, restored: consultationMachine.resolveState({ value: persisted.value, context: persisted.context }) }
  }

  const live = roundTrip(run(['ROOM_OPENS', 'ADMIT']).snapshot)
  t.equal(live.persisted.value, 'live')
  t.same(live.persisted.context, { noShow: false, endReason: null })
  t.equal(live.restored.value, 'live')
  t.ok(live.restored.can({ type: 'ROOM_EMPTY' }))
  t.notOk(live.restored.can({ type: 'ADMIT' }))
  const [ended, endActions] = transition(consultationMachine, live.restored, { type: 'ROOM_EMPTY' })
  t.equal(ended.value, 'ended')
  t.same(ended.context, { noShow: false, endReason: 'room-empty' })
  t.same(named(endActions.map(a => a.type)), ['eraseWaitingRoomNames'])

  const noShow = roundTrip(run(['SCHEDULED_END_PASSED']).snapshot)
  t.same(noShow.restored.context, { noShow: true, endReason: 'no-show' }, 'context is restored')
  const [purged, purgeActions] = transition(consultationMachine, noShow.restored, { type: 'PURGE' })
  t.equal(purged.value, 'purged')
  t.equal(purged.status, 'done')
  t.same(purged.context, { noShow: true, endReason: 'no-show' }, 'context survives the purge after a restore')
  t.same(named(purgeActions.map(a => a.type)), ['purgeCallData'])

  const waiting = roundTrip(run(['ROOM_OPENS']).snapshot)
  const [back] = transition(consultationMachine, waiting.restored, { type: 'RESCHEDULE' })
  t.equal(back.value, 'scheduled')
  const [again] = transition(consultationMachine, back, { type: 'ROOM_OPENS' })
  t.equal(again.value, 'waiting')

  const final = roundTrip(run(['CANCEL', 'PURGE']).snapshot)
  t.equal(final.restored.value, 'purged')
  t.equal(final.restored.status, 'done', 'a restored purged snapshot is still final')
  for (const type of EVENT_TYPES) t.notOk(final.restored.can({ type } as LifecycleEvent), `restored purged: ${type} impossible`)

  // Every reachable state restores to itself.
  for (const path of getShortestPaths(consultationMachine, { events: EVENTS })) {
    const { restored } = roundTrip(run(eventsOf(path)).snapshot)
    t.equal(restored.value, path.state.value)
    t.same(restored.context, path.state.context)
  }
})
