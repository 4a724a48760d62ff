import t from 'tap'
import {
  restApp,
  provider,
  as,
  apiKey,
  api,
  appointment,
  inMinutes,
  query,
  receiver,
  freePort,
  Receiver,
  verifySignature,
  eventually,
  testDatabase,
  fakeResolver as dns
} from './helpers.js'
import { isPrivateAddress } from '../dist/index.js'
import { createAgents, post } from '../src/delivery.js'

const EVENTS = [
  'consultation.scheduled',
  'consultation.updated',
  'consultation.cancelled',
  'consultation.waiting',
  'consultation.ended',
  'consultation.no_show'
]

t.test('private and loopback URLs are refused unless SZ_ALLOW_PRIVATE_URLS', async t => {
  const { app } = await restApp(t)
  const admin = await provider(app)
  const call = api(app, (await apiKey(app, admin)).key)
  for (const url of [
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'https://10.1.2.3/hook',
    'http://[::1]/hook',
    'http://[::ffff:192.168.0.1]/hook',
    'http://169.254.169.254/latest',
    'http://[2002:7f00:1::1]/hook',
    'http://[fec0::1]/hook',
    'https://203.0.113.5/hook',
    'http://2130706433/hook',
    'http://0177.0.0.1/hook',
    'http://0.0.0.0/hook',
    'http://100.64.0.1/hook',
    'http://[64:ff9b::7f00:1]/hook',
    'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook'
  ]) {
    const res = await call('POST', '/api/v1/webhooks', { url, events: ['consultation.scheduled'] })
    t.equal(res.statusCode, 422, url)
    t.equal(res.json().code, 'SZ_WEBHOOK_URL_FORBIDDEN', url)
  }
  const unresolvable = await call('POST', '/api/v1/webhooks', { url: 'https://does-not-exist.invalid/hook', events: ['consultation.scheduled'] })
  t.equal(unresolvable.json().code, 'SZ_WEBHOOK_URL_UNRESOLVABLE')
  t.same((await call('GET', '/api/v1/webhooks')).json(), [], 'nothing registered')
  for (const url of ['ftp://example.org/hook', 'https://user:pw@example.org/hook', 'https://example.org/hook#x', 'not a url']) {
    const res = await call('POST', '/api/v1/webhooks', { url, events: ['consultation.scheduled'] })
    t.equal(res.json().code, 'SZ_WEBHOOK_URL_INVALID', url)
  }
  for (const a of [
    '127.0.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '224.0.0.1'
  ])
    t.ok(isPrivateAddress(a), `${a} is not public`)
  for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:93.184.216.34']) t.notOk(isPrivateAddress(a), `${a} is public`)
})

t.test("each delivery goes through core's guard: checked again, connected to the checked address", async t => {
  const hooks = await receiver(t)
  const agents = createAgents()
  t.teardown(() => {
    agents['http:'].destroy()
    agents['https:'].destroy()
  })
  const url = `http://hooks.practice.test:${hooks.port}/hooks/sprechzimmer`
  const send = (allowPrivate: boolean, resolve: ReturnType<typeof dns>) =>
    post(url, 'whsec_test', '{"id":"e1"}', { allowPrivate, timeout: 2000, agents, resolve })

  // The name was public when the endpoint was registered; now it answers with a private address, or a
  // public and a private one: the delivery is refused before any connection.
  t.same(await send(false, dns(['10.0.0.9'])), { ok: false, status: null, error: 'SZ_WEBHOOK_URL_FORBIDDEN' })
  t.same(await send(false, dns(['93.184.216.34', '127.0.0.1'])), { ok: false, status: null, error: 'SZ_WEBHOOK_URL_FORBIDDEN' })
  t.same(await send(false, dns([])), { ok: false, status: null, error: 'SZ_WEBHOOK_URL_UNRESOLVABLE' })
  t.equal(hooks.attempts.length, 0, 'nothing was sent')

  // Rebinding: the connection would ask DNS again and get 127.0.0.2 (nothing listens there); it goes to
  // the checked 127.0.0.1 instead. allowPrivate, so that the local receiver can stand in for a public one.
  const rebinding = dns(['127.0.0.1'], ['127.0.0.2'])
  t.same(await send(true, rebinding), { ok: true, status: 200, error: null })
  t.same(rebinding.calls, ['hooks.practice.test'], 'resolved once')
  t.equal(hooks.attempts.length, 1)
  t.equal(hooks.attempts[0].headers.host, `hooks.practice.test:${hooks.port}`, 'the Host header keeps the name')
})

