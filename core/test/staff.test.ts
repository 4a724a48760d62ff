import t from 'tap'
import { build, provider, as, login, realtime, schedule, inMinutes } from './helpers.js'
import { hashPassword, User, type App } from '../src/index.js'

const PASSWORD = 'a provider password'

/** An admin invites a provider; without the mail plugin the test sets the password as the link would. */
async function invite(app: App, admin: { cookie: string; csrf: string }, body: Record<string, unknown>) {
  const res = await as(app, admin as any)('POST', '/api/practice/providers', body)
  if (res.statusCode !== 201) throw new Error(`invite failed: ${res.statusCode} ${res.body}`)
  const created = res.json()
  await app.orm.em.fork().nativeUpdate(User, { id: created.id }, { passwordHash: await hashPassword(PASSWORD) })
  return { created, session: await login(app, body.email as string, PASSWORD) }
}

t.test('practice data: every provider reads it, admins correct it with a valid IBAN', async t => {
  const { app } = await build(t)
  const admin = await provider(app, 'Praxis Sommer')
  const { session: colleague } = await invite(app, admin, { email: 'colleague.staff1@example.org', firstName: 'Ben', lastName: 'Berg' })

  const read = await as(app, colleague)('GET', '/api/practice')
  t.equal(read.statusCode, 200)
  t.match(read.json(), { name: 'Praxis Sommer', iban: 'DE89370400440532013000', timeZone: 'Europe/Berlin' })

  const patched = await as(app, admin)('PATCH', '/api/practice', {
    name: 'Praxis Sommer & Berg',
    iban: 'GB82 WEST 1234 5698 7654 32',
    contactEmail: 'Team@Example.org',
    timeZone: 'Europe/Vienna',
    locale: 'en',
    bic: 'WESTGB2L'
  })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), {
    name: 'Praxis Sommer & Berg',
    iban: 'GB82WEST12345698765432',
    contactEmail: 'team@example.org',
    timeZone: 'Europe/Vienna',
    locale: 'en',
    bic: 'WESTGB2L'
  })
  t.equal((await as(app, colleague)('GET', '/api/practice')).json().name, 'Praxis Sommer & Berg')

  const badIban = await as(app, admin)('PATCH', '/api/practice', { iban: 'DE00 1234 5678 9012 3456 78' })
  t.equal(badIban.statusCode, 400)
  t.match(badIban.json(), { code: 'SZ_VALIDATION', message: /IBAN/ })
  t.equal((await as(app, admin)('PATCH', '/api/practice', { timeZone: 'Mars/Olympus' })).json().code, 'SZ_VALIDATION')
  t.equal((await as(app, admin)('PATCH', '/api/practice', { unknown: 1 })).json().code, 'SZ_VALIDATION')

  const forbidden = await as(app, colleague)('PATCH', '/api/practice', { name: 'Hijacked' })
  t.equal(forbidden.statusCode, 403)
  t.equal(forbidden.json().code, 'SZ_FORBIDDEN')
})

t.test('admins invite, list, deactivate and activate providers; others get 403', async t => {
  const { app } = await build(t)
  const admin = await provider(app)
  const res = await as(app, admin)('POST', '/api/practice/providers', {
    email: 'New.Colleague.staff2@example.org',
    firstName: 'Cara',
    lastName: 'Adler',
    title: 'Dr.'
  })
  t.equal(res.statusCode, 201)
  t.match(res.json(), { email: 'new.colleague.staff2@example.org', firstName: 'Cara', title: 'Dr.', isPracticeAdmin: false, active: true })
  await t.rejects(login(app, 'new.colleague.staff2@example.org', 'anything at all'), "nobody knows the invitee's password yet")
  const taken = await as(app, admin)('POST', '/api/practice/providers', { email: admin.email, firstName: 'X', lastName: 'Y' })
  t.equal(taken.statusCode, 409)
  t.equal(taken.json().code, 'SZ_EMAIL_TAKEN')

  const { created: dora, session: doraSession } = await invite(app, admin, { email: 'dora.staff2@example.org', firstName: 'Dora', lastName: 'Zeh' })
  const list = (await as(app, doraSession)('GET', '/api/practice/providers')).json()
  t.same(
    list.map((p: any) => p.lastName),
    ['Adler', 'Sommer', 'Zeh']
  )
  t.notOk(JSON.stringify(list).includes('passwordHash'))

  for (const [method, url, body] of [
    ['POST', '/api/practice/providers', { email: 'x.staff2@example.org', firstName: 'X', lastName: 'Y' }],
    ['POST', `/api/practice/providers/${admin.userId}/deactivate`, undefined],
    ['POST', `/api/practice/providers/${dora.id}/activate`, undefined]
  ] as const) {
    const r = await as(app, doraSession)(method, url, body)
    t.equal(r.statusCode, 403, `a non-admin: ${url}`)
    t.equal(r.json().code, 'SZ_FORBIDDEN')
  }

  // Deactivation ends the session at once and refuses logins.
  t.equal((await as(app, admin)('POST', `/api/practice/providers/${dora.id}/deactivate`)).statusCode, 204)
  const after = await as(app, doraSession)('GET', '/api/me')
  t.equal(after.statusCode, 401, "the deactivated provider's session fails at once")
  const denied = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'dora.staff2@example.org', password: PASSWORD } })
  t.equal(denied.statusCode, 403)
  t.equal(denied.json().code, 'SZ_ACCOUNT_DEACTIVATED')
  const wrongPassword = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'dora.staff2@example.org', password: 'wrong password!' } })
  t.equal(wrongPassword.json().code, 'SZ_INVALID_CREDENTIALS', 'a wrong password does not learn about deactivation')
  t.equal((await as(app, admin)('GET', '/api/practice/providers')).json().find((p: any) => p.id === dora.id).active, false)

  t.equal((await as(app, admin)('POST', `/api/practice/providers/${dora.id}/activate`)).statusCode, 204)
  await login(app, 'dora.staff2@example.org', PASSWORD)
})

