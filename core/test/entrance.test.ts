import t from 'tap'
import { randomBytes } from 'node:crypto'
import { build, provider, as, schedule, inMinutes, realtime, eventually } from './helpers.js'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { LifecycleNotice } from '../src/lifecycle/events.js'
import type { Consultation } from '../src/modules/consultation/consultation.entity.js'

const join = (app: Awaited<ReturnType<typeof build>>['app'], token: string, displayName: string) =>
  app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName } })

t.test('entries that arrive together are written together, and each gets its own answer', async t => {
  const { app } = await build(t, { joinRateLimit: 1000, joinLinkParticipants: 100 })
  const me = await provider(app)
  const open = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50), emails: ['a@example.org', 'b@example.org'] })
  const cancelled = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  await as(app, me)('POST', `/api/consultations/${cancelled.id}/cancel`)
  const later = await schedule(app, me, { start: inMinutes(120), end: inMinutes(150) })
  const unknown = randomBytes(32).toString('base64url')
  const socket = await realtime(app, { cookie: me.cookie })
  await socket.next('hello')

  const requests = [
    ...Array.from({ length: 20 }, (_, i) => ({ token: open.tokens[i % 2], expect: 200, name: `Client ${i}` })),
    ...Array.from({ length: 4 }, () => ({ token: cancelled.tokens[0], expect: 410, name: 'Cancelled' })),
    ...Array.from({ length: 3 }, () => ({ token: later.tokens[0], expect: 425, name: 'Early' })),
    ...Array.from({ length: 3 }, () => ({ token: unknown, expect: 404, name: 'Stranger' }))
  ].sort(() => Math.random() - 0.5)
  const answers = await Promise.all(requests.map(r => join(app, r.token, r.name)))

  t.same(
    answers.map(a => a.statusCode),
    requests.map(r => r.expect),
    'every request gets the answer it would get alone'
  )
  const codeOf = (status: number) => [...new Set(answers.filter(a => a.statusCode === status).map(a => a.json().code))]
  t.same(codeOf(410), ['SZ_CONSULTATION_CANCELLED'])
  t.same(codeOf(425), ['SZ_WAITING_ROOM_NOT_OPEN'])
  t.same(codeOf(404), ['SZ_JOIN_LINK_INVALID'])
  const opensAt = answers.find(a => a.statusCode === 425)!.json().opensAt
  t.equal(Date.parse(opensAt), Date.parse(later.created.start) - 15 * 60_000, 'a refused early entry still says when the room opens')

  const entered = answers.filter(a => a.statusCode === 200).map(a => a.json())
  t.equal(new Set(entered.map(e => e.participantId)).size, 20, 'one participant per entry')
  for (const e of entered) {
    const status = await app.inject({ method: 'GET', url: '/api/participant', headers: { authorization: `Bearer ${e.credential}` } })
    t.equal(status.json().status, 'waiting', 'each credential works')
  }
  const list = (await as(app, me)('GET', `/api/consultations/${open.id}/participants`)).json()
  t.same(
    list.map((p: { displayName: string }) => p.displayName).sort(),
    requests
      .filter(r => r.expect === 200)
      .map(r => r.name)
      .sort()
  )

  const pushed = new Set<string>()
  while (pushed.size < 20) pushed.add((await socket.next('participant.waiting')).participant.id)
  t.same([...pushed].sort(), entered.map(e => e.participantId).sort(), 'the provider is told of every entry')

  const em = app.orm.em.fork()
  const [records] = await em.getConnection().execute("SELECT count(*)::int AS n FROM access_record WHERE kind = 'join'")
  t.equal(records.n, 20, 'one access record per entry, none for refused ones')
  const notices = await em.getConnection().execute<Array<{ id: string }>>(
    `SELECT n->'data'->>'participantId' AS id FROM pgboss.job, jsonb_array_elements(data->'notices') AS n
      WHERE name = 'lifecycle.event' AND n->>'type' = 'participant.joined'`
  )
  t.same(notices.map(n => n.id).sort(), entered.map(e => e.participantId).sort(), 'one lifecycle notice per entry')
  socket.close()
})

t.test('an entry whose waiting room is due to open but not yet opened catches the deadline up first', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(30), end: inMinutes(60) })
  t.equal((await as(app, me)('GET', `/api/consultations/${id}`)).json().state, 'scheduled')
  // The deadline job is late: the room should be open by now, but the row still says scheduled.
  await app.orm.em
    .fork()
    .getConnection()
    .execute("UPDATE consultation SET start_at = now() + interval '5 minutes', due_at = now() - interval '1 second' WHERE id = ?", [id])
  const entered = await join(app, token, 'Punctual')
  t.equal(entered.statusCode, 200)
  t.equal(entered.json().status, 'waiting')
  t.equal((await as(app, me)('GET', `/api/consultations/${id}`)).json().state, 'waiting', 'the room opened on the way in')
})