t.test('deliveries are signed, carry ids only, keep their order, and no-show is its own event', async t => {
  const hooks = await receiver(t)
  const { app, databaseUrl, logs } = await restApp(t, { allowPrivateUrls: true })
  const admin = await provider(app)
  const { key } = await apiKey(app, admin)
  const call = api(app, key)
  const registered = await call('POST', '/api/v1/webhooks', { url: hooks.url, events: EVENTS })
  t.equal(registered.statusCode, 201)
  const { id: webhookId, secret } = registered.json()
  t.match(secret, /^whsec_/)
  const listed = await call('GET', '/api/v1/webhooks')
  t.same(
    listed.json().map((w: any) => w.id),
    [webhookId]
  )
  t.notOk('secret' in listed.json()[0], 'the list has no secret')

  const created = (
    await call('POST', '/api/v1/appointments', appointment({ externalId: 'PVS-9', start: inMinutes(-2), end: inMinutes(30) }, admin.email))
  ).json()
  await call('PATCH', '/api/v1/appointments/PVS-9', { title: 'Neu' })
  await call('POST', '/api/v1/appointments/PVS-9/no-show')
  const got = await hooks.waitFor(5)
  t.same(
    got.map(d => d.body.type),
    ['consultation.scheduled', 'consultation.waiting', 'consultation.updated', 'consultation.ended', 'consultation.no_show'],
    'in the order things happened'
  )
  for (const d of got) {
    t.ok(verifySignature(secret, d.headers['sprechzimmer-signature'] as string, d.raw), `${d.body.type}: the signature verifies`)
    t.equal(d.headers['content-type'], 'application/json')
    t.match(d.body, { id: String, type: String, createdAt: String, data: { appointmentId: created.id, externalId: 'PVS-9' } })
  }
  t.notOk(verifySignature('whsec_wrong', got[0].headers['sprechzimmer-signature'] as string, got[0].raw), 'another secret does not verify')
  const ended = got[3].body.data
  t.match(
    ended,
    { state: 'ended', noShow: true, endReason: 'no-show', actualStart: null, durationSeconds: 0, participantsAdmitted: 0, clientAdmitted: false },
    'the session record'
  )
  t.match(got[4].body.data, { markedBy: 'practice' })
  const all = JSON.stringify(got.map(d => d.body))
  t.notMatch(all, /patient@example\.org|Maria|Erstgespräch|Neu|\/join\//, 'no address, name, title or link in any delivery')
  t.equal(new Set(got.map(d => d.body.id)).size, 5, 'each event its own id')

  // A redelivered notice adds nothing: the same event id is stored once per endpoint.
  const rows = await query(databaseUrl, 'select count(*)::int as n from rest_webhook_event')
  t.equal(rows[0].n, 5)
  t.notMatch(logs.join(''), new RegExp(`${secret}|${key}|127\\.0\\.0\\.1:${hooks.port}`), 'no secret, key or URL in the log')

  t.equal((await call('DELETE', `/api/v1/webhooks/${webhookId}`)).statusCode, 204)
  t.equal((await call('DELETE', `/api/v1/webhooks/${webhookId}`)).statusCode, 404)
  await call('POST', '/api/v1/appointments', appointment({}, admin.email))
  await new Promise(resolve => setTimeout(resolve, 700))
  t.equal(hooks.received.length, 5, 'a removed endpoint gets nothing more')
})

t.test('a receiver that answers 500 or is down gets the events again, in order, with back-off', async t => {
  const hooks = await receiver(t)
  let failures = 2
  hooks.status = () => (failures-- > 0 ? 500 : 200)
  const { app, databaseUrl } = await restApp(t, { allowPrivateUrls: true })
  const admin = await provider(app)
  const call = api(app, (await apiKey(app, admin)).key)
  await call('POST', '/api/v1/webhooks', { url: hooks.url, events: EVENTS })
  const a = (await call('POST', '/api/v1/appointments', appointment({}, admin.email))).json()
  await call('PATCH', `/api/v1/appointments/${a.id}`, { title: 'x' })
  const got = await hooks.waitFor(2)
  t.same(
    got.map(d => d.body.type),
    ['consultation.scheduled', 'consultation.updated'],
    'the second waited for the first'
  )
  t.equal(hooks.attempts.length, 4, 'two failed attempts, then both delivered')
  t.equal(hooks.attempts[0].body.id, hooks.attempts[2].body.id, 'a retry is the same event')
  const times = hooks.attempts.map(d => Number(/t=(\d+)/.exec(d.headers['sprechzimmer-signature'] as string)![1]))
  t.ok(times[2] >= times[0], 'signed anew at each attempt')
  const [row] = await query(databaseUrl, `select attempts, status, last_status from rest_webhook_event where type = 'consultation.scheduled'`)
  t.match(row, { attempts: 3, status: 'delivered', last_status: 200 })

  // Down: nothing listens on the port; the events wait and arrive once it is back.
  const port = await freePort()
  const other = await call('POST', '/api/v1/webhooks', { url: `http://127.0.0.1:${port}/hook`, events: ['consultation.cancelled'] })
  await call('POST', `/api/v1/appointments/${a.id}/cancel`)
  await eventually(
    async () => (await query(databaseUrl, `select attempts from rest_webhook_event where endpoint_id = $1 and attempts >= 2`, [other.json().id])).length > 0,
    10_000
  )
  const [failed] = await query(databaseUrl, 'select status, last_error from rest_webhook_event where endpoint_id = $1', [other.json().id])
  t.match(failed, { status: 'pending', last_error: 'ECONNREFUSED' }, 'the failure is recorded by code')
  const back = await new Receiver().start(port)
  t.teardown(() => back.stop())
  const [cancelled] = await back.waitFor(1)
  t.equal(cancelled.body.type, 'consultation.cancelled')
  t.ok(verifySignature(other.json().secret, cancelled.headers['sprechzimmer-signature'] as string, cancelled.raw))
})

t.test('no event is lost across a restart', async t => {
  const databaseUrl = await testDatabase(t)
  const port = await freePort()
  const first = await restApp({ teardown: () => {} }, { allowPrivateUrls: true }, databaseUrl)
  const admin = await provider(first.app)
  const { key } = await apiKey(first.app, admin)
  const call = api(first.app, key)
  const { secret } = (await call('POST', '/api/v1/webhooks', { url: `http://127.0.0.1:${port}/hook`, events: EVENTS })).json()
  const ids: string[] = []
  for (let i = 0; i < 3; i++)
    ids.push((await call('POST', '/api/v1/appointments', appointment({ start: inMinutes(60 + i), end: inMinutes(90) }, admin.email))).json().id)
  await call('PATCH', `/api/v1/appointments/${ids[0]}`, { title: 'x' })
  await eventually(async () => (await query(databaseUrl, 'select 1 from rest_webhook_event where attempts >= 1')).length > 0, 10_000)
  await first.app.close()

  const hooks = await receiver(t, port)
  const second = await restApp(t, { allowPrivateUrls: true }, databaseUrl)
  t.ok(second.app, 'a new instance on the same database')
  const got = await hooks.waitFor(4, () => true, 30_000)
  t.same(new Set(got.map(d => d.body.data.appointmentId)), new Set(ids), 'every appointment announced')
  const first0 = got.filter(d => d.body.data.appointmentId === ids[0]).map(d => d.body.type)
  t.same(first0, ['consultation.scheduled', 'consultation.updated'], 'in order')
  for (const d of got) t.ok(verifySignature(secret, d.headers['sprechzimmer-signature'] as string, d.raw))
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal(new Set(hooks.received.map(d => d.body.id)).size, 4, 'each event delivered')
  const pending = await query(databaseUrl, `select count(*)::int as n from rest_webhook_event where status <> 'delivered'`)
  t.equal(pending[0].n, 0)
  t.ok(as, 'session helpers available')
})
