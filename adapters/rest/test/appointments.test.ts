import t from 'tap'
import { restApp, provider, as, apiKey, api, appointment, inMinutes, query } from './helpers.js'

t.test('book, read by id and externalId, list with cursor and filters, reschedule, cancel', async t => {
  const { app, logs } = await restApp(t)
  const admin = await provider(app)
  const call = api(app, (await apiKey(app, admin)).key)

  const res = await call(
    'POST',
    '/api/v1/appointments',
    appointment(
      { externalId: 'PVS-4711', clients: [{ email: 'Patient@Example.org', name: 'Maria Muster', locale: 'de' }, { email: 'zwei@example.org' }] },
      admin.email
    )
  )
  t.equal(res.statusCode, 201)
  const created = res.json()
  t.equal(created.state, 'scheduled')
  t.equal(created.externalId, 'PVS-4711')
  t.equal(created.providerId, admin.userId)
  t.equal(created.clients.length, 2)
  t.equal(created.clients[0].email, 'patient@example.org')
  for (const c of created.clients) t.match(c.joinUrl, /^http:\/\/localhost:3000\/join\/[A-Za-z0-9_-]{43}$/, 'one join link per client')

  const byId = await call('GET', `/api/v1/appointments/${created.id}`)
  t.equal(byId.statusCode, 200)
  t.same(
    byId.json().clients.map((c: any) => c.joinUrl),
    created.clients.map((c: any) => c.joinUrl)
  )
  const byExternal = await call('GET', '/api/v1/appointments/PVS-4711')
  t.equal(byExternal.json().id, created.id, 'by externalId too')
  t.equal((await call('GET', '/api/v1/appointments/unknown')).statusCode, 404)

  const withProviderId = await call(
    'POST',
    '/api/v1/appointments',
    appointment({ providerId: admin.userId, start: inMinutes(120), end: inMinutes(150), clients: [] })
  )
  t.equal(withProviderId.statusCode, 201, 'providerId works as well as providerEmail')
  for (let i = 0; i < 3; i++) {
    t.equal(
      (await call('POST', '/api/v1/appointments', appointment({ start: inMinutes(200 + i * 60), end: inMinutes(230 + i * 60) }, admin.email))).statusCode,
      201
    )
  }

  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const page: any = await call('GET', `/api/v1/appointments?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
    t.equal(page.statusCode, 200)
    seen.push(...page.json().items.map((a: any) => a.id))
    cursor = page.json().nextCursor
    pages++
  } while (cursor)
  t.equal(pages, 3, 'five appointments in pages of two')
  t.equal(new Set(seen).size, 5, 'each once')
  t.equal(seen[0], created.id, 'oldest start first')

  const to = encodeURIComponent(inMinutes(100))
  t.same(
    (await call('GET', `/api/v1/appointments?to=${to}`)).json().items.map((a: any) => a.id),
    [created.id],
    'to filters by start'
  )
  const from = encodeURIComponent(inMinutes(240))
  t.equal((await call('GET', `/api/v1/appointments?from=${from}`)).json().items.length, 2, 'from filters by end')

  const since = new Date().toISOString()
  await new Promise(resolve => setTimeout(resolve, 20))
  const patched = await call('PATCH', '/api/v1/appointments/PVS-4711', { title: 'Folgetermin', start: inMinutes(70), end: inMinutes(100) })
  t.equal(patched.statusCode, 200)
  t.equal(patched.json().title, 'Folgetermin')
  t.equal(patched.json().externalId, 'PVS-4711')
  t.same(
    (await call('GET', `/api/v1/appointments?updatedSince=${encodeURIComponent(since)}`)).json().items.map((a: any) => a.id),
    [created.id],
    'updatedSince finds the change'
  )

  const cancelled = await call('POST', `/api/v1/appointments/${created.id}/cancel`)
  t.equal(cancelled.statusCode, 200)
  t.equal(cancelled.json().state, 'cancelled')
  t.equal((await call('POST', `/api/v1/appointments/${created.id}/cancel`)).statusCode, 200, 'cancelling again answers the same')
  t.same(
    (await call('GET', '/api/v1/appointments?state=cancelled')).json().items.map((a: any) => a.id),
    [created.id],
    'state filter'
  )
  t.equal(
    (await call('PATCH', `/api/v1/appointments/${created.id}`, { start: inMinutes(80), end: inMinutes(110) })).statusCode,
    409,
    'a cancelled appointment cannot be moved'
  )

  const log = logs.join('')
  t.notMatch(log, /patient@example\.org|Maria|\/join\//i, 'no address, name or link in the log')
})

t.test('idempotency: concurrent identical requests create exactly one appointment; another body is 422', async t => {
  const { app, databaseUrl } = await restApp(t)
  const admin = await provider(app)
  const call = api(app, (await apiKey(app, admin)).key)
  const body = appointment({}, admin.email)
  const headers = { 'idempotency-key': 'req-0001' }

  const answers = await Promise.all(Array.from({ length: 10 }, () => call('POST', '/api/v1/appointments', body, headers)))
  t.same(
    answers.map((a: any) => a.statusCode),
    Array(10).fill(201),
    'every retry gets the first answer'
  )
  const ids = new Set(answers.map((a: any) => a.json().id))
  t.equal(ids.size, 1, 'one id for all')
  t.equal((await query(databaseUrl, 'select count(*)::int as n from consultation'))[0].n, 1, 'exactly one row')
  t.equal(answers.filter((a: any) => a.headers['idempotent-replayed'] === 'true').length, 9, 'nine replays')
  t.same(answers[9].json().clients, answers[0].json().clients, 'with the same join links')

  const other = await call('POST', '/api/v1/appointments', { ...body, title: 'Anders' }, headers)
  t.equal(other.statusCode, 422)
  t.equal(other.json().code, 'SZ_IDEMPOTENCY_KEY_REUSED')

  const stored = await query(databaseUrl, 'select response::text as r from rest_idempotency')
  t.notMatch(stored[0].r, /patient@example\.org|\/join\//, 'the stored answer holds no address and no link')

  // The same externalId, concurrently and without a header: one appointment too.
  const byExternal = { ...appointment({ start: inMinutes(120), end: inMinutes(150) }, admin.email), externalId: 'PVS-1' }
  const twins = await Promise.all(Array.from({ length: 8 }, () => call('POST', '/api/v1/appointments', byExternal)))
  t.same(
    twins.map((a: any) => a.statusCode),
    Array(8).fill(201)
  )
  t.equal(new Set(twins.map((a: any) => a.json().id)).size, 1)
  t.equal((await query(databaseUrl, 'select count(*)::int as n from consultation'))[0].n, 2, 'one more row, not eight')
  const changed = await call('POST', '/api/v1/appointments', { ...byExternal, title: 'Anders' })
  t.equal(changed.statusCode, 409)
  t.equal(changed.json().code, 'SZ_EXTERNAL_ID_TAKEN')
})

t.test('no-show: ends a waiting consultation or marks an ended one; never once a client was admitted', async t => {
  const { app } = await restApp(t)
  const admin = await provider(app)
  const call = api(app, (await apiKey(app, admin)).key)

  const future = (await call('POST', '/api/v1/appointments', appointment({}, admin.email))).json()
  const early = await call('POST', `/api/v1/appointments/${future.id}/no-show`)
  t.equal(early.statusCode, 409, 'not before the appointment')
  t.equal(early.json().code, 'SZ_INVALID_STATE')

  const started = (await call('POST', '/api/v1/appointments', appointment({ start: inMinutes(-2), end: inMinutes(30) }, admin.email))).json()
  t.equal(started.state, 'waiting')
  const marked = await call('POST', `/api/v1/appointments/${started.id}/no-show`)
  t.equal(marked.statusCode, 200)
  t.equal(marked.json().state, 'ended')
  t.equal(marked.json().noShow, true)
  t.equal((await call('POST', `/api/v1/appointments/${started.id}/no-show`)).statusCode, 200, 'marking twice is harmless')

  // Ended by the provider without admitting anybody, then marked.
  const quiet = (await call('POST', '/api/v1/appointments', appointment({ start: inMinutes(-2), end: inMinutes(30) }, admin.email))).json()
  t.equal((await as(app, admin)('POST', `/api/consultations/${quiet.id}/end`)).statusCode, 200)
  const late = await call('POST', `/api/v1/appointments/${quiet.id}/no-show`)
  t.equal(late.statusCode, 200)
  t.equal(late.json().noShow, true)

  // A client was admitted: not a no-show.
  const held = (await call('POST', '/api/v1/appointments', appointment({ start: inMinutes(-2), end: inMinutes(30) }, admin.email))).json()
  const token = held.clients[0].joinUrl.split('/join/')[1]
  const joined = await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Maria' } })
  t.equal(joined.statusCode, 200)
  const pid = joined.json().participantId
  t.equal((await as(app, admin)('POST', `/api/consultations/${held.id}/participants/${pid}/admit`)).statusCode, 200)
  const live = await call('POST', `/api/v1/appointments/${held.id}/no-show`)
  t.equal(live.statusCode, 409, 'not while live')
  t.equal((await as(app, admin)('POST', `/api/consultations/${held.id}/end`)).statusCode, 200)
  const after = await call('POST', `/api/v1/appointments/${held.id}/no-show`)
  t.equal(after.statusCode, 409)
  t.equal(after.json().code, 'SZ_CLIENT_WAS_ADMITTED')

  const cancelled = (await call('POST', '/api/v1/appointments', appointment({}, admin.email))).json()
  await call('POST', `/api/v1/appointments/${cancelled.id}/cancel`)
  t.equal((await call('POST', `/api/v1/appointments/${cancelled.id}/no-show`)).statusCode, 409, 'not for a cancelled appointment')
})

t.test('bad bodies and queries are answered 400 SZ_VALIDATION (or a coded 4xx)', async t => {
  const { app } = await restApp(t)
  const admin = await provider(app)
  const { key } = await apiKey(app, admin)
  const call = api(app, key)
  const good = appointment({}, admin.email)
  const { title: _t, ...noTitle } = good
  const cases: Array<[string, object, number, string]> = [
    ['no title', noTitle, 400, 'SZ_VALIDATION'],
    ['unknown property', { ...good, colour: 'red' }, 400, 'SZ_VALIDATION'],
    ['bad time', { ...good, start: 'tomorrow' }, 400, 'SZ_VALIDATION'],
    ['end before start', { ...good, start: inMinutes(90), end: inMinutes(60) }, 400, 'SZ_VALIDATION'],
    ['over', { ...good, start: inMinutes(-90), end: inMinutes(-60) }, 400, 'SZ_VALIDATION'],
    ['bad e-mail', { ...good, clients: [{ email: 'not-an-address' }] }, 400, 'SZ_VALIDATION'],
    ['bad locale', { ...good, clients: [{ email: 'a@example.org', locale: 'fr' }] }, 400, 'SZ_VALIDATION'],
    ['no provider', { ...good, providerEmail: undefined }, 400, 'SZ_VALIDATION'],
    ['unknown provider', { ...good, providerEmail: 'nobody@example.org' }, 422, 'SZ_PROVIDER_UNKNOWN'],
    ['bad providerId', { ...good, providerEmail: undefined, providerId: 'x' }, 400, 'SZ_VALIDATION'],
    ['externalId with a control character', { ...good, externalId: 'a\nb' }, 400, 'SZ_VALIDATION'],
    ['too many clients', { ...good, clients: Array.from({ length: 51 }, (_, i) => ({ email: `c${i}@example.org` })) }, 400, 'SZ_VALIDATION']
  ]
  for (const [name, body, status, code] of cases) {
    const res = await call('POST', '/api/v1/appointments', body)
    t.equal(res.statusCode, status, name)
    t.equal(res.json().code, code, `${name}: ${code}`)
  }
  const text = await app.inject({
    method: 'POST',
    url: '/api/v1/appointments',
    payload: 'title=x',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' }
  })
  t.equal(text.statusCode, 415, 'JSON only')
  for (const q of ['limit=0', 'limit=201', 'limit=abc', 'state=gone', 'from=yesterday', 'cursor=xyz', 'colour=red']) {
    const res = await call('GET', `/api/v1/appointments?${q}`)
    t.equal(res.statusCode, 400, q)
    t.equal(res.json().code, 'SZ_VALIDATION', q)
  }
  const created = (await call('POST', '/api/v1/appointments', good)).json()
  t.equal((await call('PATCH', `/api/v1/appointments/${created.id}`, {})).statusCode, 400, 'an empty patch')
  t.equal((await call('PATCH', `/api/v1/appointments/${created.id}`, { state: 'ended' })).statusCode, 400, 'state is not writable')
  const webhook = await call('POST', '/api/v1/webhooks', { url: 'https://example.org/hook', events: ['consultation.exploded'] })
  t.equal(webhook.statusCode, 400)
  t.equal((await call('POST', '/api/v1/webhooks', { url: 'https://example.org/hook', events: [] })).statusCode, 400, 'at least one event')
  const notUrl = await call('POST', '/api/v1/webhooks', { url: 'hook', events: ['consultation.scheduled'] })
  t.equal(notUrl.statusCode, 422)
  t.equal(notUrl.json().code, 'SZ_WEBHOOK_URL_INVALID')
  t.equal((await call('POST', '/api/v1/webhooks', { url: 'ftp://example.org/hook', events: ['consultation.scheduled'] })).json().code, 'SZ_WEBHOOK_URL_INVALID')
  t.equal(
    (await call('POST', '/api/v1/webhooks', { url: 'https://user:pw@example.org/hook', events: ['consultation.scheduled'] })).json().code,
    'SZ_WEBHOOK_URL_INVALID'
  )
})

t.test('an externalId of any accepted length can be read, changed and cancelled by it', async t => {
  const { app, logs } = await restApp(t)
  const admin = await provider(app)
  const call = api(app, (await apiKey(app, admin)).key)
  // 200 code points (the schema's limit); the emoji are two UTF-16 units each, umlauts nine characters percent-encoded.
  const ids = ['A'.repeat(101), 'B'.repeat(200), 'ä'.repeat(200), '😀'.repeat(200), 'PVS/4711 ?#%&'.padEnd(200, '+')]
  for (const [i, externalId] of ids.entries()) {
    const label = `${[...externalId].length} code points (${externalId.slice(0, 6)}…)`
    const created = await call(
      'POST',
      '/api/v1/appointments',
      appointment({ externalId, start: inMinutes(60 + i * 60), end: inMinutes(90 + i * 60) }, admin.email)
    )
    t.equal(created.statusCode, 201, `${label}: created ${created.body.slice(0, 200)}`)
    const path = `/api/v1/appointments/${encodeURIComponent(externalId)}`
    const read = await call('GET', path)
    t.equal(read.statusCode, 200, `${label}: read ${read.body.slice(0, 200)}`)
    t.equal(read.json().externalId, externalId)
    const patched = await call('PATCH', path, { title: 'Folgetermin' })
    t.equal(patched.statusCode, 200, `${label}: changed`)
    const cancelled = await call('POST', `${path}/cancel`)
    t.equal(cancelled.statusCode, 200, `${label}: cancelled ${cancelled.body.slice(0, 200)}`)
    t.equal(cancelled.json().state, 'cancelled')
  }
  const tooLong = await call('POST', '/api/v1/appointments', appointment({ externalId: 'C'.repeat(201) }, admin.email))
  t.equal(tooLong.statusCode, 400, 'one over the limit is refused at creation')
  t.equal(tooLong.json().code, 'SZ_VALIDATION')
  const unknown = await call('GET', `/api/v1/appointments/${'D'.repeat(200)}`)
  t.equal(unknown.statusCode, 404, 'an unknown id of the same length: 404')
  // (A GET that long falls through to the portal's catch-all, which answers 404 for /api paths.)
  const overLong = await call('POST', `/api/v1/appointments/${'E'.repeat(401)}/cancel`)
  t.equal(overLong.statusCode, 414, 'past the router limit: 414')
  t.equal(overLong.json().code, 'SZ_URI_TOO_LONG')
  t.notOk(
    logs.some(line => /"level":50/.test(line)),
    'no server error was logged'
  )
})

t.test('rate limit per key', async t => {
  process.env.SZ_REST_RATE_LIMIT = '5'
  t.teardown(() => {
    delete process.env.SZ_REST_RATE_LIMIT
  })
  const { app } = await restApp(t)
  const admin = await provider(app)
  const first = api(app, (await apiKey(app, admin)).key)
  const second = api(app, (await apiKey(app, admin, undefined, 'second')).key)
  const statuses = []
  for (let i = 0; i < 7; i++) statuses.push((await first('GET', '/api/v1/appointments')).statusCode)
  t.same(statuses, [200, 200, 200, 200, 200, 429, 429])
  const limited = await first('GET', '/api/v1/appointments')
  t.equal(limited.json().code, 'SZ_RATE_LIMITED')
  t.equal((await second('GET', '/api/v1/appointments')).statusCode, 200, 'another key has its own budget')
})
