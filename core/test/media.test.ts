import t from 'tap'
import { createHmac } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { build, provider, as, schedule, inMinutes, eventually } from './helpers.js'
import { loadConfig, ConfigError } from '../src/config.js'
import { iceServersFor } from '../src/media/ice.js'

const turn = { turnUrls: ['stun:127.0.0.1:3478', 'turn:127.0.0.1:3478?transport=udp'], turnSecret: 'turn-shared-secret', turnCredentialTtl: 3_600_000 }
const recording = fileURLToPath(new URL('./fixtures/recording-media.plugin.mjs', import.meta.url))

t.test('TURN credentials follow the TURN REST API: named holder, expiry, HMAC-SHA1 of the shared secret', async t => {
  const now = Date.UTC(2026, 10, 29, 12)
  const [stun, relay] = iceServersFor(turn, 'participant-1', now)
  t.same(stun, { urls: ['stun:127.0.0.1:3478'] }, 'STUN needs no credential')
  t.equal(relay.username, `${now / 1000 + 3600}:participant-1`)
  t.equal(relay.credential, createHmac('sha1', 'turn-shared-secret').update(relay.username!).digest('base64'))
  t.same(iceServersFor({ ...turn, turnUrls: [] }, 'x'), [], 'no ICE servers configured: none handed out')
  t.throws(() => loadConfig({ TURN_URLS: 'http://turn.example.org' }), ConfigError)
  t.throws(() => loadConfig({ TURN_URLS: 'turn:turn.example.org' }), /TURN_SECRET/)
  t.same(loadConfig({ TURN_URLS: 'turn:a:3478, stun:b', TURN_SECRET: 's' }).turnUrls, ['turn:a:3478', 'stun:b'])
})

t.test('only the practice and admitted participants of an open call get its connection data', async t => {
  const { app } = await build(t, turn)
  const me = await provider(app)
  const other = await provider(app, 'Praxis Fremd')
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const entered = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Maria' } })).json()
  const asParticipant = () => app.inject({ method: 'GET', url: '/api/participant/media', headers: { authorization: `Bearer ${entered.credential}` } })

  t.equal((await app.inject({ method: 'GET', url: '/api/participant/media' })).statusCode, 401)
  const waiting = await asParticipant()
  t.equal(waiting.statusCode, 403)
  t.equal(waiting.json().code, 'SZ_NOT_ADMITTED', 'a waiting client gets no TURN credential and no room')
  t.equal((await as(app, other)('GET', `/api/consultations/${id}/media`)).statusCode, 404, 'another practice sees nothing')

  const mine = await as(app, me)('GET', `/api/consultations/${id}/media`)
  t.equal(mine.statusCode, 200)
  t.equal(mine.json().provider, 'p2p')
  t.match(mine.json().iceServers[1].username, new RegExp(`:${me.userId}$`), "the provider's credential names the provider")

  await as(app, me)('POST', `/api/consultations/${id}/participants/${entered.participantId}/admit`)
  const admitted = await asParticipant()
  t.equal(admitted.statusCode, 200)
  t.match(admitted.json().iceServers[1].username, new RegExp(`:${entered.participantId}$`), 'one credential per participant')
  t.notOk(JSON.stringify(admitted.json()).includes('turn-shared-secret'), 'the shared secret never leaves the server')

  await as(app, me)('POST', `/api/consultations/${id}/end`)
  t.equal((await asParticipant()).json().code, 'SZ_NOT_ADMITTED', 'nothing after the end')
  t.equal((await as(app, me)('GET', `/api/consultations/${id}/media`)).statusCode, 409)
})

t.test('the active media provider is driven by the lifecycle: room at opening, admit, leave, teardown at the end', async t => {
  const { app } = await build(t, { plugins: [recording] })
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const calls = async () => (await app.inject({ method: 'GET', url: '/api/recording-media' })).json() as unknown[][]
  await eventually(async () => (await calls()).some(c => c[0] === 'createRoom' && c[1] === id))

  const entered = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Maria' } })).json()
  await as(app, me)('POST', `/api/consultations/${id}/participants/${entered.participantId}/admit`)
  await eventually(async () => (await calls()).some(c => c[0] === 'admit' && c[2] === entered.participantId))
  const info = await app.inject({ method: 'GET', url: '/api/participant/media', headers: { authorization: `Bearer ${entered.credential}` } })
  t.same(info.json(), {
    room: `room-${id}`,
    token: `token-${entered.participantId}`,
    provider: 'recording',
    self: { kind: 'participant', id: entered.participantId },
    iceServers: []
  })

  await app.inject({ method: 'POST', url: '/api/participant/leave', headers: { authorization: `Bearer ${entered.credential}` } })
  await eventually(async () => (await calls()).some(c => c[0] === 'leave' && c[2] === entered.participantId))
  await as(app, me)('POST', `/api/consultations/${id}/end`)
  await eventually(async () => (await calls()).some(c => c[0] === 'destroyRoom' && c[1] === id))
  t.equal((await calls()).filter(c => c[0] === 'createRoom' && c[1] === id).length, 1, 'one room per consultation, however often it is asked for')
})