t.test("a batch's participant.joined notices reach handlers one by one; a failing handler retries the batch and loses none", async t => {
  const { app } = await build(t, { joinRateLimit: 1000, joinLinkParticipants: 100 })
  const me = await provider(app)
  const {
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const heard: LifecycleNotice[] = []
  let failed: string | undefined
  app.lifecycle.on('participant.joined', async notice => {
    if (!failed) {
      failed = notice.data.participantId as string
      throw new Error('handler down for a moment')
    }
    heard.push(notice)
  })
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => join(app, token, `Client ${i}`)))
  const ids = answers.map(a => a.json().participantId as string)
  const [jobs] = await app.orm.em
    .fork()
    .getConnection()
    .execute("SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'lifecycle.event' AND data ? 'notices'")
  t.ok(jobs.n >= 1 && jobs.n < 8, `the entries' notices share queued jobs (${jobs.n} for 8)`)

  await eventually(async () => ids.every(id => heard.some(n => n.data.participantId === id)), 30_000)
  t.ok(failed && ids.includes(failed), 'the handler failed once, and that notice came again')
  t.ok(
    heard.every(n => n.type === 'participant.joined' && typeof n.id === 'string' && n.at),
    'each handler call gets one whole notice'
  )
  t.equal(new Set(heard.map(n => n.id)).size, new Set(heard.map(n => n.data.participantId)).size, 'one notice id per participant, also when redelivered')
})

/** How many participants the consultation has, and how many join access records exist. */
async function written(app: Awaited<ReturnType<typeof build>>['app'], consultationId: string) {
  const [rows] = await app.orm.em
    .fork()
    .getConnection()
    .execute(
      "SELECT count(*)::int AS participants, (SELECT count(*)::int FROM access_record WHERE kind = 'join') AS records " +
        'FROM participant WHERE consultation_id = ?',
      [consultationId]
    )
  return rows
}

/** Runs `change` on the consultation under its row lock while a new client's batch waits for that lock inside its insert statement. */
async function whileEntering(
  app: Awaited<ReturnType<typeof build>>['app'],
  id: string,
  token: string,
  change: (em: EntityManager, c: Consultation) => Promise<void>
) {
  const admin = app.orm.em.fork().getConnection()
  let answer: ReturnType<typeof join> | undefined
  await app.orm.em.fork().transactional(async (em: EntityManager) => {
    const consultation = await app.consultationStates.lock(em, { id })
    answer = join(app, token, 'Mid-change')
    // The batch has read the link (without a lock) and waits for its share lock in the insert statement.
    await eventually(
      async () =>
        (await admin.execute("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%sz_assert%'"))[0].n === 1,
      10_000
    )
    await change(em, consultation!)
  })
  const answered = await answer!
  return { answer: answered, written: await written(app, id) }
}

t.test('an END that commits between the batch reading the link and writing the entry: the entry is refused, and nothing of it is written', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const { answer, written } = await whileEntering(app, id, token, async (em, c) => {
    await app.consultationStates.apply(em, c, { type: 'END' })
  })
  t.equal(answer.statusCode, 410, 'the entry is checked again against the ended consultation')
  t.equal(answer.json().code, 'SZ_JOIN_LINK_EXPIRED')
  t.same(written, { participants: 0, records: 0 }, 'the undone statement left no participant and no access record')
})

t.test('a change that still lets the client in (a new title) sends the batch the slow way, and the entry goes in once', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const { answer, written } = await whileEntering(app, id, token, async (em, c) => {
    c.title = 'Renamed'
    await em.flush()
  })
  t.equal(answer.statusCode, 200)
  t.equal(answer.json().status, 'waiting')
  t.same(written, { participants: 1, records: 1 }, 'one participant and one access record, from the second attempt only')
})

t.test('a link the entrance remembers is still checked: after an END the next entry is refused and nothing of it is written', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  t.equal((await join(app, token, 'First')).statusCode, 200, 'the first entry reads the link, and the entrance remembers it')
  t.equal((await as(app, me)('POST', `/api/consultations/${id}/end`)).statusCode, 200)
  const late = await join(app, token, 'Second')
  t.equal(late.statusCode, 410)
  t.equal(late.json().code, 'SZ_JOIN_LINK_EXPIRED')
  t.same(await written(app, id), { participants: 1, records: 1 }, 'only the first entry was written')
})
