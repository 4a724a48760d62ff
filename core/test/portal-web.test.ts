import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { build } from './helpers.js'

const INDEX = '<!doctype html><html lang="de"><head><title>Sprechzimmer</title></head><body><sz-root></sz-root></body></html>'

function portalBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sz-portal-'))
  writeFileSync(join(dir, 'index.html'), INDEX)
  writeFileSync(join(dir, 'main-ABCD1234.js'), 'console.log(1)')
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  mkdirSync(join(dir, 'media'))
  writeFileSync(join(dir, 'media', 'knock-XYZ98765.css'), 'a{}')
  return dir
}

const html = { accept: 'text/html,application/xhtml+xml' }

t.test('serves the portal build with a strict CSP and an SPA fallback for navigations', async t => {
  const { app, logs } = await build(t, { portalDir: portalBuild(), publicUrl: 'http://localhost:3000' })

  const root = await app.inject({ method: 'GET', url: '/', headers: html })
  t.equal(root.statusCode, 200)
  t.equal(root.body, INDEX)
  t.match(root.headers['content-type'], /text\/html/)
  t.equal(root.headers['cache-control'], 'no-cache')
  t.equal(
    (await app.inject({ method: 'GET', url: '/', headers: { accept: '*/*' } })).body,
    INDEX,
    'the start page also for clients that accept anything (curl)'
  )
  const csp = String(root.headers['content-security-policy'])
  t.match(csp, /default-src 'self'/)
  t.match(csp, /script-src 'self'(;|$)/, 'no inline or remote scripts')
  t.match(csp, /style-src 'self'(;|$)/, 'no inline styles')
  t.match(csp, /img-src 'self' blob:/)
  t.match(csp, /media-src 'self' blob:/)
  t.match(csp, /connect-src 'self' ws:\/\/localhost:3000/)
  t.match(csp, /frame-ancestors 'none'/)
  t.notMatch(csp, /unsafe-inline|https:|\*/)

  for (const url of [
    '/join/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ',
    '/today',
    '/consultations/5b0c6f1e-1d2e-4a8e-9c3b-2f1e0d9c8b7a',
    '/password-reset?x=1'
  ]) {
    const res = await app.inject({ method: 'GET', url, headers: html })
    t.equal(res.statusCode, 200, `${url} falls back to index.html`)
    t.equal(res.body, INDEX)
  }

  const hashed = await app.inject({ method: 'GET', url: '/main-ABCD1234.js' })
  t.equal(hashed.statusCode, 200)
  t.equal(hashed.body, 'console.log(1)')
  t.match(hashed.headers['content-type'], /javascript/)
  t.equal(hashed.headers['cache-control'], 'public, max-age=31536000, immutable')
  const nested = await app.inject({ method: 'GET', url: '/media/knock-XYZ98765.css' })
  t.equal(nested.headers['cache-control'], 'public, max-age=31536000, immutable')

  const icon = await app.inject({ method: 'GET', url: '/favicon.svg' })
  t.equal(icon.statusCode, 200)
  t.equal(icon.headers['cache-control'], 'public, max-age=0, must-revalidate', 'unhashed files are revalidated')

  t.ok(logs.every(line => !line.includes('portal: no build found')))
})

t.test('the pages may also connect to the media server that the media provider names', async t => {
  const recording = fileURLToPath(new URL('./fixtures/recording-media.plugin.mjs', import.meta.url))
  const { app } = await build(t, { portalDir: portalBuild(), publicUrl: 'http://localhost:3000', plugins: [recording] })
  const csp = String((await app.inject({ method: 'GET', url: '/', headers: html })).headers['content-security-policy'])
  t.match(csp, /connect-src 'self' ws:\/\/localhost:3000 wss:\/\/media\.example\.org(;|$)/)
})

t.test('leaves the server paths, missing files and non-navigations alone', async t => {
  const { app } = await build(t, { portalDir: portalBuild() })

  const health = await app.inject({ method: 'GET', url: '/health', headers: html })
  t.same(health.json(), { status: 'ok' })
  for (const url of ['/api/nope', '/api', '/docs/nope', '/cal/nope.ics', '/legal/nope', '/health/x']) {
    const res = await app.inject({ method: 'GET', url, headers: html })
    t.equal(res.statusCode, 404, `${url} is the server's 404`)
    t.not(res.body, INDEX)
    t.match(res.json(), { code: 'SZ_ROUTE_NOT_FOUND' })
  }
  const missingAsset = await app.inject({ method: 'GET', url: '/chunk-NOPE1234.js', headers: html })
  t.equal(missingAsset.statusCode, 404, 'a missing file is not answered with the page')
  const api = await app.inject({ method: 'GET', url: '/today', headers: { accept: 'application/json' } })
  t.equal(api.statusCode, 404, 'only navigations get the page')
  const traversal = await app.inject({ method: 'GET', url: '/..%2f..%2fetc%2fpasswd', headers: html })
  t.notMatch(traversal.body, /root:/, 'no file outside the build')
  t.equal(traversal.body, INDEX, 'an escaping path is just another navigation')
  const badEncoding = await app.inject({ method: 'GET', url: '/%E0%A4%A', headers: html })
  t.ok([400, 404].includes(badEncoding.statusCode), 'a malformed path is refused')
  const post = await app.inject({ method: 'POST', url: '/today', headers: html })
  t.equal(post.statusCode, 404)
})

t.test('without a build the server starts, logs one line and serves no page', async t => {
  const { app, logs } = await build(t, { portalDir: join(tmpdir(), 'sz-portal-does-not-exist') })
  const res = await app.inject({ method: 'GET', url: '/', headers: html })
  t.equal(res.statusCode, 404)
  t.ok(logs.some(line => line.includes('portal: no build found')))
})
