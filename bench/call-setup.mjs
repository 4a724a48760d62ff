// Call set-up: from an admitted client's and the provider's pages starting the call until both decode
// the other's video, through Sprechzimmer (media info, realtime socket, perfect negotiation over the
// relay) versus a bare RTCPeerConnection between two pages whose SDP the bench hands over itself.
// Same run, same two Chromium instances, loopback only.
//   npm run build && node bench/call-setup.mjs        (BENCH_CALL_RUNS, default 7)
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { buildApp, freePort, loadConfig } from '@sprechzimmer/core'
import { databaseServer, freshDatabase } from './lib/database.mjs'

const RUNS = Number(process.env.BENCH_CALL_RUNS ?? 7)
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection'
]
const pagePlugin = fileURLToPath(new URL('../call-client/test/fixtures/call-page.plugin.mjs', import.meta.url))

const port = await freePort()
const base = `http://127.0.0.1:${port}`
const server = await databaseServer()
const database = await freshDatabase(server.url, 'call')
const dataDir = mkdtempSync(join(tmpdir(), 'sz-bench-call-'))
const config = loadConfig(
  { LOG_LEVEL: 'silent' },
  {
    sessionSecret: 'bench-secret-that-is-long-enough-for-hmac',
    dataDir,
    plugins: [pagePlugin],
    publicUrl: base,
    port,
    joinRateLimit: 10_000,
    joinLinkParticipants: 100
  }
)
const app = await buildApp({ config, databaseUrl: database.url, logger: false })
await app.listen({ port, host: '127.0.0.1' })
const browsers = await Promise.all([0, 1].map(() => chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS })))

const api = async (method, url, body, headers = {}) => {
  const res = await app.inject({ method, url, payload: body, headers })
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return res
}
const register = await api('POST', '/api/auth/register', {
  kind: 'provider',
  email: 'bench@example.org',
  password: 'bench password 123',
  firstName: 'Bench',
  lastName: 'Provider',
  practice: {
    name: 'Praxis Bench',
    type: 'Bench',
    street: 'A 1',
    postalCode: '10115',
    city: 'Berlin',
    country: 'DE',
    contactName: 'B',
    contactEmail: 'b@example.org',
    iban: 'DE89370400440532013000',
    accountHolder: 'B'
  }
})
void register
const login = await api('POST', '/api/auth/login', { email: 'bench@example.org', password: 'bench password 123' })
const cookie = [login.headers['set-cookie']]
  .flat()
  .find(c => c.startsWith('APPSESSION='))
  .split(';')[0]
const provider = { cookie, 'x-csrf-token': login.json().csrfToken }

const until = async (check, ms = 30_000) => {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
const decodes = page => page.evaluate(() => window.framesDecoded()).then(frames => frames > 0)

async function sprechzimmerCall() {
  const start = new Date(Date.now() + 60_000).toISOString()
  const end = new Date(Date.now() + 3_600_000).toISOString()
  const created = (await api('POST', '/api/consultations', { title: 'Bench', start, end, participants: [{ email: 'c@example.org' }] }, provider)).json()
  const token = created.invitations[0].joinUrl.split('/join/')[1]
  const entered = (await api('POST', `/api/join/${token}`, { displayName: 'Client' })).json()
  await api('POST', `/api/consultations/${created.id}/participants/${entered.participantId}/admit`, undefined, provider)
  const [a, b] = await Promise.all(browsers.map(browser => browser.newContext()))
  await a.addCookies([{ name: 'APPSESSION', value: cookie.split('=')[1], domain: '127.0.0.1', path: '/' }])
  await b.addCookies([{ name: 'SZ_PARTICIPANT', value: entered.credential, domain: '127.0.0.1', path: '/api' }])
  const [doctor, client] = await Promise.all([a.newPage(), b.newPage()])
  await Promise.all([doctor.goto(`${base}/call-test/`), client.goto(`${base}/call-test/`)])
  const t0 = performance.now()
  await Promise.all([
    doctor.evaluate(o => window.startCall(o), { consultationId: created.id, role: 'provider', peer: { kind: 'participant', id: entered.participantId } }),
    client.evaluate(o => window.startCall(o), { consultationId: created.id, role: 'participant', peer: { kind: 'provider', id: 'providers' } })
  ])
  await until(async () => (await decodes(doctor)) && (await decodes(client)))
  const ms = performance.now() - t0
  await api('POST', `/api/consultations/${created.id}/end`, undefined, provider)
  await Promise.all([a.close(), b.close()])
  return ms
}

async function bareCall() {
  const [a, b] = await Promise.all(browsers.map(browser => browser.newContext()))
  const [left, right] = await Promise.all([a.newPage(), b.newPage()])
  await Promise.all([left.goto(`${base}/call-test/bare.html`), right.goto(`${base}/call-test/bare.html`)])
  const t0 = performance.now()
  await Promise.all([left.evaluate(() => window.bareStart()), right.evaluate(() => window.bareStart())])
  const offer = await left.evaluate(() => window.bareOffer())
  const answer = await right.evaluate(o => window.bareAnswer(o), offer)
  await left.evaluate(o => window.bareAccept(o), answer)
  await until(async () => (await decodes(left)) && (await decodes(right)))
  const ms = performance.now() - t0
  await Promise.all([a.close(), b.close()])
  return ms
}

const median = values => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]
const results = { sprechzimmer: [], bare: [] }
try {
  await bareCall() // warm-up: the first getUserMedia of a browser is slower
  for (let i = 0; i < RUNS; i++) {
    results.bare.push(await bareCall())
    results.sprechzimmer.push(await sprechzimmerCall())
  }
} finally {
  await Promise.all(browsers.map(browser => browser.close()))
  await app.close()
  await database.drop?.()
  await server.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
const line = (name, values) =>
  `${name.padEnd(34)} median ${median(values).toFixed(0).padStart(5)} ms   min ${Math.min(...values)
    .toFixed(0)
    .padStart(5)}   max ${Math.max(...values)
    .toFixed(0)
    .padStart(5)}`
console.log(`Call set-up until both sides decode video, ${RUNS} runs each (${new Date().toISOString()})`)
console.log(line('bare RTCPeerConnection (baseline)', results.bare))
console.log(line('Sprechzimmer p2p call', results.sprechzimmer))
console.log(`ratio (goal <= 1.5): ${(median(results.sprechzimmer) / median(results.bare)).toFixed(2)}`)
