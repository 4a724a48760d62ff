import t from 'tap'
import { build, provider, schedule, inMinutes, realtime, eventually, testDatabase } from './helpers.js'

type App = Awaited<ReturnType<typeof build>>['app']

const join = (app: App, token: string, displayName: string, credential?: string) =>
  app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName }, headers: credential ? { authorization: `Bearer ${credential}` } : {} })
const leave = (app: App, credential: string) =>
  app.inject({ method: 'POST', url: '/api/participant/leave', headers: { authorization: `Bearer ${credential}` } })
const statusOf = async (app: App, credential: string) =>
  (await app.inject({ method: 'GET', url: '/api/participant', headers: { authorization: `Bearer ${credential}` } })).json().status

/** What the database counts for the link, and what it holds: the two must agree. */
async function seats(app: App, consultationId: string) {
  const [row] = await app.orm.em
    .fork()
    .getConnection()
    .execute<Array<{ counted: number; present: number; total: number }>>(
      `SELECT i.present_participants AS counted,
            (SELECT count(*)::int FROM participant p WHERE p.invitation_id = i.id AND p.status <> 'left') AS present,
            (SELECT count(*)::int FROM participant p WHERE p.invitation_id = i.id) AS total
       FROM invitation i WHERE i.consultation_id = ?`,
      [consultationId]
    )
  return row
}

t.test('a link lets three people in at a time; a reload keeps its seat; a seat frees when someone leaves', async t => {
  const { app } = await build(t, { joinRateLimit: 1000 })
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })

  const phone = (await join(app, token, 'Maria (phone)')).json()
  const laptop = (await join(app, token, 'Maria (laptop)')).json()
  const partner = await join(app, token, 'Partner')
  t.equal(partner.statusCode, 200, 'three people share a link')
  const fourth = await join(app, token, 'Stranger')
  t.equal(fourth.statusCode, 409, 'the fourth is refused')
  t.equal(fourth.json().code, 'SZ_JOIN_LINK_FULL')
  t.match(fourth.json().message, /3/, 'the answer says how many the link admits')
  t.same(await seats(app, id), { counted: 3, present: 3, total: 3 }, 'no participant was written for the refused entry')

  const reload = await join(app, token, 'Maria (phone)', phone.credential)
  t.equal(reload.statusCode, 200, 'a reload with its credential is let back in while the link is full')
  t.equal(reload.json().participantId, phone.participantId, 'as the same participant, not a fourth')

  t.equal((await leave(app, laptop.credential)).statusCode, 204)
  t.same(await seats(app, id), { counted: 2, present: 2, total: 3 })
  const friend = await join(app, token, 'Friend')
  t.equal(friend.statusCode, 200, 'the seat someone left is free for the next')

  const back = await join(app, token, 'Maria (laptop)', laptop.credential)
  t.equal(back.statusCode, 409, 'coming back after leaving needs a free seat too')
  t.equal(back.json().code, 'SZ_JOIN_LINK_FULL')
  t.same(await seats(app, id), { counted: 3, present: 3, total: 4 })
})

t.test('a reconnecting socket takes its seat back only while one is free', async t => {
  const { app } = await build(t, { joinRateLimit: 1000 })
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const first = (await join(app, token, 'First')).json()
  const socket = await realtime(app, { authorization: `Bearer ${first.credential}` })
  await socket.next('hello')
  socket.close()
  await eventually(async () => (await statusOf(app, first.credential)) === 'left')

  const others = []
  for (const name of ['Second', 'Third', 'Fourth']) others.push((await join(app, token, name)).json())
  const again = await realtime(app, { authorization: `Bearer ${first.credential}` })
  await again.next('hello')
  t.equal(await statusOf(app, first.credential), 'left', 'the link is full: the reconnect does not make a fourth')
  t.same(await seats(app, id), { counted: 3, present: 3, total: 4 })
  again.close()
  await again.closed

  t.equal((await leave(app, others[0].credential)).statusCode, 204)
  const third = await realtime(app, { authorization: `Bearer ${first.credential}` })
  await third.next('hello')
  await eventually(async () => (await statusOf(app, first.credential)) === 'waiting')
  t.pass('with a seat free, the reconnect is back in the waiting room')
  t.same(await seats(app, id), { counted: 3, present: 3, total: 4 })
  third.close()
})

t.test('two instances admitting through one link at the same moment let exactly three in', async t => {
  const url = await testDatabase(t)
  const { app: one } = await build(t, { joinRateLimit: 1000 }, url)
  const { app: two } = await build(t, { joinRateLimit: 1000 }, url)
  const me = await provider(one)
  const a = await schedule(one, me, { start: inMinutes(5), end: inMinutes(50) })
  const b = await schedule(one, me, { start: inMinutes(5), end: inMinutes(50) })
  // Warm both instances' memory of the links, so that the racing entries take the fast path.
  for (const app of [one, two]) {
    for (const {
      tokens: [token]
    } of [a, b]) {
      const early = await join(app, token, 'Warm-up')
      t.equal((await leave(app, early.json().credential)).statusCode, 204)
    }
  }

  for (let round = 0; round < 2; round++) {
    const requests = Array.from({ length: 40 }, (_, i) => ({ app: i % 2 ? one : two, token: (i % 4 < 2 ? a : b).tokens[0] }))
    const answers = await Promise.all(requests.map((r, i) => join(r.app, r.token, `Client ${round}.${i}`)))
    const statuses = answers.map(answer => answer.statusCode)
    t.same([...new Set(statuses)].sort(), round === 0 ? [200, 409] : [409], `round ${round}: every answer is a seat or a clear refusal`)
    for (const consultation of [a, b]) {
      t.same(await seats(one, consultation.id), { counted: 3, present: 3, total: 5 }, `round ${round}: each link holds exactly three`)
    }
    t.equal(statuses.filter(s => s === 200).length, round === 0 ? 6 : 0)
  }
})
