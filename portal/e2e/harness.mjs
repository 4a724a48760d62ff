// The real server (core's buildApp on a fresh database) serving this build, and Debian's Chromium.
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { chromium } from 'playwright-core'
import { buildApp } from '@sprechzimmer/core'
import { createDatabase, setFinalTeardown, testConfig } from '@sprechzimmer/core/testing'

export const CHROMIUM = '/usr/bin/chromium'
export const PORTAL_DIR = fileURLToPath(new URL('../dist/browser', import.meta.url))
const require = createRequire(import.meta.url)
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

// Without DATABASE_URL the helpers start an embedded PostgreSQL; it must stop after our database is dropped.
let stopEmbedded = async () => {}
setFinalTeardown(fn => {
  stopEmbedded = fn
})

async function freePort() {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** Starts the app on 127.0.0.1 with the portal build; close() also drops its database. */
export async function startServer(overrides = {}) {
  assert.ok(existsSync(`${PORTAL_DIR}/index.html`), `no portal build in ${PORTAL_DIR}: run npm run build first`)
  const db = await createDatabase()
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const config = testConfig({ port, host: '127.0.0.1', publicUrl: base, portalDir: PORTAL_DIR, ...overrides })
  const app = await buildApp({ config, databaseUrl: db.url, logger: false })
  await app.listen({ port, host: '127.0.0.1' })
  return {
    app,
    base,
    close: async () => {
      await app.close()
      await db.drop()
      await stopEmbedded()
    }
  }
}

/** Chromium from Debian, never a downloaded browser; without it the e2e tests fail. */
export async function launchBrowser() {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (the e2e tests need it)`)
  // launch() gives every run a new, empty user-data-dir of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
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
      // WebRTC gathers no candidates on loopback without it; the test server is on 127.0.0.1.
      '--allow-loopback-in-peer-connection'
    ]
  })
  return browser
}

/**
 * A browser context that records every request its pages make and every CSP complaint, so the
 * tests can prove the portal talks to its own origin only and runs under its strict policy.
 */
export async function recordedContext(browser, base, options = {}) {
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', permissions: ['camera', 'microphone'], ...options })
  const requests = []
  const problems = []
  context.on('page', page => watch(page, requests, problems))
  return { context, requests, problems, base }
}

function watch(page, requests, problems) {
  page.on('request', request => requests.push(request.url()))
  page.on('websocket', socket => requests.push(socket.url()))
  page.on('console', message => {
    if (message.type() === 'error' && /Content[- ]Security[- ]Policy|Refused to/i.test(message.text())) problems.push(message.text())
  })
  page.on('pageerror', err => problems.push(`page error: ${err.message}`))
}

/** axe-core in the page (evaluated through the DevTools protocol, which the CSP does not block). */
export async function assertAccessible(page, label) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] })
    return result.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')) }))
  })
  assert.deepEqual(violations, [], `axe on ${label}: ${JSON.stringify(violations, null, 1)}`)
}

export function assertSameOrigin(requests, base) {
  const origin = new URL(base)
  const foreign = requests.filter(url => {
    const u = new URL(url)
    return u.host !== origin.host || !['http:', 'ws:', 'blob:', 'data:'].includes(u.protocol)
  })
  assert.deepEqual(foreign, [], "every request goes to the portal's own origin")
  assert.ok(requests.length > 0)
}
