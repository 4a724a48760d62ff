// Janus under a group call: four people (a provider and three clients, each its own headless Chromium
// with a fake camera and microphone) in one end-to-end-encrypted VideoRoom, through the whole stack
// (server, media-janus plugin, realtime key exchange, GroupCall). Measures the time until every page
// decodes every other person's video, then Janus's CPU (% of one core) and RSS for BENCH_JANUS_SECONDS
// (60) from /proc/<pid>/stat and /proc/<pid>/status. Runs itself in a network namespace (loopback and
// the veth jv0 that Janus gathers on), so nothing leaves the machine.
//   npm run build && node bench/janus-load.mjs      (needs janus, chromium; root for unshare)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

if (!process.env.SZ_IN_NETNS) {
  const script = fileURLToPath(import.meta.url)
  const inNetns = fileURLToPath(new URL('../scripts/in-netns.sh', import.meta.url))
  const run = spawnSync('bash', [inNetns, 'env', 'SZ_IN_NETNS=1', process.execPath, script], { stdio: 'inherit' })
  process.exit(run.status ?? 1)
}

const { chromium } = await import('playwright-core')
const { default: Janode } = await import('janode')
Janode.Logger.setLevel('none')
const { buildApp, freePort, loadConfig } = await import('@sprechzimmer/core')
const { startJanus } = await import('@sprechzimmer/plugin-media-janus/testing')
const { databaseServer, freshDatabase } = await import('./lib/database.mjs')

const PEOPLE = 4
const SECONDS = Number(process.env.BENCH_JANUS_SECONDS ?? 60)
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
const pagePlugin = fileURLToPath(new URL('../call-client/test/fixtures/group-page.plugin.mjs', import.meta.url))
const janusPlugin = fileURLToPath(new URL('../plugins/media-janus/dist/index.js', import.meta.url))

const janus = await startJanus({ iceInterface: 'jv0' })
Object.assign(process.env, { JANUS_URL: janus.url, JANUS_ADMIN_KEY: janus.adminKey, JANUS_FOR: 'all' })
const port = await freePort()
const base = `http://127.0.0.1:${port}`
const server = await databaseServer()
const database = await freshDatabase(server.url, 'janus')
const dataDir = mkdtempSync(join(tmpdir(), 'sz-bench-janus-'))
const config = loadConfig(
  { LOG_LEVEL: 'silent' },
  {
    sessionSecret: 'bench-secret-that-is-long-enough-for-hmac',
    dataDir,
    plugins: [janusPlugin, pagePlugin],
    publicUrl: base,
    port,
    joinRateLimit: 10_000,
    joinLinkParticipants: 100
  }
)
const app = await buildApp({ config, databaseUrl: database.url, logger: false })
await app.listen({ port, host: '127.0.0.1' })
const browsers = await Promise.all(Array.from({ length: PEOPLE }, () => chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS })))

try {
  const api = async (method, url, body, headers = {}) => {
    const res = await app.inject({ method, url, payload: body, headers })
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    return res
  }
  await api('POST', '/api/auth/register', {
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
  const login = await api('POST', '/api/auth/login', { email: 'bench@example.org', password: 'bench password 123' })
  const cookie = [login.headers['set-cookie']]
    .flat()
    .find(c => c.startsWith('APPSESSION='))
    .split(';')[0]
  const provider = { cookie, 'x-csrf-token': login.json().csrfToken }
  const start = new Date(Date.now() + 60_000).toISOString()
  const end = new Date(Date.now() + 3_600_000).toISOString()
  const created = (await api('POST', '/api/consultations', { title: 'Bench', start, end, participants: [{ email: 'c@example.org' }] }, provider)).json()
  const token = created.invitations[0].joinUrl.split('/join/')[1]
  const clients = []
  for (let i = 1; i < PEOPLE; i++) {
    const entered = (await api('POST', `/api/join/${token}`, { displayName: `Client ${i}` })).json()
    await api('POST', `/api/consultations/${created.id}/participants/${entered.participantId}/admit`, undefined, provider)
    clients.push(entered)
  }
  const contexts = await Promise.all(browsers.map(b => b.newContext()))
  await contexts[0].addCookies([{ name: 'APPSESSION', value: cookie.split('=')[1], domain: '127.0.0.1', path: '/' }])
  for (const [i, c] of clients.entries()) await contexts[i + 1].addCookies([{ name: 'SZ_PARTICIPANT', value: c.credential, domain: '127.0.0.1', path: '/api' }])
  const pages = await Promise.all(contexts.map(c => c.newPage()))
  await Promise.all(pages.map(p => p.goto(`${base}/group-test/`)))

  const t0 = performance.now()
  await Promise.all(
    pages.map((page, i) => page.evaluate(o => window.startGroup(o), { consultationId: created.id, role: i === 0 ? 'provider' : 'participant' }))
  )
  const joinedMs = performance.now() - t0
  const allDecoding = async () => {
    for (const page of pages) {
      const frames = Object.values(await page.evaluate(() => window.framesByPeer()))
      if (frames.length < PEOPLE - 1 || frames.some(f => f.frames === 0)) return false
    }
    return true
  }
  const deadline = Date.now() + 60_000
  while (!(await allDecoding())) {
    if (Date.now() > deadline) throw new Error('not every stream decoded within 60 s')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const decodingMs = performance.now() - t0

  const ticks = () => {
    const f = readFileSync(`/proc/${janus.pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return Number(f[11]) + Number(f[12])
  }
  const rssMb = () => Number(readFileSync(`/proc/${janus.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024
  const HZ = 100
  const samples = []
  let last = ticks()
  let lastAt = performance.now()
  for (let s = 0; s < SECONDS; s++) {
    await new Promise(resolve => setTimeout(resolve, 1000))
    const now = ticks()
    const at = performance.now()
    samples.push({ cpu: (100 * (now - last)) / HZ / ((at - lastAt) / 1000), rss: rssMb() })
    last = now
    lastAt = at
  }
  const frames = await Promise.all(pages.map(p => p.evaluate(() => window.framesByPeer())))
  const cpu = samples.map(s => s.cpu).sort((a, b) => a - b)
  const mean = cpu.reduce((a, b) => a + b, 0) / cpu.length
  const rss = samples.map(s => s.rss)
  console.log(`Janus, ${PEOPLE} people in one encrypted room (${PEOPLE} publishers, ${PEOPLE * (PEOPLE - 1)} subscriptions), ${SECONDS} s:`)
  console.table({
    'joins done (ms)': Math.round(joinedMs),
    'all streams decoding (ms)': Math.round(decodingMs),
    'Janus CPU mean (% of one core)': Math.round(mean * 10) / 10,
    'Janus CPU p95 (%)': Math.round(cpu[Math.floor(cpu.length * 0.95)] * 10) / 10,
    'Janus RSS at start (MB)': Math.round(rss[0] * 10) / 10,
    'Janus RSS max (MB)': Math.round(Math.max(...rss) * 10) / 10,
    'min frames decoded per stream': Math.min(...frames.flatMap(f => Object.values(f).map(x => x.frames)))
  })
} finally {
  for (const b of browsers) await b.close().catch(() => {})
  await app.close()
  await janus.stop()
  await database.drop?.().catch(() => {})
  await server.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
