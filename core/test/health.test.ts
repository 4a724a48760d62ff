import t from 'tap'
import { build } from './helpers.js'

t.test('GET /health answers ok after a database round trip', async t => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'GET', url: '/health' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
})