t.test('a session that outlived a deactivation (not yet revoked) is refused too', async t => {
  const { app } = await build(t)
  const admin = await provider(app)
  const { created, session } = await invite(app, admin, { email: 'race.staff3@example.org', firstName: 'R', lastName: 'Ace' })
  const before = await realtime(app, { cookie: session.cookie })
  t.equal((await before.next('hello')).type, 'hello', 'an active provider connects to realtime')
  before.close()
  await app.orm.em.fork().nativeUpdate(User, { id: created.id }, { active: false })
  t.equal((await as(app, session)('GET', '/api/me')).json().code, 'SZ_UNAUTHORIZED')
  const after = await realtime(app, { cookie: session.cookie })
  t.equal((await after.closed).code, 4401, 'realtime refuses the deactivated provider')
})

t.test('an open realtime socket closes when its session ends: deactivation, logout; other sessions stay', async t => {
  const { app } = await build(t)
  const admin = await provider(app)
  const { created, session } = await invite(app, admin, { email: 'open.staff5@example.org', firstName: 'O', lastName: 'Pen' })
  const theirs = await realtime(app, { cookie: session.cookie })
  const mine = await realtime(app, { cookie: admin.cookie })
  await Promise.all([theirs.next('hello'), mine.next('hello')])
  t.equal((await as(app, admin)('POST', `/api/practice/providers/${created.id}/deactivate`)).statusCode, 204)
  t.equal((await theirs.closed).code, 4401, "the deactivated provider's open socket is closed at once")

  // Whoever waits now is announced to the practice: the closed socket must not hear of it.
  const {
    tokens: [token]
  } = await schedule(app, admin, { start: inMinutes(5), end: inMinutes(50) })
  await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Maria' } })
  await mine.next('participant.waiting')
  t.notOk(
    theirs.messages.some(m => m.type === 'participant.waiting'),
    'no waiting-room push reaches it'
  )

  t.equal((await as(app, admin)('POST', '/api/auth/logout')).statusCode < 300, true)
  t.equal((await mine.closed).code, 4401, 'logging out closes the own socket too')
})

t.test('the last active admin cannot be deactivated', async t => {
  const { app } = await build(t)
  const admin = await provider(app)
  const self = await as(app, admin)('POST', `/api/practice/providers/${admin.userId}/deactivate`)
  t.equal(self.statusCode, 409)
  t.equal(self.json().code, 'SZ_LAST_ADMIN')
  const { created: second, session: secondSession } = await invite(app, admin, {
    email: 'second.admin.staff4@example.org',
    firstName: 'S',
    lastName: 'Admin',
    isPracticeAdmin: true
  })
  t.equal(second.isPracticeAdmin, true)
  t.equal((await as(app, secondSession)('POST', `/api/practice/providers/${admin.userId}/deactivate`)).statusCode, 204, 'with two admins one may go')
  const last = await as(app, secondSession)('POST', `/api/practice/providers/${second.id}/deactivate`)
  t.equal(last.json().code, 'SZ_LAST_ADMIN')
})

t.test('practice scoping: another practice gets 404 on my providers and sees none of them', async t => {
  const { app } = await build(t)
  const a = await provider(app, 'Praxis A')
  const b = await provider(app, 'Praxis B')
  const { created } = await invite(app, a, { email: 'canary.staff5@example.org', firstName: 'Canary', lastName: 'Provider' })
  for (const action of ['deactivate', 'activate']) {
    const res = await as(app, b)('POST', `/api/practice/providers/${created.id}/${action}`)
    t.equal(res.statusCode, 404, action)
    t.equal(res.json().code, 'SZ_NOT_FOUND')
  }
  const res = await as(app, b)('POST', `/api/practice/providers/${a.userId}/deactivate`)
  t.equal(res.statusCode, 404)
  const listB = JSON.stringify((await as(app, b)('GET', '/api/practice/providers')).json())
  t.notOk(listB.includes('canary.staff5'))
  t.equal((await as(app, b)('GET', '/api/practice')).json().name, 'Praxis B')
  t.equal((await as(app, b)('POST', '/api/practice/providers/not-a-uuid/deactivate')).statusCode, 400)
})
