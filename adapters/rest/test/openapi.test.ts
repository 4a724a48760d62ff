import t from 'tap'
import { Validator } from '@seriousme/openapi-schema-validator'
import { restApp } from './helpers.js'

const ROUTES: Array<[string, string]> = [
  ['post', '/api/practice/api-keys'],
  ['get', '/api/practice/api-keys'],
  ['delete', '/api/practice/api-keys/{id}'],
  ['post', '/api/v1/token'],
  ['post', '/api/v1/appointments'],
  ['get', '/api/v1/appointments'],
  ['get', '/api/v1/appointments/{id}'],
  ['patch', '/api/v1/appointments/{id}'],
  ['post', '/api/v1/appointments/{id}/cancel'],
  ['post', '/api/v1/appointments/{id}/no-show'],
  ['post', '/api/v1/webhooks'],
  ['get', '/api/v1/webhooks'],
  ['delete', '/api/v1/webhooks/{id}']
]

t.test('the OpenAPI document validates and describes every practice API route', async t => {
  const { app } = await restApp(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  const result = await new Validator().validate(doc)
  t.ok(result.valid, `valid OpenAPI ${doc.openapi}${result.valid ? '' : ': ' + JSON.stringify(result.errors).slice(0, 2000)}`)

  const v1 = Object.entries(doc.paths as Record<string, Record<string, any>>)
    .filter(([p]) => p.startsWith('/api/v1/'))
    .flatMap(([p, ops]) => Object.keys(ops).map(m => `${m} ${p}`))
  const expected = ROUTES.filter(([, p]) => p.startsWith('/api/v1/')).map(([m, p]) => `${m} ${p}`)
  t.same(v1.sort(), expected.sort(), 'exactly the /api/v1 routes')

  for (const [method, path] of ROUTES) {
    const op = doc.paths[path]?.[method]
    t.ok(op, `${method.toUpperCase()} ${path} is listed`)
    if (!op) continue
    t.ok(op.tags?.length, `${path}: tagged`)
    t.ok(op.summary, `${path}: summarised`)
    const statuses = Object.keys(op.responses)
    t.ok(
      statuses.some(s => /^2/.test(s)),
      `${method} ${path}: a success response`
    )
    t.ok(statuses.includes('401'), `${method} ${path}: 401 described`)
    for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
      if (status !== '204') t.ok(response.content?.['application/json']?.schema, `${method} ${path} ${status}: has a schema`)
    }
  }
  const create = doc.paths['/api/v1/appointments'].post
  t.ok(create.requestBody.content['application/json'].schema, 'the body is described')
  t.ok(
    create.parameters.some((p: any) => p.in === 'header' && p.name === 'idempotency-key'),
    'the Idempotency-Key header is described'
  )
  t.ok(
    doc.paths['/api/v1/appointments'].get.parameters.some((p: any) => p.in === 'query' && p.name === 'cursor'),
    'the cursor is described'
  )
})
