import t, { type Test } from 'tap'
import pg from 'pg'
import { randomUUID } from 'node:crypto'
import { hashPassword } from '../src/modules/account/password.js'
import { build, provider, as, login, schedule, inMinutes, eventually, uniqueEmail, type App, type Session } from './helpers.js'

const PASSWORD = 'correct horse battery staple'

async function connect(t: Test, url: string): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: url })
  await db.connect()
  t.teardown(() => db.end())
  return db
}

/** A second provider in the same practice (the practice API that adds one is another module's). */
async function colleague(app: App, db: pg.Client, practiceId: string, admin = false): Promise<Session> {
  const email = uniqueEmail('colleague')
  await db.query(
    `insert into app_user (id, created_at, updated_at, kind, is_practice_admin, practice_id, email, password_hash, first_name, last_name)
                  values ($1, now(), now(), 'provider', $2, $3, $4, $5, 'Kolle', 'Gin')`,
    [randomUUID(), admin, practiceId, email, await hashPassword(PASSWORD)]
  )
  return await login(app, email, PASSWORD)
}

t.test('POST /api/me/deletion needs the password and the CSRF token', async t => {
  const { app } = await build(t)
  const me = await provider(app)
  const wrong = await as(app, me)('POST', '/api/me/deletion', { password: 'not my password' })
  t.equal(wrong.statusCode, 403)
  t.equal(wrong.json().code, 'SZ_PASSWORD_WRONG')
  const noCsrf = await app.inject({ method: 'POST', url: '/api/me/deletion', payload: { password: PASSWORD }, headers: { cookie: me.cookie } })
  t.equal(noCsrf.json().code, 'SZ_CSRF_TOKEN_INVALID')
  const empty = await as(app, me)('POST', '/api/me/deletion', {})
  t.equal(empty.statusCode, 400)
  const anonymous = await app.inject({ method: 'POST', url: '/api/me/deletion', payload: { password: PASSWORD } })
  t.equal(anonymous.statusCode, 401)
  t.equal((await as(app, me)('GET', '/api/me')).statusCode, 200, 'nothing happened')
})

t.test("the practice's last provider: sessions end at once, future consultations are cancelled, the practice goes after the purge", async t => {
  // Long enough for the checks in between, even on a busy machine.
  const { app, databaseUrl } = await build(t, { purgeAfter: 6000 })
  const db = await connect(t, databaseUrl)
  const me = await provider(app, 'Praxis Kanarienvogel')
  const erasedAtOnce: string[] = []
  app.accountErasure.onRequested(async (em, userId) => {
    t.equal(
      (await em.getConnection().execute<{ email: string }>('select email from app_user where id = ?', [userId], 'get', em.getTransactionContext())).email,
      `deleted-${userId}@invalid`,
      'handlers run on the same transaction'
    )
    erasedAtOnce.push(userId)
  })
  const second = await login(app, me.email, PASSWORD)
  const future = await schedule(app, me, { start: inMinutes(60), end: inMinutes(90), emails: ['canary.client@example.org'] })
  const waiting = await schedule(app, me, { start: inMinutes(5), end: inMinutes(30), emails: ['other.client@example.org'] })
  const other = await provider(app, 'Praxis Nebenan')
  const untouched = await schedule(app, other, { start: inMinutes(60), end: inMinutes(90) })
  // The open waiting room gets its call room from a lifecycle notice; wait for it, so its deletion is counted.
  await eventually(async () => (await db.query('select 1 from consultation where id = $1 and media is not null', [waiting.id])).rowCount === 1)

  const res = await as(app, me)('POST', '/api/me/deletion', { password: PASSWORD })
  t.equal(res.statusCode, 202)
  t.same(res.json(), { deleted: true })
  t.match(String(res.headers['set-cookie']), /APPSESSION=;/, 'the cookie is cleared')
  t.same(erasedAtOnce, [me.userId], 'other modules erase what they hold at once (onRequested)')
  t.equal((await as(app, second)('GET', '/api/me')).statusCode, 401, 'every session of the account ended at once')
  t.equal(
    (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: me.email, password: PASSWORD } })).statusCode,
    401,
    'nobody can sign in with it'
  )

  const user = (await db.query('select email, first_name, last_name, title, password_hash from app_user where id = $1', [me.userId])).rows[0]
  t.equal(user.email, `deleted-${me.userId}@invalid`)
  t.same([user.first_name, user.last_name, user.title], ['', '—', null], 'names erased at once')
  t.notMatch(user.password_hash, /^scrypt\$/)
  const practice = (await db.query('select iban, bic, account_holder, name from practice where id = $1', [me.practiceId])).rows[0]
  t.same([practice.iban, practice.bic, practice.account_holder], ['', null, ''], 'bank details erased at once')
  const states = (await db.query('select state, cancelled_at from consultation where practice_id = $1 order by start_at', [me.practiceId])).rows
  t.same(
    states.map(r => r.state),
    ['cancelled', 'cancelled'],
    'future consultations cancelled through the lifecycle'
  )
  t.ok(
    states.every(r => r.cancelled_at),
    'both were cancelled'
  )
  const notices = (
    await db.query("select data->>'consultationId' as id from pgboss.job where name = 'lifecycle.event' and data->>'type' = 'consultation.cancelled'")
  ).rows
    .map(r => r.id)
    .sort()
  t.same(notices, [future.id, waiting.id].sort(), 'the normal cancellation notice (and so the cancellation mail) goes out')
  t.equal(
    (await db.query('select 1 from invitation where consultation_id = $1', [future.id])).rowCount,
    1,
    'invitations stay until the purge, for the cancellation mail'
  )

  await eventually(async () => (await db.query('select 1 from practice where id = $1', [me.practiceId])).rowCount === 0, 20_000)
  t.equal((await db.query('select 1 from app_user where id = $1', [me.userId])).rowCount, 0, 'the account row is gone')
  t.equal((await db.query('select 1 from consultation where practice_id = $1', [me.practiceId])).rowCount, 0)
  t.equal((await db.query('select 1 from account_erasure')).rowCount, 0)
  t.equal((await as(app, other)('GET', `/api/consultations/${untouched.id}`)).json().state, 'scheduled', 'another practice is untouched')
  const log = (
    await db.query('select category, sum(count)::int as n from deletion_log where practice_id = $1 group by category order by category', [me.practiceId])
  ).rows
  t.same(
    log,
    [
      { category: 'call-data', n: 1 },
      { category: 'email-verification', n: 1 },
      { category: 'invitation', n: 2 },
      { category: 'practice', n: 1 },
      { category: 'provider-account', n: 1 },
      { category: 'session', n: 2 }
    ],
    'every deletion is in the deletion log'
  )
  t.notOk(JSON.stringify((await db.query('select * from deletion_log')).rows).match(/Kanarien|canary|@/), 'the deletion log holds no identifiers')
})

