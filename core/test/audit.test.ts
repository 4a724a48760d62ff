import t from 'tap'
import { build, provider, account, as, login, verifyAddress, uniqueEmail, testDatabase, eventually, TEST_PASSWORD } from './helpers.js'
import { hashPassword, User } from '../src/index.js'
import { privacyReport } from '../src/privacy/report.js'

/** The operator's CLI (core/dist/cli.js, built by npm run build) on the test's database. */
async function cli(databaseUrl: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { execFile } = await import('node:child_process')
  const path = new URL('../dist/cli.js', import.meta.url).pathname
  return await new Promise(resolve => {
    execFile(
      process.execPath,
      [path, ...args],
      { env: { ...process.env, DATABASE_URL: databaseUrl, SESSION_SECRET: 'test-secret-that-is-long-enough-for-hmac-use', LOG_LEVEL: 'warn' } },
      (err, out, errOut) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errOut })
    )
  })
}

const NEW_PASSWORD = 'another long password'

t.test("sign-ins, password and address changes and roles are recorded; an admin reads exactly the practice's trail", async t => {
  const { app, logs } = await build(t)
  const admin = await provider(app, 'Praxis Sommer')
  const other = await provider(app, 'Praxis Nebenan')
  const unknown = uniqueEmail('nobody')
  const failed = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: unknown, password: 'some password' } })
  t.equal(failed.statusCode, 401)
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: admin.email, password: 'wrong password' },
        remoteAddress: '2001:db8:1234:5678::1'
      })
    ).statusCode,
    401
  )

  t.equal((await as(app, admin)('POST', '/api/me/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })).statusCode, 204)
  const address = uniqueEmail('moved')
  t.equal((await as(app, admin)('POST', '/api/me/email', { password: NEW_PASSWORD, email: address })).statusCode, 202)
  await verifyAddress(app, address, 'change')
  const me = await login(app, address, NEW_PASSWORD)

  const invited = await as(app, me)('POST', '/api/practice/providers', { email: uniqueEmail('colleague'), firstName: 'Ben', lastName: 'Berg' })
  t.equal(invited.statusCode, 201)
  const colleague = invited.json()
  const promoted = await as(app, me)('PATCH', `/api/practice/providers/${colleague.id}`, { isPracticeAdmin: true })
  t.equal(promoted.statusCode, 200)
  t.equal(promoted.json().isPracticeAdmin, true)
  t.equal((await as(app, me)('PATCH', `/api/practice/providers/${colleague.id}`, { isPracticeAdmin: false })).statusCode, 200)
  const lastAdmin = await as(app, me)('PATCH', `/api/practice/providers/${me.userId}`, { isPracticeAdmin: false })
  t.equal(lastAdmin.statusCode, 409, 'the last admin keeps the role')
  t.equal(lastAdmin.json().code, 'SZ_LAST_ADMIN')
  const second = await login(app, address, NEW_PASSWORD)
  t.equal((await as(app, second)('POST', '/api/auth/logout')).statusCode, 204)

  const read = await as(app, me)('GET', '/api/practice/security-events')
  t.equal(read.statusCode, 200)
  const events: Array<{ id: string; at: string; kind: string; userId: string | null; actorId: string | null; network: string | null }> = read.json()
  t.same(
    events.map(e => e.kind).reverse(),
    [
      'email-verified',
      'login',
      'login-failed',
      'password-changed',
      'email-change-requested',
      'email-changed',
      'login',
      'provider-added',
      'role-changed',
      'role-changed',
      'login',
      'logout'
    ],
    'every step, newest first'
  )
  t.same(
    [...events].sort((a, b) => b.at.localeCompare(a.at) || Number(b.id) - Number(a.id)),
    events,
    'ordered newest first'
  )
  t.ok(
    events.every(e => e.userId === me.userId || e.userId === colleague.id),
    "only this practice's accounts"
  )
  t.same(
    events.filter(e => e.kind === 'role-changed').map(e => [e.userId, e.actorId]),
    [
      [colleague.id, me.userId],
      [colleague.id, me.userId]
    ],
    'who changed whose role'
  )
  t.same([...new Set(events.map(e => e.network))].sort(), ['127.0.0.0', '2001:db8::'], 'networks are cut (IPv4 /16, IPv6 /32)')
  t.same((await as(app, me)('GET', '/api/practice/security-events?limit=2')).json(), events.slice(0, 2))
  t.same((await as(app, me)('GET', `/api/practice/security-events?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json(), [])
  t.equal((await as(app, me)('GET', '/api/practice/security-events?limit=0')).json().code, 'SZ_VALIDATION')

  const theirs = (await as(app, other)('GET', '/api/practice/security-events')).json()
  t.same(
    theirs.map((e: { kind: string }) => e.kind),
    ['login', 'email-verified'],
    'the other practice sees its own only'
  )
  t.ok(theirs.every((e: { userId: string }) => e.userId === other.userId))
  const colleagueSession = await login(app, colleague.email, await setPassword(app, colleague.id))
  t.equal((await as(app, colleagueSession)('GET', '/api/practice/security-events')).statusCode, 403, 'not for providers who are not admins')

  const db = app.orm.em.fork()
  const anonymous = await db.execute("select user_id, practice_id, network from security_event where kind = 'login-failed' and user_id is null")
  t.same(anonymous, [{ user_id: null, practice_id: null, network: '127.0.0.0' }], 'a failure for an unknown address: no user, no practice')
  const table = JSON.stringify(await db.execute('select * from security_event'))
  const users = JSON.stringify(await db.execute('select * from app_user'))
  for (const secret of [admin.email, address, unknown, 'Sommer', 'Berg', me.cookie.split('=')[1], me.csrf]) {
    t.notOk(table.includes(secret), 'the trail holds no name, address or token')
    t.notOk(logs.join('').includes(secret), 'and neither do the logs')
  }
  t.ok(users.includes(address) && users.includes('Sommer'), 'positive control: the data exists in app_user')
})

async function setPassword(app: Awaited<ReturnType<typeof build>>['app'], id: string): Promise<string> {
  await app.orm.em.fork().nativeUpdate(User, { id }, { passwordHash: await hashPassword(TEST_PASSWORD) })
  return TEST_PASSWORD
}

t.test('the operator reads everything with the CLI; entries past SZ_AUDIT_KEEP are deleted and logged', async t => {
  const databaseUrl = await testDatabase(t)
  const { app } = await build(t, { auditKeep: 3_600_000 }, databaseUrl)
  const dr = await provider(app, 'Praxis Alt')
  const client = await account(app, 'client')
  t.equal((await as(app, client)('POST', '/api/me/deletion', { password: TEST_PASSWORD })).statusCode, 202)

  // Each CLI run starts a process that opens the database: in parallel where the order does not matter.
  const [suspended, help] = await Promise.all([cli(databaseUrl, 'practices', 'suspend', dr.practiceId!), cli(databaseUrl, '--help')])
  t.equal(suspended.code, 0, suspended.err)
  t.match(help.out, /security-events \[--practice <id>\] \[--from ISO\] \[--to ISO\]/)
  const [lines, one] = await Promise.all([cli(databaseUrl, 'security-events'), cli(databaseUrl, 'security-events', '--practice', dr.practiceId!, '--json')])
  t.equal(lines.code, 0, lines.err)
  const all = lines.out
    .trim()
    .split('\n')
    .map(line => JSON.parse(line))
  t.same(
    all.map(e => e.kind),
    ['practice-suspended', 'account-deleted', 'login', 'email-verified', 'login', 'email-verified'],
    'JSON lines, every practice and the clients, newest first'
  )
  t.match(all[0], { practiceId: dr.practiceId, userId: null, actorId: null, network: null })
  t.match(all[1], { userId: client.userId, practiceId: null, network: '127.0.0.0' })
  t.same(
    JSON.parse(one.out).map((e: { kind: string }) => e.kind),
    ['practice-suspended', 'login', 'email-verified']
  )

  // Two hours old: past the one hour kept. The newest entry stays.
  const db = app.orm.em.fork()
  await db.execute("update security_event set at = now() - interval '2 hours' where kind <> 'practice-suspended'")
  await app.jobs.send('privacy.security-events', {})
  await eventually(async () => Number((await db.execute('select count(*) as n from security_event'))[0].n) === 1)
  const log = await db.execute("select practice_id, count from deletion_log where category = 'security-events' order by practice_id nulls last")
  t.same(
    log,
    [
      { practice_id: dr.practiceId, count: 2 },
      { practice_id: null, count: 3 }
    ],
    'the deletion log says how many, per practice'
  )
  const report = await privacyReport(db, app.config, { from: new Date(0), to: new Date(Date.now() + 1000) }, { practiceId: null })
  t.match(
    report.find(r => r.category === 'security-events'),
    { deadline: '1 hour after the event', deletedInPeriod: 5, oldestHeldAt: /^\d{4}-/ }
  )
})
