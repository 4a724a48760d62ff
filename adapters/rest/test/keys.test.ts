import t from 'tap'
import { restApp, provider, as, apiKey, api, appointment, query } from './helpers.js'

t.test('API key life cycle: created by the practice admin, listed without the key, usable, revoked at once', async t => {
  const { app, databaseUrl, logs } = await restApp(t)
  const admin = await provider(app)
  const req = as(app, admin)

  const created = await req('POST', '/api/practice/api-keys', { name: 'Praxissoftware', scopes: ['appointments:read', 'appointments:write'] })
  t.equal(created.statusCode, 201)
  const { id, key, prefix } = created.json()
  t.match(key, /^szk_[A-Za-z0-9_-]{43}$/, '256-bit key')
  t.equal(prefix, key.slice(0, 12))
  const rows = await query(databaseUrl, 'select key_hash, scopes from rest_api_key where id = $1', [id])
  t.equal(rows[0].key_hash.length, 64, 'stored as a hash')
  t.notMatch(JSON.stringify(rows), key.slice(4), 'the key itself is nowhere in the table')

  const list = await req('GET', '/api/practice/api-keys')
  t.equal(list.statusCode, 200)
  t.same(
    list.json().map((k: any) => k.id),
    [id]
  )
  t.notOk('key' in list.json()[0], 'the list never shows the key')
  t.same(list.json()[0].scopes, ['appointments:read', 'appointments:write'])

  const call = api(app, key)
  t.equal((await call('GET', '/api/v1/appointments')).statusCode, 200, 'the key works')
  t.not((await req('GET', '/api/practice/api-keys')).json()[0].lastUsedAt, null, 'and its use is recorded')

  const token = await call('POST', '/api/v1/token')
  t.equal(token.statusCode, 200)
  const jwt = token.json().accessToken
  t.equal((await api(app, jwt)('GET', '/api/v1/appointments')).statusCode, 200, 'a token made from the key works too')

  t.equal((await req('DELETE', `/api/practice/api-keys/${id}`)).statusCode, 204)
  const after = await call('GET', '/api/v1/appointments')
  t.equal(after.statusCode, 401, 'a revoked key answers 401 at once')
  t.equal(after.json().code, 'SZ_UNAUTHORIZED')
  t.equal((await api(app, jwt)('GET', '/api/v1/appointments')).statusCode, 401, 'and so does every token made from it')
  t.same((await req('GET', '/api/practice/api-keys')).json(), [], 'gone from the list')
  t.equal((await req('DELETE', `/api/practice/api-keys/${id}`)).statusCode, 404, 'revoking twice is 404')
  const trail = await query(databaseUrl, "select kind, user_id, practice_id, network from security_event where kind like 'api-key-%' order by id")
  t.same(
    trail,
    ['api-key-created', 'api-key-revoked'].map(kind => ({ kind, user_id: admin.userId, practice_id: admin.practiceId, network: '127.0.0.0' })),
    'the security events say who created and revoked a key, never the key'
  )

  t.equal((await app.inject({ method: 'GET', url: '/api/v1/appointments' })).statusCode, 401, 'no key: 401')
  t.equal((await api(app, 'szk_' + 'A'.repeat(43))('GET', '/api/v1/appointments')).statusCode, 401, 'unknown key: 401')
  t.equal((await api(app, 'not.a.jwt')('GET', '/api/v1/appointments')).statusCode, 401, 'garbage: 401')
  t.equal(
    (await app.inject({ method: 'POST', url: '/api/practice/api-keys', payload: { name: 'x', scopes: ['webhooks'] } })).statusCode,
    401,
    'no session: 401'
  )
  t.equal(
    (await app.inject({ method: 'POST', url: '/api/practice/api-keys', payload: { name: 'x', scopes: ['webhooks'] }, headers: { cookie: admin.cookie } }))
      .statusCode,
    403,
    'no CSRF token: 403'
  )

  t.notMatch(logs.join(''), key.slice(4), 'the key never appears in the log')
  t.notMatch(logs.join(''), jwt, 'nor the token')
})

t.test('scopes limit what a key may do', async t => {
  const { app } = await restApp(t)
  const admin = await provider(app)
  const { key } = await apiKey(app, admin, ['appointments:read'])
  const call = api(app, key)
  t.equal((await call('GET', '/api/v1/appointments')).statusCode, 200)
  const write = await call('POST', '/api/v1/appointments', appointment({}, admin.email))
  t.equal(write.statusCode, 403)
  t.equal(write.json().code, 'SZ_API_KEY_SCOPE_MISSING')
  t.equal((await call('GET', '/api/v1/webhooks')).json().code, 'SZ_API_KEY_SCOPE_MISSING')
  const bad = await as(app, admin)('POST', '/api/practice/api-keys', { name: 'x', scopes: ['everything'] })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'SZ_VALIDATION')
  t.equal((await as(app, admin)('POST', '/api/practice/api-keys', { name: 'x', scopes: [] })).statusCode, 400, 'at least one scope')
})

t.test('keys of practice A never see practice B', async t => {
  const { app } = await restApp(t)
  const a = await provider(app, 'Praxis A')
  const b = await provider(app, 'Praxis B')
  const callA = api(app, (await apiKey(app, a)).key)
  const callB = api(app, (await apiKey(app, b)).key)

  const ofB = await callB('POST', '/api/v1/appointments', appointment({ externalId: 'B-1' }, b.email))
  t.equal(ofB.statusCode, 201)
  const id = ofB.json().id
  t.equal((await callA('GET', `/api/v1/appointments/${id}`)).statusCode, 404, 'not by id')
  t.equal((await callA('GET', '/api/v1/appointments/B-1')).statusCode, 404, 'not by externalId')
  t.equal((await callA('PATCH', `/api/v1/appointments/${id}`, { title: 'x' })).statusCode, 404)
  t.equal((await callA('POST', `/api/v1/appointments/${id}/cancel`)).statusCode, 404)
  t.equal((await callA('POST', `/api/v1/appointments/${id}/no-show`)).statusCode, 404)
  t.same((await callA('GET', '/api/v1/appointments')).json().items, [], 'not in the list')
  const foreignProvider = await callA('POST', '/api/v1/appointments', appointment({}, b.email))
  t.equal(foreignProvider.statusCode, 422, "B's provider cannot be booked with A's key")
  t.equal(foreignProvider.json().code, 'SZ_PROVIDER_UNKNOWN')
  t.equal((await callA('POST', '/api/v1/appointments', appointment({ externalId: 'B-1' }, a.email))).statusCode, 201, 'externalIds are per practice')

  const keysOfB = await as(app, b)('GET', '/api/practice/api-keys')
  const keyOfB = keysOfB.json()[0].id
  t.equal((await as(app, a)('DELETE', `/api/practice/api-keys/${keyOfB}`)).statusCode, 404, "A's admin cannot revoke B's key")
  t.equal((await as(app, a)('GET', '/api/practice/api-keys')).json().length, 1, 'and lists only its own')
  t.equal((await callB('GET', `/api/v1/appointments/${id}`)).statusCode, 200, "B's key still works")
})