t.test('a provider with colleagues: the practice stays, a colleague becomes admin, only own consultations are cancelled', async t => {
  const { app, databaseUrl } = await build(t, { purgeAfter: 1000 })
  const db = await connect(t, databaseUrl)
  const me = await provider(app)
  const mate = await colleague(app, db, me.practiceId!)
  const mine = await schedule(app, me, { start: inMinutes(60), end: inMinutes(90) })
  const theirs = await schedule(app, mate, { start: inMinutes(60), end: inMinutes(90) })
  t.equal((await as(app, mate)('GET', '/api/practice/privacy-report')).statusCode, 403, 'the report is for practice admins')

  t.equal((await as(app, me)('POST', '/api/me/deletion', { password: PASSWORD })).statusCode, 202)
  const practice = (await db.query('select iban from practice where id = $1', [me.practiceId])).rows[0]
  t.not(practice.iban, '', 'bank details stay while the practice has providers')
  t.equal((await as(app, mate)('GET', `/api/consultations/${mine.id}`)).json().state, 'cancelled')
  t.equal((await as(app, mate)('GET', `/api/consultations/${theirs.id}`)).json().state, 'scheduled')
  await eventually(async () => (await db.query('select 1 from app_user where id = $1', [me.userId])).rowCount === 0, 20_000)
  t.equal((await db.query('select 1 from practice where id = $1', [me.practiceId])).rowCount, 1, 'the practice stays')
  const report = await as(app, mate)('GET', '/api/practice/privacy-report')
  t.equal(report.statusCode, 200, 'the colleague became practice admin')
  const rows = Object.fromEntries(report.json().map((r: any) => [r.category, r]))
  t.equal(rows['provider-account'].deletedInPeriod, 1)
  t.equal(rows['practice'].deletedInPeriod, 0)
  t.ok(rows['provider-account'].oldestHeldAt, 'the colleague account is still held')
  t.equal(rows.chat.oldestHeldAt, null, 'chat is never held')
})

t.test('a client account is deleted by the job', async t => {
  const { app, databaseUrl } = await build(t)
  const db = await connect(t, databaseUrl)
  const email = uniqueEmail('client')
  await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { kind: 'client', email, password: PASSWORD, firstName: 'Clara', lastName: 'Client' }
  })
  const me = await login(app, email, PASSWORD)
  t.equal((await as(app, me)('POST', '/api/me/deletion', { password: PASSWORD })).statusCode, 202)
  await eventually(async () => (await db.query('select 1 from app_user where id = $1', [me.userId])).rowCount === 0)
  t.same((await db.query("select count from deletion_log where category = 'client-account'")).rows, [{ count: 1 }])
})

t.test('the CLI deletes an account and prints the privacy report (core/dist/cli.js, built by npm test)', async t => {
  const { execFile } = await import('node:child_process')
  const cli = new URL('../dist/cli.js', import.meta.url).pathname
  const { app, databaseUrl } = await build(t, { purgeAfter: 500 })
  const db = await connect(t, databaseUrl)
  const me = await provider(app)
  await schedule(app, me, { start: inMinutes(60), end: inMinutes(90) })
  const run = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>(resolve => {
      execFile(
        process.execPath,
        [cli, ...args],
        { env: { ...process.env, DATABASE_URL: databaseUrl, SESSION_SECRET: 'test-secret-that-is-long-enough-for-hmac-use', LOG_LEVEL: 'warn' } },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
      )
    })
  const unknown = await run('delete-account', 'nobody@example.org')
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /No account/)
  t.equal((await run('frobnicate')).code, 2, 'usage on an unknown command')
  const deleted = await run('delete-account', me.email.toUpperCase())
  t.equal(deleted.code, 0, deleted.stderr)
  t.equal(JSON.parse(deleted.stdout).userId, me.userId)
  t.equal((await as(app, me)('GET', '/api/me')).statusCode, 401, 'sessions revoked at once')
  await eventually(async () => (await db.query('select 1 from practice where id = $1', [me.practiceId])).rowCount === 0, 20_000)
  const report = await run('privacy-report', '--from', new Date(Date.now() - 60_000).toISOString())
  t.equal(report.code, 0, report.stderr)
  const rows = Object.fromEntries(JSON.parse(report.stdout).categories.map((r: any) => [r.category, r.deletedInPeriod]))
  t.equal(rows.practice, 1)
  t.equal(rows['provider-account'], 1)
  t.equal((await run('privacy-report', '--from', 'yesterday')).code, 1, 'a bad time is refused')
})
