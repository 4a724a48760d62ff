import t from 'tap'
import { build, provider, as, login, inMinutes, uniqueEmail, account, testDatabase, TEST_PASSWORD } from './helpers.js'

// Waits long enough that a busy machine's slow attempts cannot outlast them.
const backoff = { loginBackoffAfter: 3, loginBackoffBase: 4000, loginBackoffMax: 5000, loginRateLimit: 1000 }
const attempt = (app: Awaited<ReturnType<typeof build>>['app'], email: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } })

t.test('failed sign-ins slow one address down, known or unknown alike, across two instances, never for good', async t => {
  const databaseUrl = await testDatabase(t)
  const { app: a } = await build(t, backoff, databaseUrl)
  const { app: b } = await build(t, backoff, databaseUrl)
  const owner = await account(a, 'client')
  const statuses = async (email: string, password = 'wrong password') => {
    const seen: number[] = []
    // Alternate instances: the count lives in the database, not in one process.
    for (const app of [a, b, a, b]) seen.push((await attempt(app, email, password)).statusCode)
    return seen
  }
  const known = await statuses(owner.email)
  const blocked = await attempt(a, owner.email, TEST_PASSWORD)
  t.same(known, [401, 401, 401, 429], 'the fourth try waits')
  t.equal(blocked.statusCode, 429, 'while it waits, even the right password waits')
  t.equal(blocked.json().code, 'SZ_LOGIN_BACKOFF')
  t.ok(Number(blocked.headers['retry-after']) >= 1, 'Retry-After says how long')
  const unknown = await statuses(uniqueEmail('nobody'))
  t.same(unknown, known, 'an address without an account answers exactly the same')
  await new Promise(resolve => setTimeout(resolve, 5200))
  t.equal((await attempt(b, owner.email, TEST_PASSWORD)).statusCode, 200, 'after the wait the owner gets in, on either instance')
  const [row] = await a.orm.em.fork().execute('select count(*)::int as n from login_backoff')
  t.equal(row.n, 1, 'a success forgets the failures of its address (the unknown address keeps its own)')
  t.same((await statuses(owner.email)).slice(0, 3), [401, 401, 401], 'counting starts again')
})

t.test('per-practice invitation quotas: 429 with a code, and nothing half-done is left behind', async t => {
  const { app } = await build(t, { quotas: { invitationsPerHour: 3, invitationsPerDay: 4, recipientsPerConsultation: 2 } })
  const dr = await provider(app)
  const req = as(app, dr)
  const body = (emails: string[]) => ({ title: 'Sitzung', start: inMinutes(60), end: inMinutes(90), participants: emails.map(email => ({ email })) })

  const tooMany = await req('POST', '/api/consultations', body(['a@example.org', 'b@example.org', 'c@example.org']))
  t.equal(tooMany.statusCode, 429)
  t.equal(tooMany.json().code, 'SZ_QUOTA_EXCEEDED')
  t.equal(tooMany.json().quota, 'recipients per consultation')
  t.same((await req('GET', '/api/consultations')).json(), [], 'the refused request created no consultation and no invitation')

  const two = await req('POST', '/api/consultations', body(['a@example.org', 'b@example.org']))
  t.equal(two.statusCode, 201)
  const third = await req('POST', `/api/consultations/${two.json().id}/invitations`, { email: 'c@example.org' })
  t.equal(third.json().code, 'SZ_QUOTA_EXCEEDED', 'the recipients limit holds for added invitations too')
  t.equal((await req('POST', '/api/consultations', body(['d@example.org']))).statusCode, 201)
  const hourly = await req('POST', '/api/consultations', body(['e@example.org']))
  t.equal(hourly.statusCode, 429)
  t.equal(hourly.json().quota, 'invitations per hour')
  t.equal((await req('GET', '/api/consultations')).json().length, 2)

  const other = await provider(app, 'Praxis Nebenan')
  t.equal((await as(app, other)('POST', '/api/consultations', body(['x@example.org']))).statusCode, 201, "one practice's quota is its own")
  await login(app, dr.email, TEST_PASSWORD)
})
