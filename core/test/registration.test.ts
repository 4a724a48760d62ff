import t from 'tap'
import { build, provider, as, login, uniqueEmail, testDatabase, practiceInput, TEST_PASSWORD } from './helpers.js'

/** The operator's CLI (core/dist/cli.js, built by npm test) on the test's database. */
async function cli(databaseUrl: string, env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { execFile } = await import('node:child_process')
  const path = new URL('../dist/cli.js', import.meta.url).pathname
  return await new Promise(resolve => {
    execFile(
      process.execPath,
      [path, ...args],
      { env: { ...process.env, DATABASE_URL: databaseUrl, SESSION_SECRET: 'test-secret-that-is-long-enough-for-hmac-use', LOG_LEVEL: 'warn', ...env } },
      (err, out, errOut) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errOut })
    )
  })
}

t.test('SZ_REGISTRATION=approval: a new practice waits for the operator, who approves and suspends it with the CLI', async t => {
  const databaseUrl = await testDatabase(t)
  const { app } = await build(t, { registration: 'approval' }, databaseUrl)
  const dr = await provider(app, 'Praxis Wartend')
  const me = (await as(app, dr)('GET', '/api/me')).json()
  t.equal(me.practice.standing, 'awaiting-approval', 'signing in works and says why nothing else does')
  const closed = await as(app, dr)('GET', '/api/consultations')
  t.equal(closed.statusCode, 403)
  t.equal(closed.json().code, 'SZ_PRACTICE_NOT_APPROVED')

  const list = await cli(databaseUrl, { SZ_REGISTRATION: 'approval' }, 'practices')
  t.equal(list.code, 0, list.err)
  t.match(JSON.parse(list.out), [{ id: dr.practiceId, name: 'Praxis Wartend', standing: 'awaiting-approval', providers: 1 }])
  t.equal((await cli(databaseUrl, {}, 'practices', 'approve', dr.practiceId!)).code, 0)
  t.equal((await as(app, dr)('GET', '/api/consultations')).statusCode, 200, 'approved: the practice opens')

  t.match(JSON.parse((await cli(databaseUrl, {}, 'practices', 'suspend', dr.practiceId!)).out), { standing: 'suspended' })
  t.equal((await as(app, dr)('GET', '/api/me')).statusCode, 401, 'suspension ends the sessions at once')
  const again = await login(app, dr.email, TEST_PASSWORD)
  t.equal((await as(app, again)('GET', '/api/consultations')).json().code, 'SZ_PRACTICE_SUSPENDED')
  t.match(JSON.parse((await cli(databaseUrl, {}, 'practices', 'resume', dr.practiceId!)).out), { standing: 'active' })
  t.equal((await as(app, again)('GET', '/api/consultations')).statusCode, 200)
  t.equal((await cli(databaseUrl, {}, 'practices', 'frobnicate')).code, 2, 'an unknown action prints the usage')
  t.match((await cli(databaseUrl, {}, '--help')).out, /practices approve\|suspend\|resume <id>/)
})

t.test('SZ_REGISTRATION=closed: only the operator creates practices; clients still register', async t => {
  const databaseUrl = await testDatabase(t)
  const { app } = await build(t, { registration: 'closed' }, databaseUrl)
  const refused = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { kind: 'provider', email: uniqueEmail('p'), password: TEST_PASSWORD, firstName: 'A', lastName: 'B', practice: practiceInput() }
  })
  t.equal(refused.statusCode, 403)
  t.equal(refused.json().code, 'SZ_REGISTRATION_CLOSED')
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/api/auth/register',
        payload: { kind: 'client', email: uniqueEmail('c'), password: TEST_PASSWORD, firstName: 'A', lastName: 'B' }
      })
    ).statusCode,
    202
  )

  const { writeFileSync, mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const file = `${mkdtempSync(`${tmpdir()}/sz-cli-`)}/practice.json`
  const email = uniqueEmail('operator-made').toLowerCase()
  writeFileSync(file, JSON.stringify({ email, firstName: 'Olga', lastName: 'Operator', practice: practiceInput('Praxis vom Betreiber') }))
  const created = await cli(databaseUrl, { SZ_REGISTRATION: 'closed' }, 'practices', 'create', file)
  t.equal(created.code, 0, created.err)
  const { practiceId, userId } = JSON.parse(created.out)
  const [row] = await app.orm.em
    .fork()
    .execute('select p.approved_at, u.email, u.is_practice_admin from practice p join app_user u on u.practice_id = p.id where u.id = ?', [userId])
  t.ok(row.approved_at, 'created approved')
  t.equal(row.email, email)
  t.equal(row.is_practice_admin, true)
  t.ok(practiceId)
  t.equal((await cli(databaseUrl, {}, 'practices', 'create', file)).code, 1, 'a taken address creates nothing')
  writeFileSync(file, JSON.stringify({ email: 'not an address' }))
  t.equal((await cli(databaseUrl, {}, 'practices', 'create', file)).code, 1, 'a bad file is refused with its errors')
})
