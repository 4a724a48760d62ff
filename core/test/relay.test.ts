import t from 'tap'
import { build, provider, as, schedule, inMinutes, realtime, uniqueEmail, type App, type RealtimeClient } from './helpers.js'

async function enter(app: App, token: string, displayName: string): Promise<{ participantId: string; socket: RealtimeClient }> {
  const entered = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName } })).json()
  const socket = await realtime(app, { authorization: `Bearer ${entered.credential}` })
  await socket.next('hello')
  return { participantId: entered.participantId, socket }
}

t.test('chat and late notices pass between the provider and a waiting client; signalling waits for admission', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const desk = await realtime(app, { cookie: me.cookie })
  t.equal((await desk.next('hello')).userId, me.userId, 'a provider learns its own id for addressing')
  const client = await enter(app, token, 'Maria Muster')

  client.socket.send({ type: 'send', consultationId: id, to: 'providers', kind: 'chat', body: { text: 'Ich bin da' } })
  t.same(await desk.next('message'), {
    type: 'message',
    consultationId: id,
    from: { kind: 'participant', id: client.participantId },
    kind: 'chat',
    body: { text: 'Ich bin da' }
  })
  desk.send({ type: 'send', consultationId: id, to: client.participantId, kind: 'late', body: { minutes: 10 } })
  const late = await client.socket.next('message')
  t.same([late.kind, late.body, late.from], ['late', { minutes: 10 }, { kind: 'provider', id: me.userId }])
  desk.send({ type: 'send', consultationId: id, to: client.participantId, kind: 'chat', body: { text: 'Gleich geht es los' } })
  t.equal((await client.socket.next('message')).body.text, 'Gleich geht es los')

  client.socket.send({ type: 'send', consultationId: id, to: me.userId, kind: 'signal', body: { sdp: 'offer' } })
  t.equal((await client.socket.next('error')).code, 'SZ_MESSAGE_FORBIDDEN', 'no signalling from the waiting room')
  desk.send({ type: 'send', consultationId: id, to: client.participantId, kind: 'signal', body: { sdp: 'offer' } })
  t.equal((await desk.next('error')).code, 'SZ_MESSAGE_FORBIDDEN', 'no signalling to a waiting client')

  await as(app, me)('POST', `/api/consultations/${id}/participants/${client.participantId}/admit`)
  client.socket.send({ type: 'send', consultationId: id, to: me.userId, kind: 'signal', body: { sdp: 'offer' } })
  const signal = await desk.next('message')
  t.same([signal.kind, signal.body, signal.from.id], ['signal', { sdp: 'offer' }, client.participantId])
  desk.send({ type: 'send', consultationId: id, to: client.participantId, kind: 'signal', body: { sdp: 'answer' } })
  t.same((await client.socket.next('message')).body, { sdp: 'answer' })

  await as(app, me)('POST', `/api/consultations/${id}/end`)
  await client.socket.next('consultation.state')
  client.socket.send({ type: 'send', consultationId: id, to: 'providers', kind: 'chat', body: { text: 'noch da?' } })
  t.equal((await client.socket.next('error')).code, 'SZ_MESSAGE_FORBIDDEN', 'nothing passes once the consultation has ended')
  client.socket.close()
  desk.close()
})

t.test('messages never cross consultations or practices', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const stranger = await provider(app, 'Praxis Fremd')
  const mine = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50), emails: [uniqueEmail('a'), uniqueEmail('b')] })
  const other = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const a = await enter(app, mine.tokens[0], 'A')
  const b = await enter(app, mine.tokens[1], 'B')
  const c = await enter(app, other.tokens[0], 'C')
  for (const p of [a, b]) await as(app, me)('POST', `/api/consultations/${mine.id}/participants/${p.participantId}/admit`)
  const strangerDesk = await realtime(app, { cookie: stranger.cookie })
  const myDesk = await realtime(app, { cookie: me.cookie })

  strangerDesk.send({ type: 'send', consultationId: mine.id, to: a.participantId, kind: 'chat', body: { text: 'hallo' } })
  t.equal((await strangerDesk.next('error')).code, 'SZ_MESSAGE_FORBIDDEN', 'another practice cannot write into the consultation')
  c.socket.send({ type: 'send', consultationId: mine.id, to: 'providers', kind: 'chat', body: { text: 'hallo' } })
  t.equal((await c.socket.next('error')).code, 'SZ_MESSAGE_FORBIDDEN', 'a participant writes only into its own consultation')
  a.socket.send({ type: 'send', consultationId: mine.id, to: c.participantId, kind: 'signal', body: {} })
  t.equal((await a.socket.next('error')).code, 'SZ_MESSAGE_FORBIDDEN', 'no signalling to someone of another consultation')
  a.socket.send({ type: 'send', consultationId: mine.id, to: b.participantId, kind: 'chat', body: { text: 'psst' } })
  t.equal((await a.socket.next('error')).code, 'SZ_MESSAGE_FORBIDDEN', 'clients do not chat with each other through the server')
  myDesk.send({ type: 'send', consultationId: mine.id, to: stranger.userId, kind: 'signal', body: {} })
  t.equal((await myDesk.next('error')).code, 'SZ_MESSAGE_FORBIDDEN', 'no signalling to a provider of another practice')

  a.socket.send({ type: 'send', consultationId: mine.id, to: b.participantId, kind: 'signal', body: { candidate: 'x' } })
  t.same((await b.socket.next('message')).body, { candidate: 'x' }, 'admitted participants signal to each other')
  await new Promise(resolve => setTimeout(resolve, 200))
  t.notOk(
    c.socket.messages.some(m => m.type === 'message'),
    'the other consultation heard nothing'
  )
  t.notOk(
    strangerDesk.messages.some(m => m.type === 'message'),
    'the other practice heard nothing'
  )
  for (const s of [a.socket, b.socket, c.socket, strangerDesk, myDesk]) s.close()
})

