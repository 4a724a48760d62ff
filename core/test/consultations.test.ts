import t from 'tap'
import { build, provider, as, schedule, inMinutes } from './helpers.js'

t.test('a provider schedules with several clients, lists by range, reschedules and cancels', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const req = as(app, me)
  const res = await req('POST', '/api/consultations', {
    title: 'Erstgespräch',
    start: inMinutes(60),
    end: inMinutes(110),
    participants: [{ email: 'Client.One@example.org', name: 'Client One', locale: 'en' }, { email: 'two@example.org' }]
  })
  t.equal(res.statusCode, 201)
  const created = res.json()
  t.equal(created.state, 'scheduled')
  t.equal(created.invitations.length, 2)
  t.equal(created.invitations[0].email, 'client.one@example.org')
  for (const inv of created.invitations) t.match(inv.joinUrl, /^http:\/\/localhost:3000\/join\/[A-Za-z0-9_-]{43}$/, '256-bit token in the link')
  t.not(created.invitations[0].joinUrl, created.invitations[1].joinUrl)

  const tomorrow = await req('POST', '/api/consultations', { title: 'Folgetermin', start: inMinutes(24 * 60), end: inMinutes(24 * 60 + 30), participants: [] })
  t.equal(tomorrow.statusCode, 201)
  const today = await req('GET', `/api/consultations?from=${encodeURIComponent(inMinutes(0))}&to=${encodeURIComponent(inMinutes(12 * 60))}`)
  t.equal(today.statusCode, 200)
  t.same(
    today.json().map((c: { id: string }) => c.id),
    [created.id],
    'only what overlaps the range'
  )
  t.equal((await req('GET', '/api/consultations')).json().length, 2)

  const one = await req('GET', `/api/consultations/${created.id}`)
  t.equal(one.json().invitations.length, 2)
  t.same(
    one.json().invitations.map((i: { joinUrl: string }) => i.joinUrl),
    created.invitations.map((i: { joinUrl: string }) => i.joinUrl),
    'the provider can copy a join link again (derived, not stored)'
  )

  const moved = await req('PATCH', `/api/consultations/${created.id}`, { start: inMinutes(120), end: inMinutes(150), title: 'Verschoben' })
  t.equal(moved.statusCode, 200)
  t.equal(moved.json().title, 'Verschoben')
  t.equal(moved.json().state, 'scheduled')
  t.equal(Date.parse(moved.json().start), Date.parse(moved.json().waitingRoomOpensAt) + 15 * 60_000)

  const badMove = await req('PATCH', `/api/consultations/${created.id}`, { end: inMinutes(100) })
  t.equal(badMove.statusCode, 400, 'end before start')

  const added = await req('POST', `/api/consultations/${created.id}/invitations`, { email: 'three@example.org', locale: 'de' })
  t.equal(added.statusCode, 201)
  t.match(added.json().joinUrl, /\/join\//)

  const cancelled = await req('POST', `/api/consultations/${created.id}/cancel`)
  t.equal(cancelled.statusCode, 200)
  t.equal(cancelled.json().state, 'cancelled')
  t.ok(cancelled.json().cancelledAt)
  const again = await req('POST', `/api/consultations/${created.id}/cancel`)
  t.equal(again.statusCode, 409)
  t.equal(again.json().code, 'SZ_INVALID_STATE')
  const lateInvite = await req('POST', `/api/consultations/${created.id}/invitations`, { email: 'four@example.org' })
  t.equal(lateInvite.statusCode, 409)
  const lateMove = await req('PATCH', `/api/consultations/${created.id}`, { start: inMinutes(200), end: inMinutes(230) })
  t.equal(lateMove.statusCode, 409)
})

t.test('scheduling validates times', async t => {
  const { app } = await build(t)
  const req = as(app, await provider(app))
  const past = await req('POST', '/api/consultations', { title: 'x', start: inMinutes(-60), end: inMinutes(-30), participants: [] })
  t.equal(past.statusCode, 400)
  const long = await req('POST', '/api/consultations', { title: 'x', start: inMinutes(10), end: inMinutes(10 + 25 * 60), participants: [] })
  t.equal(long.statusCode, 400)
  const noOffset = await req('POST', '/api/consultations', { title: 'x', start: '2031-01-01T10:00:00', end: '2031-01-01T11:00:00', participants: [] })
  t.equal(noOffset.statusCode, 400, 'times need an offset')
  const badEmail = await req('POST', '/api/consultations', {
    title: 'x',
    start: inMinutes(10),
    end: inMinutes(40),
    participants: [{ email: 'not an address' }]
  })
  t.equal(badEmail.statusCode, 400)
  const withOffset = await req('POST', '/api/consultations', {
    title: 'x',
    start: '2031-01-01T10:00:00+01:00',
    end: '2031-01-01T11:00:00+01:00',
    participants: []
  })
  t.equal(withOffset.statusCode, 201)
  t.equal(withOffset.json().start, '2031-01-01T09:00:00.000Z', 'stored and answered in UTC')
})

t.test('practice B sees nothing of practice A', async t => {
  const { app } = await build(t)
  const a = await provider(app, 'Praxis A')
  const b = await provider(app, 'Praxis B')
  const { id, tokens } = await schedule(app, a, { start: inMinutes(5), end: inMinutes(60) })
  const join = await app.inject({ method: 'POST', url: `/api/join/${tokens[0]}`, payload: { displayName: 'Client A' } })
  t.equal(join.statusCode, 200)
  const pid = join.json().participantId
  const asB = as(app, b)
  const attempts = [
    await asB('GET', `/api/consultations/${id}`),
    await asB('PATCH', `/api/consultations/${id}`, { title: 'taken over' }),
    await asB('POST', `/api/consultations/${id}/cancel`),
    await asB('POST', `/api/consultations/${id}/end`),
    await asB('POST', `/api/consultations/${id}/invitations`, { email: 'intruder@example.org' }),
    await asB('GET', `/api/consultations/${id}/participants`),
    await asB('POST', `/api/consultations/${id}/participants/${pid}/admit`)
  ]
  for (const res of attempts) {
    t.equal(res.statusCode, 404, `${res.raw.req?.method ?? ''} answers 404 for another practice`)
    t.equal(res.json().code, 'SZ_NOT_FOUND')
  }
  t.same((await asB('GET', '/api/consultations')).json(), [], 'not in the list either')
  const stillA = await as(app, a)('GET', `/api/consultations/${id}`)
  t.equal(stillA.json().title, 'Erstgespräch', 'nothing changed')
  const participant = await as(app, a)('GET', `/api/consultations/${id}/participants`)
  t.equal(participant.json()[0].status, 'waiting', 'B could not admit')
  // A participant credential is scoped to its one consultation
  const other = await schedule(app, a, { start: inMinutes(5), end: inMinutes(60) })
  const credential = join.json().credential
  const cross = await app.inject({ method: 'GET', url: `/api/consultations/${other.id}/participants`, headers: { authorization: `Bearer ${credential}` } })
  t.equal(cross.statusCode, 401, 'a participant credential is no provider session')
})
