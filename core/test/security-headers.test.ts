import t from 'tap'
import Fastify from 'fastify'
import helmet from '@fastify/helmet'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_SECURITY_HEADERS, PERMISSIONS_POLICY } from '../src/http/security-headers.js'
import { build } from './helpers.js'

t.test('the fixed security headers are exactly what helmet sets with its defaults', async t => {
  const bare = Fastify()
  t.teardown(() => bare.close())
  await bare.register(helmet, { global: true })
  bare.get('/', async () => ({ ok: true }))
  const res = await bare.inject({ method: 'GET', url: '/' })
  const fromHelmet: Record<string, string> = {}
  for (const name of Object.keys(res.headers)) {
    if (!['content-type', 'content-length', 'date', 'connection', 'keep-alive'].includes(name)) fromHelmet[name] = String(res.headers[name])
  }
  t.same(fromHelmet, DEFAULT_SECURITY_HEADERS)
})

const ROUTES = [
  ['GET', '/health'],
  ['GET', '/api/join/nope'],
  ['POST', '/api/nowhere'],
  ['GET', '/legal/privacy'],
  ['POST', '/api/auth/login']
] as const

function portalBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sz-portal-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><title>Sprechzimmer</title></head><body></body></html>')
  return dir
}

t.test('over http: the default headers without HSTS, and a Permissions-Policy, on API answers, errors and HTML', async t => {
  const { app } = await build(t, { publicUrl: 'http://praxis.lan:3000', portalDir: portalBuild() })
  for (const [method, url] of ROUTES) {
    const res = await app.inject({ method, url })
    for (const [name, value] of Object.entries(DEFAULT_SECURITY_HEADERS)) {
      if (name !== 'strict-transport-security') t.equal(res.headers[name], value, `${method} ${url} (${res.statusCode}): ${name}`)
    }
    t.equal(res.headers['strict-transport-security'], undefined, `${method} ${url}: no HSTS over http`)
    t.equal(res.headers['permissions-policy'], PERMISSIONS_POLICY, `${method} ${url}: permissions-policy`)
  }
  const page = await app.inject({ method: 'GET', url: '/today', headers: { accept: 'text/html' } })
  t.equal(page.statusCode, 200)
  t.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/, 'the portal page keeps its own CSP')
  t.equal(page.headers['strict-transport-security'], undefined, 'the portal page: no HSTS over http')
  t.equal(page.headers['permissions-policy'], PERMISSIONS_POLICY, 'the portal page: permissions-policy')
})

t.test('over https: HSTS on API answers, errors, HTML and the portal pages', async t => {
  const { app } = await build(t, { publicUrl: 'https://praxis.example.org', portalDir: portalBuild() })
  for (const [method, url] of ROUTES) {
    const res = await app.inject({ method, url })
    for (const [name, value] of Object.entries(DEFAULT_SECURITY_HEADERS)) t.equal(res.headers[name], value, `${method} ${url} (${res.statusCode}): ${name}`)
    t.equal(res.headers['permissions-policy'], PERMISSIONS_POLICY, `${method} ${url}: permissions-policy`)
  }
  const page = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } })
  t.equal(page.headers['strict-transport-security'], DEFAULT_SECURITY_HEADERS['strict-transport-security'], 'the portal page: HSTS')
  t.equal(page.headers['permissions-policy'], PERMISSIONS_POLICY, 'the portal page: permissions-policy')
})

t.test('the Permissions-Policy lets this origin use camera, microphone and screen sharing, and nothing else powerful', async t => {
  const policy = Object.fromEntries(PERMISSIONS_POLICY.split(', ').map(d => d.split('=')))
  for (const feature of ['camera', 'microphone', 'display-capture']) t.equal(policy[feature], '(self)', feature)
  for (const feature of ['geolocation', 'payment', 'usb', 'serial', 'bluetooth', 'hid', 'midi']) t.equal(policy[feature], '()', `${feature} is off`)
  t.notOk(
    Object.values(policy).some(v => v === '*'),
    'no feature for every origin'
  )
})
