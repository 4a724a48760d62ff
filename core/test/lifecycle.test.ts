import t from 'tap'
import pg from 'pg'
import { build, provider, as, schedule, inMs, inMinutes, eventually, testDatabase } from './helpers.js'
import type { LifecycleNotice } from '../src/lifecycle/events.js'

const fast = { waitingRoomOpensBefore: 1000, purgeAfter: 1000, liveGrace: 1000, emptyRoomAfter: 1000 }

async function stateOf(req: ReturnType<typeof as>, id: string): Promise<Record<string, any>> {
  return (await req('GET', `/api/consultations/${id}`)).json()
}

t.test('nobody came: scheduled → waiting → ended (no-show) → purged, by itself', async t => {
  const { app } = await build(t, fast)
  const me = await provider(app)
  const req = as(app, me)
  const notices: LifecycleNotice[] = []
  for (const type of ['consultation.scheduled', 'invitation.created', 'consultation.waiting', 'consultation.ended', 'consultation.purged'] as const) {
    app.lifecycle.on(type, async notice => {
      notices.push(notice)
    })
  }
  const { id } = await schedule(app, me, { start: inMs(1800), end: inMs(3000) })
  t.equal((await stateOf(req, id)).state, 'scheduled')
  await eventually(async () => (await stateOf(req, id)).state === 'waiting')
  const ended = await eventually(async () => {
    const c = await stateOf(req, id)
    return c.state === 'ended' && c
  })
  t.equal(ended.noShow, true, 'marked as a no-show')
  t.ok(Date.parse(ended.endedAt) >= Date.parse(ended.end), 'ended at the scheduled end, not before')
  const purged = await eventually(async () => {
    const c = await stateOf(req, id)
    return c.state === 'purged' && c
  })
  t.same(Object.keys(purged).sort(), ['end', 'id', 'start', 'state', 'title'], 'a purged consultation keeps only title, times and state')
  await eventually(async () => notices.length >= 5)
  t.same(
    notices.map(n => n.type),
    ['consultation.scheduled', 'invitation.created', 'consultation.waiting', 'consultation.ended', 'consultation.purged'],
    'plugins hear every transition, in order'
  )
  const endedNotice = notices.find(n => n.type === 'consultation.ended')!
  t.match(endedNotice.data, { noShow: true, endReason: 'no-show', clientAdmitted: false, participantsAdmitted: 0, durationSeconds: 0 })
})

t.test('a live call is ended after the scheduled end plus SZ_LIVE_GRACE, then purged', async t => {
  const { app } = await build(t, { ...fast, waitingRoomOpensBefore: 15 * 60_000 })
  const me = await provider(app)
  const req = as(app, me)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMs(200), end: inMs(1500) })
  const joined = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Lena' } })).json()
  t.equal((await req('POST', `/api/consultations/${id}/participants/${joined.participantId}/admit`)).statusCode, 200)
  t.equal((await stateOf(req, id)).state, 'live')
  const ended = await eventually(async () => {
    const c = await stateOf(req, id)
    return c.state === 'ended' && c
  })
  t.ok(Date.parse(ended.endedAt) >= Date.parse(ended.end) + 1000, 'not before end + grace')
  t.equal(ended.noShow, false)
  await eventually(async () => (await stateOf(req, id)).state === 'purged')
})

t.test('an empty live room ends after SZ_EMPTY_ROOM_AFTER', async t => {
  const { app } = await build(t, { ...fast, waitingRoomOpensBefore: 15 * 60_000 })
  const me = await provider(app)
  const req = as(app, me)
  const ended: LifecycleNotice[] = []
  app.lifecycle.on('consultation.ended', async n => {
    ended.push(n)
  })
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(1), end: inMinutes(30) })
  const joined = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Jo' } })).json()
  await req('POST', `/api/consultations/${id}/participants/${joined.participantId}/admit`)
  await app.inject({ method: 'POST', url: '/api/participant/leave', headers: { authorization: `Bearer ${joined.credential}` } })
  await eventually(async () => (await stateOf(req, id)).state === 'ended')
  await eventually(async () => ended.length === 1)
  t.match(ended[0].data, { endReason: 'room-empty', clientAdmitted: true, participantsAdmitted: 1 })
})

t.test('cancelled → purged after SZ_PURGE_AFTER', async t => {
  const { app } = await build(t, fast)
  const me = await provider(app)
  const req = as(app, me)
  const { id } = await schedule(app, me, { start: inMinutes(60), end: inMinutes(90) })
  await req('POST', `/api/consultations/${id}/cancel`)
  await eventually(async () => (await stateOf(req, id)).state === 'purged')
})

t.test('deadlines survive a restart: due while down (reconciled at start) and due after (job kept in the database)', async t => {
  const databaseUrl = await testDatabase(t)
  const config = { ...fast, waitingRoomOpensBefore: 1000 }
  const first = await build({ teardown: () => {} }, config, databaseUrl)
  const me = await provider(first.app)
  const whileDown = await schedule(first.app, me, { start: inMs(2000), end: inMinutes(30) })
  // Far enough out that a slow restart on a busy machine still finds it not yet due.
  const afterRestart = await schedule(first.app, me, { start: inMs(12_000), end: inMinutes(30) })
  await first.app.close()
  await new Promise(resolve => setTimeout(resolve, 1800))
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  const before = await db.query('SELECT id, state FROM consultation ORDER BY start_at')
  t.same(
    before.rows.map(r => r.state),
    ['scheduled', 'scheduled'],
    'nothing ran while no instance was up'
  )

  const second = await build(t, config, databaseUrl)
  const waiting: string[] = []
  second.app.lifecycle.on('consultation.waiting', async n => {
    waiting.push(n.consultationId)
  })
  const req = as(second.app, me)
  t.equal((await stateOf(req, whileDown.id)).state, 'waiting', 'the overdue deadline ran at start-up')
  t.equal((await stateOf(req, afterRestart.id)).state, 'scheduled')
  await eventually(async () => (await stateOf(req, afterRestart.id)).state === 'waiting', 20_000)
  await eventually(async () => waiting.length === 2)
  await new Promise(resolve => setTimeout(resolve, 800))
  t.same(waiting.sort(), [whileDown.id, afterRestart.id].sort(), 'each transition applied exactly once')
  await db.end()
})

t.test('two instances on one database never apply a deadline twice', async t => {
  const databaseUrl = await testDatabase(t)
  const a = await build(t, fast, databaseUrl)
  const b = await build(t, fast, databaseUrl)
  const me = await provider(a.app)
  const waiting: string[] = []
  for (const app of [a.app, b.app])
    app.lifecycle.on('consultation.waiting', async n => {
      waiting.push(n.consultationId)
    })
  const ids = []
  for (let i = 0; i < 20; i++) ids.push((await schedule(a.app, me, { start: inMs(1500 + i * 20), end: inMinutes(30) })).id)
  await eventually(async () => waiting.length >= ids.length, 15_000)
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.equal(waiting.length, ids.length, 'one waiting event per consultation across both instances')
  t.same(new Set(waiting), new Set(ids))
})
