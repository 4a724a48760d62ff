import t from 'tap'
import { build, provider, as, schedule, inMinutes, inMs, realtime, eventually } from './helpers.js'

t.test('a client joins with only the link, waits, is pushed to the provider, admitted once, and the call ends', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const req = as(app, me)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const providerSocket = await realtime(app, { cookie: me.cookie })
  t.equal((await providerSocket.next('hello')).as, 'provider')

  const info = await app.inject({ method: 'GET', url: `/api/join/${token}` })
  t.equal(info.statusCode, 200)
  t.equal(info.json().consultation.title, 'Erstgespräch')
  t.equal(info.json().consultation.provider.displayName, 'Dr. Anna Sommer')
  t.equal(info.json().waitingRoomOpen, true)
  t.notOk(JSON.stringify(info.json()).includes('@'), 'no e-mail addresses in the public info')

  const enter = await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: '  Maria Muster ' } })
  t.equal(enter.statusCode, 200)
  const entered = enter.json()
  t.equal(entered.status, 'waiting')
  t.equal(entered.consultationId, id)
  t.match(enter.headers['set-cookie'], /SZ_PARTICIPANT=.*HttpOnly.*SameSite=Strict/)

  const pushed = await providerSocket.next('participant.waiting')
  t.equal(pushed.consultationId, id)
  t.equal(pushed.participant.displayName, 'Maria Muster', 'the provider is told who waits, without polling')

  const participantSocket = await realtime(app, { authorization: `Bearer ${entered.credential}` })
  t.same(await participantSocket.next('hello'), { type: 'hello', as: 'participant', participantId: entered.participantId, consultationId: id })

  const waiting = await req('GET', `/api/consultations/${id}/participants`)
  t.equal(waiting.json().length, 1)
  t.equal(waiting.json()[0].status, 'waiting')
  t.equal((await req('GET', `/api/consultations/${id}`)).json().state, 'waiting')

  // Two admits race: exactly one wins
  const url = `/api/consultations/${id}/participants/${entered.participantId}/admit`
  const results = await Promise.all([req('POST', url), req('POST', url), req('POST', url)])
  const codes = results.map(r => r.statusCode).sort()
  t.same(codes, [200, 409, 409], 'admitted exactly once')
  t.equal(results.find(r => r.statusCode === 409)!.json().code, 'SZ_PARTICIPANT_NOT_WAITING')
  t.equal((await participantSocket.next('participant.admitted')).participant.status, 'admitted', 'the participant learns it is admitted')
  t.equal((await participantSocket.next('consultation.state')).state, 'live')
  const live = await req('GET', `/api/consultations/${id}`)
  t.equal(live.json().state, 'live')
  t.ok(live.json().liveAt)

  const status = await app.inject({ method: 'GET', url: '/api/participant', headers: { authorization: `Bearer ${entered.credential}` } })
  t.same(status.json(), { participantId: entered.participantId, consultationId: id, status: 'admitted', consultationState: 'live' })

  const ended = await req('POST', `/api/consultations/${id}/end`)
  t.equal(ended.json().state, 'ended')
  t.equal((await participantSocket.next('consultation.state')).state, 'ended')
  const after = await req('GET', `/api/consultations/${id}/participants`)
  t.equal(after.json()[0].displayName, null, 'waiting-room names are deleted when the consultation ends')
  const gone = await app.inject({ method: 'GET', url: `/api/join/${token}` })
  t.equal(gone.statusCode, 410)
  t.equal(gone.json().code, 'SZ_JOIN_LINK_EXPIRED')
  participantSocket.close()
  providerSocket.close()
})

t.test('before the room opens the link says when; entering answers 425', async t => {
  const { app } = await build(t, { waitingRoomOpensBefore: 10 * 60_000 })
  const me = await provider(app)
  const {
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(60), end: inMinutes(90) })
  const info = await app.inject({ method: 'GET', url: `/api/join/${token}` })
  t.equal(info.json().waitingRoomOpen, false)
  t.equal(Date.parse(info.json().waitingRoomOpensAt), Date.parse(info.json().consultation.start) - 10 * 60_000)
  const early = await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Early Bird' } })
  t.equal(early.statusCode, 425)
  t.equal(early.json().code, 'SZ_WAITING_ROOM_NOT_OPEN')
  t.equal(early.json().opensAt, info.json().waitingRoomOpensAt)
})

t.test('the link works until the scheduled end and then answers 410; cancelled links say so', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMs(-60_000), end: inMs(1500) })
  t.equal((await app.inject({ method: 'GET', url: `/api/join/${token}` })).statusCode, 200)
  await new Promise(resolve => setTimeout(resolve, 1700))
  const expired = await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Too Late' } })
  t.equal(expired.statusCode, 410)
  t.equal(expired.json().code, 'SZ_JOIN_LINK_EXPIRED')
  await eventually(async () => (await as(app, me)('GET', `/api/consultations/${id}`)).json().state === 'ended')

  const other = await schedule(app, me, { start: inMinutes(30), end: inMinutes(60) })
  await as(app, me)('POST', `/api/consultations/${other.id}/cancel`)
  const cancelled = await app.inject({ method: 'GET', url: `/api/join/${other.tokens[0]}` })
  t.equal(cancelled.statusCode, 410)
  t.equal(cancelled.json().code, 'SZ_CONSULTATION_CANCELLED')
})

t.test('a returning participant keeps their place; leaving is pushed; join is rate limited', async t => {
  const { app } = await build(t, { joinRateLimit: 4 })
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(1), end: inMinutes(30) })
  const providerSocket = await realtime(app, { cookie: me.cookie })
  const first = await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Kim' } })
  const cookie = (first.headers['set-cookie'] as string).split(';')[0]
  const again = await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Kim B.' }, headers: { cookie } })
  t.equal(again.json().participantId, first.json().participantId, 'a reload does not queue the client twice')
  const list = await as(app, me)('GET', `/api/consultations/${id}/participants`)
  t.equal(list.json().length, 1)
  t.equal(list.json()[0].displayName, 'Kim B.')

  const leave = await app.inject({ method: 'POST', url: '/api/participant/leave', headers: { cookie } })
  t.equal(leave.statusCode, 204)
  t.equal((await providerSocket.next('participant.left')).participant.status, 'left')

  const second = await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Another' } })
  t.equal(second.statusCode, 200)
  const codes = []
  for (let i = 0; i < 3; i++) codes.push((await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Flood' } })).statusCode)
  t.equal(codes.at(-1), 429, 'entering is rate limited')
  providerSocket.close()
})

t.test('the realtime socket refuses strangers and foreign origins', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const anonymous = await realtime(app, {})
  t.equal((await anonymous.closed).code, 4401)
  const forged = await realtime(app, { authorization: 'Bearer not-a-credential' })
  t.equal((await forged.closed).code, 4401)
  const foreign = await realtime(app, { cookie: me.cookie, origin: 'https://evil.example' })
  t.equal((await foreign.closed).code, 4401, 'cross-site WebSocket hijacking is refused')
  for (const socket of [anonymous, forged, foreign]) socket.close()
  const own = await realtime(app, { cookie: me.cookie, origin: 'http://localhost:3000' })
  t.equal((await own.next('hello')).as, 'provider')
  own.close()
})
