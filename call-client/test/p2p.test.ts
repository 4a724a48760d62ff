import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { build, provider, as, schedule, inMinutes, setFinalTeardown, freePort } from '@sprechzimmer/core/testing'
import { CHROMIUM_ARGS, assertNowhere, until } from './helpers.js'

setFinalTeardown(fn => t.teardown(fn))
const pagePlugin = fileURLToPath(new URL('./fixtures/call-page.plugin.mjs', import.meta.url))

/** Debian's coturn with the TURN REST API (shared secret), loopback only. */
async function startCoturn(t: Test, secret: string): Promise<number> {
  const port = await freePort()
  const child = spawn(
    'turnserver',
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--min-port=31000',
      '--max-port=31199',
      '--realm=sprechzimmer.test',
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--allow-loopback-peers',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--fingerprint',
      '--no-multicast-peers',
      '--log-file=stdout',
      '--simple-log'
    ],
    { stdio: 'ignore' }
  )
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  await new Promise(resolve => setTimeout(resolve, 500))
  return port
}

async function call(t: Test, policy: 'all' | 'relay') {
  const port = await freePort()
  const turnSecret = randomBytes(16).toString('hex')
  const turnUrls = policy === 'relay' ? [`turn:127.0.0.1:${await startCoturn(t, turnSecret)}?transport=udp`] : []
  const base = `http://127.0.0.1:${port}`
  const { app, logs } = await build(t, { plugins: [pagePlugin], publicUrl: base, turnUrls, turnSecret })
  await app.listen({ port, host: '127.0.0.1' })

  const me = await provider(app)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50) })
  const entered = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Maria' } })).json()
  await as(app, me)('POST', `/api/consultations/${id}/participants/${entered.participantId}/admit`)

  const browsers: Browser[] = await Promise.all([0, 1].map(() => chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })))
  t.teardown(async () => {
    for (const b of browsers) await b.close()
  })
  const [providerContext, clientContext] = await Promise.all(browsers.map(b => b.newContext()))
  await providerContext.addCookies([{ name: 'APPSESSION', value: me.cookie.split('=')[1], domain: '127.0.0.1', path: '/' }])
  await clientContext.addCookies([{ name: 'SZ_PARTICIPANT', value: entered.credential, domain: '127.0.0.1', path: '/api' }])
  const [providerPage, clientPage]: Page[] = await Promise.all([providerContext.newPage(), clientContext.newPage()])
  for (const page of [providerPage, clientPage]) await page.goto(`${base}/call-test/`)

  await providerPage.evaluate(o => (window as any).startCall(o), {
    consultationId: id,
    role: 'provider',
    peer: { kind: 'participant', id: entered.participantId },
    policy
  })
  await clientPage.evaluate(o => (window as any).startCall(o), { consultationId: id, role: 'participant', peer: { kind: 'provider', id: 'providers' }, policy })
  const frames = (page: Page) => page.evaluate(() => (window as any).framesDecoded()) as Promise<number>
  const diagnose = (page: Page) =>
    page.evaluate(() => {
      const w = window as any
      const pc = w.call?.connection
      return JSON.stringify({
        errors: w.state.errors,
        started: w.state.started,
        conn: pc?.connectionState,
        sig: pc?.signalingState,
        ice: pc?.iceConnectionState,
        media: w.state.media
      })
    })
  try {
    await until('video decoded on both sides', async () => (await frames(providerPage)) > 10 && (await frames(clientPage)) > 10)
  } catch (err) {
    t.comment(`provider: ${await diagnose(providerPage)}`)
    t.comment(`client: ${await diagnose(clientPage)}`)
    throw err
  }
  t.pass("both browsers decode the other one's video")

  // Chromium may report the selected candidate pair a moment after the first frames.
  const quality = () => clientPage.evaluate(() => (window as any).call.quality())
  await until('the selected candidate pair in the stats', async () => (await quality()).path !== null)
  const rated = await quality()
  t.equal(rated.path, policy === 'relay' ? 'relay' : 'direct', `the media path is ${policy === 'relay' ? 'the TURN relay' : 'direct'}`)
  t.not(rated.level, 'unknown')

  const chatCanary = `chat-canary-${randomBytes(6).toString('hex')}`
  const documentCanary = `document-canary-${randomBytes(6).toString('hex')}`
  const documentBytes = [...Buffer.concat([Buffer.from(`%PDF-1.4\n% ${documentCanary}\n`), randomBytes(50_000)])]
  await until('the data channel', () => clientPage.evaluate(() => (window as any).call.channel?.readyState === 'open'))
  await clientPage.evaluate(text => (window as any).call.sendChat(text), chatCanary)
  await until('the chat message', () => providerPage.evaluate(text => (window as any).state.chats.some((c: any) => c.text === text), chatCanary))
  await providerPage.evaluate(
    bytes => (window as any).call.sendDocument(new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), 'befund.pdf'),
    documentBytes
  )
  await until('the document', () => clientPage.evaluate(() => (window as any).state.documents.length === 1))
  const received = await clientPage.evaluate(() => (window as any).state.documents[0])
  t.same({ name: received.name, type: received.type }, { name: 'befund.pdf', type: 'application/pdf' })
  t.ok(Buffer.from(received.bytes).equals(Buffer.from(documentBytes)), 'the receiver gets the document byte for byte')

  await as(app, me)('POST', `/api/consultations/${id}/end`)
  for (const canary of [chatCanary, documentCanary]) await assertNowhere(t, app, logs, canary)
  t.same(await clientPage.evaluate(() => (window as any).state.errors), [], 'no signalling refused, no error in the page')
}

t.test('a p2p call: video both ways, chat and a document over the data channel, nothing on the server', async t => {
  await call(t, 'all')
})
t.test('the same call through coturn with a relay-only ICE policy and per-participant TURN credentials', async t => {
  await call(t, 'relay')
})
