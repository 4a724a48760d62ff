// The client's join page on a weak phone's budget: how much JavaScript it needs before the name can
// be typed (gzip bytes) and how long that takes in Chromium on loopback, against a static HTML page
// with the same form served by the same server in the same run.
//   node bench/join-page.mjs          (needs `npm run build` first and /usr/bin/chromium)
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { PORTAL_DIR, launchBrowser, startServer } from '../portal/e2e/harness.mjs'

const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const GOAL_GZIP = 150 * 1024
const GOAL_MS = 1000

// The build plus one static page, so both are served by the same server the same way.
const dir = mkdtempSync(join(tmpdir(), 'sz-bench-portal-'))
cpSync(PORTAL_DIR, dir, { recursive: true })
writeFileSync(
  join(dir, 'static-join.html'),
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Join</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main><h1>Your video consultation</h1>
<form><label>Your full name <input name="displayName" required></label><button>Enter the waiting room</button></form></main></body></html>`
)

const server = await startServer({ portalDir: dir })
const { base } = server
const browser = await launchBrowser()

async function api(path, body, headers = {}) {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return res
}

const email = `bench.${process.pid}@example.org`
await api('/api/auth/register', {
  kind: 'provider',
  email,
  password: 'a long password',
  firstName: 'Anna',
  lastName: 'Sommer',
  practice: {
    name: 'Praxis Sommer',
    type: 'Psychotherapie',
    street: 'Hauptstr. 1',
    postalCode: '10115',
    city: 'Berlin',
    country: 'DE',
    contactName: 'Anna Sommer',
    contactEmail: 'praxis@example.org',
    iban: 'DE89370400440532013000',
    accountHolder: 'Anna Sommer'
  }
})
const login = await api('/api/auth/login', { email, password: 'a long password' })
const cookie = login.headers.get('set-cookie').split(';')[0]
const { csrfToken } = await login.json()
const start = new Date(Date.now() + 5 * 60_000)
const scheduled = await (
  await api(
    '/api/consultations',
    { title: 'Bench', start: start.toISOString(), end: new Date(start.getTime() + 1_800_000).toISOString(), participants: [{ email: 'client@example.org' }] },
    { cookie, 'x-csrf-token': csrfToken }
  )
).json()
const joinUrl = scheduled.invitations[0].joinUrl

/** One cold load in a fresh context: script bytes (gzip) and ms until the name field exists. */
async function load(url) {
  const context = await browser.newContext()
  const page = await context.newPage()
  // Runs before any page script (DevTools protocol, not subject to the page's CSP).
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      const field = document.querySelector('input[name=displayName]')
      if (field) {
        window.__ready = performance.now()
        observer.disconnect()
      }
    }).observe(document, { childList: true, subtree: true })
  })
  const scripts = []
  page.on('response', response => {
    if (response.request().resourceType() === 'script') scripts.push(response)
  })
  await page.goto(url)
  await page.waitForFunction(() => window.__ready !== undefined)
  const ms = await page.evaluate(() => window.__ready)
  let gzip = 0
  let raw = 0
  for (const response of scripts) {
    const body = await response.body()
    raw += body.length
    gzip += gzipSync(body).length
  }
  await context.close()
  return { ms, gzip, raw, files: scripts.length }
}

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const results = { join: [], static: [] }
await load(joinUrl) // warm up the server and Chromium
for (let i = 0; i < RUNS; i++) {
  results.join.push(await load(joinUrl))
  results.static.push(await load(`${base}/static-join.html`))
}
await browser.close()
await server.close()

const joinPage = { ms: median(results.join.map(r => r.ms)), gzip: results.join[0].gzip, raw: results.join[0].raw, files: results.join[0].files }
const plain = { ms: median(results.static.map(r => r.ms)), gzip: results.static[0].gzip }
console.log(`join page (${RUNS} cold loads, median)`)
console.log(
  `  initial JavaScript: ${(joinPage.gzip / 1024).toFixed(1)} kB gzip ` +
    `(${(joinPage.raw / 1024).toFixed(1)} kB raw, ${joinPage.files} files)   goal ≤ ${GOAL_GZIP / 1024} kB`
)
console.log(`  name field ready:   ${joinPage.ms.toFixed(0)} ms   goal < ${GOAL_MS} ms`)
console.log(`static HTML page:     ${plain.ms.toFixed(0)} ms, ${plain.gzip} bytes of JavaScript`)
console.log(`ratio join/static:    ${(joinPage.ms / plain.ms).toFixed(1)}×`)
const ok = joinPage.gzip <= GOAL_GZIP && joinPage.ms < GOAL_MS
console.log(ok ? 'within the goals' : 'OUTSIDE the goals')
process.exitCode = ok ? 0 : 1
