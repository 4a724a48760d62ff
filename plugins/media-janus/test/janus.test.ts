import t, { type Test } from 'tap'
import Janode from 'janode'
import VideoRoomPlugin from 'janode/plugins/videoroom'
import { fileURLToPath } from 'node:url'
import { build, provider, as, schedule, inMinutes, eventually, realtime, setFinalTeardown } from '@sprechzimmer/core/testing'
import { startJanus } from '../src/testing.js'

setFinalTeardown(fn => t.teardown(fn))
/** The compiled plugin, as an operator names it in SPRECHZIMMER_PLUGINS (the root `npm test` builds first). */
const pluginEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url))

Janode.Logger.setLevel('none')

/** A second Janus client standing in for a browser: it talks to the VideoRoom API without WebRTC. */
async function client(url: string) {
  const connection = await Janode.connect({ address: { url }, max_retries: 1 })
  const session = await connection.create()
  const vr = await session.attach(VideoRoomPlugin)
  /** Janus's error code of a request, or 0 when it succeeded. */
  const attempt = async (body: Record<string, unknown>) => {
    try {
      await vr.message(body)
      return 0
    } catch (err) {
      return Number(String((err as Error).message).match(/^(\d{3})/)?.[1] ?? -1)
    }
  }
  return {
    vr,
    attempt,
    close: async () => {
      await session.destroy().catch(() => {})
      await connection.close().catch(() => {})
    }
  }
}

/** Points the plugin at a fresh Janus, with the other settings given, for the one test. */
async function janusFor(t: Test, env: Record<string, string> = {}) {
  const janus = await startJanus()
  t.teardown(janus.stop)
  const settings: Record<string, string> = { JANUS_URL: janus.url, JANUS_ADMIN_KEY: janus.adminKey, ...env }
  Object.assign(process.env, settings)
  t.teardown(() => {
    for (const name of Object.keys(settings)) delete process.env[name]
  })
  return janus
}

t.test('a private end-to-end-encrypted room per consultation that admits only admitted holders and never records', async t => {
  const janus = await janusFor(t, { JANUS_FOR: 'all' })

  const { app } = await build(t, { plugins: [pluginEntry] })
  const browser = await client(janus.url)
  t.teardown(browser.close)
  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })

  // The room exists once the waiting room is open (created from the lifecycle notice).
  const mine = (await as(app, me)('GET', `/api/consultations/${id}/media`)).json()
  t.equal(mine.provider, 'janus')
  t.equal(mine.e2ee, true)
  const exists = async () => (await browser.vr.exists({ room: mine.room })).exists as boolean
  await eventually(exists)
  const rooms = (await browser.vr.list({ admin_key: janus.adminKey })).list as Array<Record<string, unknown>>
  const room = rooms.find(r => r.room === mine.room)!
  t.match(room, { require_e2ee: true, record: false, lock_record: true, pin_required: true }, 'encrypted, pin-protected, not recording, recording locked')
  t.equal(
    ((await browser.vr.list({})).list as unknown[]).some((r: any) => r.room === mine.room),
    false,
    'private: hidden from the public list'
  )

  const entered = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Maria' } })).json()
  const media = () => app.inject({ method: 'GET', url: '/api/participant/media', headers: { authorization: `Bearer ${entered.credential}` } })
  t.equal((await media()).json().code, 'SZ_NOT_ADMITTED', 'a waiting client learns neither pin nor token')
  const join = (body: Record<string, unknown>) => browser.attempt({ request: 'join', ptype: 'publisher', room: mine.room, display: 'x', ...body })
  t.equal(await join({ pin: mine.pin, token: 'guessed-token' }), 433, 'a token not on the list is refused')

  await as(app, me)('POST', `/api/consultations/${id}/participants/${entered.participantId}/admit`)
  const theirs = (await media()).json()
  t.match(theirs, { provider: 'janus', room: mine.room, pin: mine.pin, e2ee: true })
  t.not(theirs.token, mine.token, 'each holder has a token of their own')
  t.equal(await join({ token: theirs.token }), 429, 'no pin, no entry')
  t.equal(await join({ pin: mine.pin, token: theirs.token }), 0, 'the admitted client enters the room')
  t.equal(
    await browser.attempt({ request: 'enable_recording', room: mine.room, record: true }),
    429,
    'a participant cannot switch recording on without the secret'
  )
  t.equal(await browser.attempt({ request: 'enable_recording', room: mine.room, record: true, secret: 'guess' }), 433, 'nor by guessing it')
  t.equal(await browser.attempt({ request: 'destroy', room: mine.room, secret: 'guess' }), 433, 'nor tear the room down')
  t.notOk(
    JSON.stringify(await app.orm.em.fork().getConnection().execute('SELECT media FROM consultation')).includes(theirs.token),
    'tokens are derived, never stored'
  )

  await app.inject({ method: 'POST', url: '/api/participant/leave', headers: { authorization: `Bearer ${entered.credential}` } })
  await eventually(async () => {
    const fresh = await client(janus.url)
    try {
      return (await fresh.attempt({ request: 'join', ptype: 'publisher', room: mine.room, display: 'y', pin: mine.pin, token: theirs.token })) === 433
    } finally {
      await fresh.close()
    }
  })
  t.pass('a participant who left is taken off the list')

  await as(app, me)('POST', `/api/consultations/${id}/end`)
  await eventually(async () => !(await exists()))
  t.pass('the room is destroyed when the consultation ends')
})

