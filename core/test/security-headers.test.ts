import t from 'tap'
import Fastify from 'fastify'
import helmet from '@fastify/helmet'
import { DEFAULT_SECURITY_HEADERS } from '../src/http/security-headers.js'
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

t.test('API answers, errors and HTML outside the portal carry the default headers', async t => {
  const { app } = await build(t)
  for (const [method, url] of [['GET', '/health'], ['GET', '/api/join/nope'], ['POST', '/api/nowhere'], ['GET', '/legal/privacy']] as const) {
    const res = await app.inject({ method, url })
    for (const [name, value] of Object.entries(DEFAULT_SECURITY_HEADERS)) t.equal(res.headers[name], value, `${method} ${url} (${res.statusCode}): ${name}`)
  }
})
