import t from 'tap'
import pg from 'pg'
import { build, provider, as, schedule, inMinutes, inMs, eventually } from './helpers.js'

t.test('IP addresses of access records are cut after SZ_IP_ANONYMIZE_AFTER', async t => {
  // Long enough that registering, proving the address and signing in on a busy machine stay inside it.
  const { app, databaseUrl } = await build(t, { ipAnonymizeAfter: 6000 })
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  t.teardown(() => db.end())
  await provider(app)
  await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email: 'nobody@example.org', password: 'wrong password' },
    remoteAddress: '203.0.113.77'
  })
  await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email: 'nobody@example.org', password: 'wrong password' },
    remoteAddress: '2001:db8:abcd:12::1',
    headers: { 'user-agent': 'Tester/1.0' }
  })
  const fresh = await db.query('SELECT kind, ip, user_agent, anonymized FROM access_record ORDER BY id')
  t.same(
    fresh.rows.map(r => r.kind),
    ['register', 'login', 'login-failed', 'login-failed']
  )
  t.ok(
    fresh.rows.some(r => r.ip === '203.0.113.77'),
    'the full IP is kept for the first hour (abuse defence)'
  )
  t.ok(fresh.rows.some(r => r.ip === '2001:db8:abcd:12::1'))
  const cut = await eventually(async () => {
    const { rows } = await db.query('SELECT ip, user_agent FROM access_record WHERE anonymized ORDER BY id')
    return rows.length === 4 && rows
  })
  t.same(
    cut.map(r => r.ip),
    ['127.0.0.0', '127.0.0.0', '203.0.0.0', '2001:db8::'],
    'IPv4 keeps two octets, IPv6 its /32'
  )
  t.equal(cut[3].user_agent, 'Tester/1.0')
  // New records arriving later are cut too (the job re-arms itself)
  await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.org', password: 'again wrong' }, remoteAddress: '198.51.100.9' })
  await eventually(async () => (await db.query("SELECT 1 FROM access_record WHERE ip = '198.51.0.0'")).rowCount === 1)
})

t.test('join tokens are stored only as hashes; names go at the end; invitations, participants and call data at purge', async t => {
  const { app, databaseUrl, logs } = await build(t, { purgeAfter: 1500 })
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  t.teardown(() => db.end())
  const me = await provider(app)
  const req = as(app, me)
  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMs(500), end: inMinutes(30), emails: ['canary.client@example.org'] })
  const joined = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Canary Waitingname' } })).json()
  await db.query('UPDATE consultation SET media = \'{"room": 4711}\' WHERE id = $1', [id])

  const dump = async () =>
    JSON.stringify(
      (
        await db.query(`
    SELECT (SELECT json_agg(i) FROM invitation i) AS invitations, (SELECT json_agg(p) FROM participant p) AS participants,
           (SELECT json_agg(c) FROM consultation c) AS consultations, (SELECT json_agg(j.data) FROM pgboss.job j) AS jobs`)
      ).rows
    )
  const stored = await dump()
  t.notOk(stored.includes(token), 'the join token is never stored in clear text (not in jobs either)')
  t.ok(stored.includes('Canary Waitingname'), 'the waiting-room name is kept while the consultation runs')
  t.notOk(
    JSON.stringify((await db.query('SELECT data FROM pgboss.job')).rows).match(/Canary|canary\.client/),
    'job payloads carry ids, never names or addresses'
  )

  await req('POST', `/api/consultations/${id}/participants/${joined.participantId}/admit`)
  await req('POST', `/api/consultations/${id}/end`)
  const afterEnd = await db.query('SELECT display_name FROM participant WHERE consultation_id = $1', [id])
  t.same(afterEnd.rows, [{ display_name: null }], 'the waiting-room name is deleted when the consultation ends')
  t.notOk((await dump()).includes('Canary Waitingname'))

  await eventually(async () => (await req('GET', `/api/consultations/${id}`)).json().state === 'purged')
  t.equal((await db.query('SELECT 1 FROM invitation WHERE consultation_id = $1', [id])).rowCount, 0, 'invitation (e-mail, token hash) deleted at purge')
  t.equal((await db.query('SELECT 1 FROM participant WHERE consultation_id = $1', [id])).rowCount, 0, 'participants deleted at purge')
  const row = (await db.query('SELECT media, title FROM consultation WHERE id = $1', [id])).rows[0]
  t.equal(row.media, null, 'technical call data deleted at purge')
  t.equal(row.title, 'Erstgespräch', "the appointment stays the practice's record")
  const credentialAfterPurge = await app.inject({ method: 'GET', url: '/api/participant', headers: { authorization: `Bearer ${joined.credential}` } })
  t.equal(credentialAfterPurge.statusCode, 401, 'a participant credential dies with the purge')

  const log = logs.join('')
  t.ok(log.length > 0, 'the app did log')
  for (const secret of [token, 'Canary Waitingname', 'canary.client@example.org', me.email, joined.credential, me.csrf, me.cookie.split('=')[1]]) {
    t.notOk(log.includes(secret), 'logs hold no names, addresses or tokens')
  }
  t.match(log, /\/api\/join\/:token/, 'requests are logged by route pattern')
})