t.test('two people talk browser to browser; the call moves into the encrypted room for good when a third is admitted', async t => {
  const janus = await janusFor(t)
  const { app } = await build(t, { plugins: [pluginEntry] })
  const browser = await client(janus.url)
  t.teardown(browser.close)
  const me = await provider(app)
  const {
    id,
    tokens: [first, second]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50), emails: ['a@example.org', 'b@example.org'] })
  const enter = async (token: string) => (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'X' } })).json()
  const [maria, jonas] = [await enter(first), await enter(second)]
  const mediaOf = async (who: { credential: string }) =>
    (await app.inject({ method: 'GET', url: '/api/participant/media', headers: { authorization: `Bearer ${who.credential}` } })).json()

  await as(app, me)('POST', `/api/consultations/${id}/participants/${maria.participantId}/admit`)
  t.match(await mediaOf(maria), { provider: 'p2p', self: { kind: 'participant', id: maria.participantId } }, 'two people: browser to browser')
  t.notOk((await mediaOf(maria)).pin, 'no room data while the call is not in the room')
  const room = (await as(app, me)('GET', `/api/consultations/${id}/media`)).json()
  t.equal(room.provider, 'p2p')

  const desk = await realtime(app, { cookie: me.cookie })
  const mariasSocket = await realtime(app, { authorization: `Bearer ${maria.credential}` })
  t.teardown(() => {
    desk.close()
    mariasSocket.close()
  })
  await as(app, me)('POST', `/api/consultations/${id}/participants/${jonas.participantId}/admit`)
  t.match(await desk.next('call.changed'), { consultationId: id }, 'the practice is told to fetch the connection data again')
  t.match(await mariasSocket.next('call.changed'), { consultationId: id }, 'so is the client already in the call')

  const [hers, his, mine] = [await mediaOf(maria), await mediaOf(jonas), (await as(app, me)('GET', `/api/consultations/${id}/media`)).json()]
  for (const info of [hers, his, mine]) t.match(info, { provider: 'janus', e2ee: true, room: hers.room, pin: hers.pin })
  t.equal(new Set([hers.token, his.token, mine.token]).size, 3, 'a token each')
  const join = (token: string) => browser.attempt({ request: 'join', ptype: 'publisher', room: hers.room, display: 'x', pin: hers.pin, token })
  t.equal(await join(hers.token), 0, 'the client admitted before the move is on the list too')

  await app.inject({ method: 'POST', url: '/api/participant/leave', headers: { authorization: `Bearer ${jonas.credential}` } })
  await eventually(async () => (await as(app, me)('GET', `/api/consultations/${id}/participants`)).json().some((p: any) => p.status === 'left'))
  t.equal((await mediaOf(maria)).provider, 'janus', 'back to two people, the call stays in the room (no second move)')
  t.equal(desk.messages.filter(m => m.type === 'call.changed').length, 1, 'exactly one move was announced')
})

t.test('a practice that wants every call through the media server gets the room for two people as well', async t => {
  await janusFor(t)
  const { app } = await build(t, { plugins: [pluginEntry] })
  const me = await provider(app)
  t.match(
    (await as(app, me)('GET', '/api/practice')).json(),
    { mediaServer: 'janus', callsThroughMediaServer: false },
    'the practice admin sees the setting and that it means something here'
  )
  t.match((await as(app, me)('PATCH', '/api/practice', { callsThroughMediaServer: true })).json(), { callsThroughMediaServer: true })
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const maria = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'X' } })).json()
  await as(app, me)('POST', `/api/consultations/${id}/participants/${maria.participantId}/admit`)
  const hers = (await app.inject({ method: 'GET', url: '/api/participant/media', headers: { authorization: `Bearer ${maria.credential}` } })).json()
  t.match(hers, { provider: 'janus', e2ee: true }, 'two people, end-to-end encrypted through Janus')
  t.match((await as(app, me)('GET', `/api/consultations/${id}/media`)).json(), { provider: 'janus', room: hers.room })
})
