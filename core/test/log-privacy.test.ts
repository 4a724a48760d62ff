import t from 'tap'
import { Writable } from 'node:stream'
import { buildApp } from '../src/app.js'
import { loggerOptions } from '../src/http/logging.js'
import { cutIp } from '../src/privacy/ip-cut.js'
import { testDatabase, testConfig, practiceInput, login, as, schedule, inMinutes, realtime, verifyAddress } from './helpers.js'

t.test('cutIp keeps what the deletion table allows: IPv4 /16, IPv6 /32, nothing for garbage', async t => {
  t.equal(cutIp('203.0.113.77'), '203.0.0.0')
  t.equal(cutIp('::ffff:198.51.100.9'), '198.51.0.0')
  t.equal(cutIp('2001:db8:abcd:12::1'), '2001:db8::')
  t.equal(cutIp('::1'), '0::')
  t.equal(cutIp('fe80::1%eth0'), 'fe80::')
  t.equal(cutIp('::ffff:c000:280'), '0::', 'a hex-written mapped address is cut as IPv6')
  t.equal(cutIp('not an ip <script>'), 'unknown')
  t.equal(cutIp(undefined), 'unknown')
})

t.test('logs at trace level hold no canary: names, e-mails, tokens, chat text, passwords, cookies or a full IP', async t => {
  const url = await testDatabase(t)
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString())
      done()
    }
  })
  const { level, ...options } = loggerOptions('trace') as Record<string, unknown>
  const app = await buildApp({ config: testConfig(), databaseUrl: url, logger: { ...options, level: 'trace', stream } })
  t.teardown(() => app.close())
  await app.ready()

  const canary = {
    first: 'Kanarienvogel',
    last: 'Zwitscherling',
    email: 'canary.provider@canary.example',
    password: 'canary password 4711',
    client: 'canary.client@canary.example',
    waitingName: 'Canary Waitingname',
    chat: 'Canary chat text 0815',
    ip: '203.0.113.77',
    ip6: '2001:db8:abcd:12::99'
  }
  const registered = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    remoteAddress: canary.ip,
    headers: { 'x-forwarded-for': '198.51.100.23' },
    payload: {
      kind: 'provider',
      email: canary.email,
      password: canary.password,
      firstName: canary.first,
      lastName: canary.last,
      practice: practiceInput('Canary Practice')
    }
  })
  t.equal(registered.statusCode, 202)
  await verifyAddress(app, canary.email)
  await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: canary.ip6, payload: { email: canary.email, password: 'canary wrong password' } })
  // A refused body must not land in the log either.
  await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { kind: 'client', email: 'canary-not-an-address', password: canary.password, firstName: canary.first, lastName: canary.last }
  })
  const me = await login(app, canary.email, canary.password)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMinutes(5), end: inMinutes(50), emails: [canary.client] })
  await app.inject({ method: 'GET', url: `/api/join/${token}?name=${encodeURIComponent(canary.waitingName)}`, remoteAddress: canary.ip })
  const entered = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: canary.waitingName } })).json()
  const desk = await realtime(app, { cookie: me.cookie })
  await desk.next('hello')
  const client = await realtime(app, { authorization: `Bearer ${entered.credential}` })
  await client.next('hello')
  client.send({ type: 'send', consultationId: id, to: 'providers', kind: 'chat', body: { text: canary.chat } })
  t.equal((await desk.next('message')).body.text, canary.chat, 'the chat passed')
  client.send({ type: 'send', consultationId: id, to: 'nobody-there', kind: 'chat', body: { text: canary.chat } })
  await client.next('error')
  await as(app, me)('POST', `/api/consultations/${id}/participants/${entered.participantId}/admit`)
  await as(app, me)('POST', `/api/consultations/${id}/end`)
  client.close()
  desk.close()
  await new Promise(resolve => setTimeout(resolve, 300))

  // The server's own listening address is not a client's; every other line is searched.
  const log = lines.filter(l => !l.includes('"msg":"Server listening at')).join('')
  t.ok(lines.length > 20, 'the app logged every request')
  t.match(log, /"network":"203\.0\.0\.0"/, 'the client network is logged in its cut form')
  t.match(log, /"network":"2001:db8::"/)
  const secrets: Record<string, string> = {
    ...canary,
    token,
    credential: entered.credential,
    csrf: me.csrf,
    cookie: me.cookie.split('=')[1],
    forwarded: '198.51.100.23',
    loopback: '127.0.0.1',
    badAddress: 'canary-not-an-address'
  }
  for (const [what, value] of Object.entries(secrets))
    t.notOk(log.includes(value), `no ${what} in the log`, { found: lines.filter(l => l.includes(value)).slice(0, 2) })
})