t.test('malformed, oversized and flooding frames are refused with a code and the socket stays usable', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const client = await enter(app, token, 'Kim')
  const desk = await realtime(app, { cookie: me.cookie })
  const refusals: Array<[unknown, string]> = [
    ['not json', 'SZ_MESSAGE_INVALID'],
    [{ type: 'send', consultationId: id, to: 'providers', kind: 'shout', body: {} }, 'SZ_MESSAGE_INVALID'],
    [{ type: 'send', consultationId: id, to: 'providers', kind: 'chat', body: { text: '' } }, 'SZ_MESSAGE_INVALID'],
    [{ type: 'send', consultationId: id, to: 'providers', kind: 'chat', body: { text: 'x'.repeat(1001) } }, 'SZ_MESSAGE_INVALID'],
    [{ type: 'send', consultationId: id, to: 'providers', kind: 'chat', body: { text: 'hi', html: '<b>' } }, 'SZ_MESSAGE_INVALID'],
    [{ type: 'send', consultationId: 'nope', to: 'providers', kind: 'chat', body: { text: 'hi' } }, 'SZ_MESSAGE_INVALID'],
    [{ type: 'send', consultationId: id, to: 'providers', kind: 'signal', body: { sdp: 'x'.repeat(33 * 1024) } }, 'SZ_MESSAGE_TOO_LARGE'],
    [{ type: 'send', consultationId: id, to: 'providers', kind: 'late', body: { minutes: 5 } }, 'SZ_MESSAGE_FORBIDDEN']
  ]
  for (const [frame, code] of refusals) {
    client.socket.send(frame)
    t.equal((await client.socket.next('error')).code, code, `${JSON.stringify(frame).slice(0, 60)} → ${code}`)
  }
  client.socket.send({ type: 'send', consultationId: id, to: 'providers', kind: 'chat', body: { text: 'still here' } })
  t.equal((await desk.next('message')).body.text, 'still here', 'the socket still works after refusals')

  for (let i = 0; i < 210; i++) desk.send({ type: 'send', consultationId: id, to: client.participantId, kind: 'chat', body: { text: `${i}` } })
  t.equal((await desk.next('error', 15_000)).code, 'SZ_RATE_LIMITED', 'a flood is cut off')
  client.socket.close()
  desk.close()
})

t.test('events published in one transaction travel in as few notifications as fit, and arrive complete and in order', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const desk = await realtime(app, { cookie: me.cookie })
  const practiceId = (await as(app, me)('GET', '/api/me')).json().practice.id as string
  await desk.next('hello')
  const items = Array.from({ length: 60 }, (_, i) => ({ to: { practice: practiceId }, event: { type: 'test.bulk', n: i, pad: 'x'.repeat(400) } }))
  const payloads = JSON.parse(app.realtime.notification(items).payloads) as string[]
  t.ok(payloads.length > 1 && payloads.length < 10, `60 events of 0.4 kB in ${payloads.length} notifications`)
  t.ok(
    payloads.every(p => Buffer.byteLength(p) < 8000),
    "each under PostgreSQL's payload limit"
  )
  await app.orm.em.fork().transactional(async (em: any) => {
    await app.realtime.publishMany(em, items)
  })
  const got: number[] = []
  for (let i = 0; i < 60; i++) got.push((await desk.next('test.bulk')).n)
  t.same(
    got,
    items.map(item => item.event.n)
  )
  desk.close()
})
