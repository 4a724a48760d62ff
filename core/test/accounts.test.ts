import t from 'tap'
import { build, login, practiceInput, uniqueEmail, as, verifyAddress } from './helpers.js'

t.test('a provider registers with practice data, signs in, and out', async t => {
  const { app } = await build(t)
  const email = uniqueEmail('Dr.Sommer')
  const register = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: {
      kind: 'provider',
      email,
      password: 'a long enough password',
      salutation: 'Frau',
      title: 'Dr.',
      firstName: 'Anna',
      lastName: 'Sommer',
      practice: { ...practiceInput(), bic: 'COBADEFFXXX', timeZone: 'Europe/Vienna', locale: 'en' }
    }
  })
  t.equal(register.statusCode, 202)
  t.same(register.json(), { verification: 'sent' }, 'the answer says nothing about the account')
  await verifyAddress(app, email)

  const session = await login(app, email.toUpperCase(), 'a long enough password')
  const cookieLine = (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'a long enough password' } })).headers[
    'set-cookie'
  ] as string
  t.match(cookieLine, /APPSESSION=/)
  t.match(cookieLine, /HttpOnly/)
  t.match(cookieLine, /SameSite=Lax/)
  t.notMatch(cookieLine, /Max-Age|Expires/, 'a browser-session cookie')

  const me = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: session.cookie } })
  t.equal(me.statusCode, 200)
  const created = me.json()
  t.equal(created.user.kind, 'provider')
  t.equal(created.user.email, email.toLowerCase(), 'e-mail is stored in lower case')
  t.equal(created.user.emailVerified, true)
  t.equal(created.user.isPracticeAdmin, true, 'the registering provider administers the practice')
  t.equal(created.practice.iban, 'DE89370400440532013000', 'IBAN is normalised')
  t.equal(created.practice.timeZone, 'Europe/Vienna')
  t.notOk('passwordHash' in created.user, 'no password hash in answers')
  t.equal(created.practice.name, practiceInput().name)
  t.equal(created.csrfToken, session.csrf)

  const logout = await as(app, session)('POST', '/api/auth/logout')
  t.equal(logout.statusCode, 204)
  const after = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: session.cookie } })
  t.equal(after.statusCode, 401, 'the server session is revoked, not just the cookie')
  t.equal(after.json().code, 'SZ_UNAUTHORIZED')
})

t.test('a client registers voluntarily without a practice', async t => {
  const { app } = await build(t)
  const email = uniqueEmail('client')
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { kind: 'client', email, password: 'client password 1', firstName: 'Ben', lastName: 'Kunde' }
  })
  t.equal(res.statusCode, 202)
  const me = (await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: (await login(app, email, 'client password 1')).cookie } })).json()
  t.equal(me.user.kind, 'client')
  t.equal(me.user.practiceId, null)
  t.equal(me.user.emailVerified, false, 'signing in works before the address is confirmed')
  t.notOk(me.practice)
  const session = await login(app, email, 'client password 1')
  const schedule = await as(app, session)('POST', '/api/consultations', {
    title: 'x',
    start: new Date(Date.now() + 60_000).toISOString(),
    end: new Date(Date.now() + 120_000).toISOString(),
    participants: []
  })
  t.equal(schedule.statusCode, 403, 'clients cannot schedule')
})

t.test('registration answers a taken e-mail like a new one, and refuses a bad IBAN and a client with practice data', async t => {
  const { app } = await build(t)
  const email = uniqueEmail('taken')
  const body = { kind: 'client', email, password: 'client password 1', firstName: 'A', lastName: 'B' }
  const first = await app.inject({ method: 'POST', url: '/api/auth/register', payload: body })
  const again = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { ...body, email: email.toUpperCase(), password: 'another password' } })
  t.equal(first.statusCode, 202)
  t.equal(again.statusCode, 202, 'whether an address has an account stays secret')
  t.same(again.json(), first.json())
  await login(app, email, 'client password 1')
  await t.rejects(login(app, email, 'another password'), 'the second registration changed nothing')
  const badIban = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: {
      kind: 'provider',
      email: uniqueEmail('p'),
      password: 'a long enough password',
      firstName: 'A',
      lastName: 'B',
      practice: { ...practiceInput(), iban: 'DE00 1234 5678 9012 3456 78' }
    }
  })
  t.equal(badIban.statusCode, 400)
  t.match(badIban.json().message, /IBAN/)
  const badZone = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: {
      kind: 'provider',
      email: uniqueEmail('p'),
      password: 'a long enough password',
      firstName: 'A',
      lastName: 'B',
      practice: { ...practiceInput(), timeZone: 'Mars/Olympus' }
    }
  })
  t.equal(badZone.statusCode, 400)
  const short = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { ...body, email: uniqueEmail('s'), password: 'short' } })
  t.equal(short.statusCode, 400)
  t.equal(short.json().code, 'SZ_VALIDATION')
})

t.test('wrong passwords get one answer for unknown and known accounts, and logins are rate limited', async t => {
  const { app } = await build(t, { loginRateLimit: 5 })
  const email = uniqueEmail('limited')
  await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { kind: 'client', email, password: 'client password 1', firstName: 'A', lastName: 'B' }
  })
  const wrong = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'wrong password' } })
  const unknown = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.org', password: 'wrong password' } })
  t.equal(wrong.statusCode, 401)
  t.same(wrong.json(), unknown.json(), 'no hint whether the account exists')
  const codes = []
  for (let i = 0; i < 4; i++)
    codes.push((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'wrong password' } })).statusCode)
  t.same(codes.slice(0, 2), [401, 401])
  t.equal(codes.at(-1), 429)
  const limited = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'client password 1' } })
  t.equal(limited.json().code, 'SZ_RATE_LIMITED')
})

t.test('writes with the session cookie need the CSRF token', async t => {
  const { app } = await build(t)
  const email = uniqueEmail('csrf')
  await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { kind: 'client', email, password: 'client password 1', firstName: 'A', lastName: 'B' }
  })
  const session = await login(app, email, 'client password 1')
  const without = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: session.cookie } })
  t.equal(without.statusCode, 403)
  t.equal(without.json().code, 'SZ_CSRF_TOKEN_INVALID')
  const wrong = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: session.cookie, 'x-csrf-token': 'x'.repeat(43) } })
  t.equal(wrong.statusCode, 403)
  const right = await as(app, session)('POST', '/api/auth/logout')
  t.equal(right.statusCode, 204)
})
