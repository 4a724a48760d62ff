import t from 'tap'
import type { AccountEvents } from '../src/index.js'
import { build, provider, as, login, uniqueEmail, verifyAddress, TEST_PASSWORD, type App } from './helpers.js'

/** What core tells plugins about reset links; a mail plugin would mail `resetUrlFor(resetId)`. */
function resetLinks(app: App): Array<AccountEvents['passwordResetRequested']> {
  const seen: Array<AccountEvents['passwordResetRequested']> = []
  app.lifecycle.onAccount('passwordResetRequested', async (_em, event) => {
    seen.push(event)
  })
  return seen
}

const tokenOf = (app: App, resetId: string) => /#token=([\w-]+)$/.exec(app.accounts.resetUrlFor(resetId))![1]
const request = (app: App, email: string) =>
  app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email }, headers: { 'accept-language': 'en' } })
const confirm = (app: App, token: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password } })

t.test('password reset is core: a link per minute, one use, every session ends, no mail plugin needed', async t => {
  const { app } = await build(t)
  const links = resetLinks(app)
  const dr = await provider(app)

  t.equal((await request(app, uniqueEmail('nobody'))).statusCode, 202, 'an address without an account answers the same')
  t.equal(links.length, 0, 'and gets no link')
  t.equal((await request(app, dr.email.toUpperCase())).statusCode, 202)
  t.equal((await request(app, dr.email)).statusCode, 202)
  t.equal(links.length, 1, 'one link a minute for an account')
  t.match(links[0], { userId: dr.userId, locale: 'en' })
  const token = tokenOf(app, links[0].resetId)

  const short = await confirm(app, token, 'short')
  t.equal(short.statusCode, 400)
  t.equal(short.json().code, 'SZ_VALIDATION', 'the one password rule')
  t.equal((await confirm(app, 'x'.repeat(43), 'a brand new password')).json().code, 'SZ_RESET_TOKEN_INVALID', 'an unknown token')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } })).statusCode, 410, 'a reset token proves no address change')

  t.equal((await confirm(app, token, 'a brand new password')).statusCode, 204)
  t.equal((await as(app, dr)('GET', '/api/me')).statusCode, 401, 'every session ended')
  await t.rejects(login(app, dr.email, TEST_PASSWORD), /401/, 'the old password is gone')
  await login(app, dr.email, 'a brand new password')
  const again = await confirm(app, token, 'yet another password')
  t.equal(again.statusCode, 400)
  t.equal(again.json().code, 'SZ_RESET_TOKEN_INVALID', 'a link works once')
  const [event] = await app.orm.em.fork().execute(`select count(*)::int as n from security_event where kind = 'password-reset' and user_id = ?`, [dr.userId])
  t.equal(event.n, 1, 'the reset is in the security trail')
})

t.test('a reset link dies when it expires or when the address it went to is no longer the account’s', async t => {
  const { app } = await build(t)
  const links = resetLinks(app)
  const dr = await provider(app)
  const db = app.orm.em.fork()

  t.equal((await request(app, dr.email)).statusCode, 202)
  await db.execute(`update email_verification set expires_at = now() - interval '1 second', created_at = now() - interval '2 minutes' where purpose = 'reset'`)
  t.equal((await confirm(app, tokenOf(app, links[0].resetId), 'a brand new password')).json().code, 'SZ_RESET_TOKEN_INVALID', 'expired')

  t.equal((await request(app, dr.email)).statusCode, 202)
  t.equal(links.length, 2)
  const newEmail = uniqueEmail('moved')
  t.equal((await as(app, dr)('POST', '/api/me/email', { password: TEST_PASSWORD, email: newEmail })).statusCode, 202)
  await verifyAddress(app, newEmail, 'change')
  t.equal(
    (await confirm(app, tokenOf(app, links[1].resetId), 'a brand new password')).json().code,
    'SZ_RESET_TOKEN_INVALID',
    'a link mailed to the old address no longer sets a password'
  )
  await login(app, newEmail, TEST_PASSWORD)
})

t.test('an invited colleague sets a first password through a longer-lived reset link, which proves the address', async t => {
  const { app } = await build(t, { providerInviteTtl: 3 * 86_400_000 })
  const invited: Array<AccountEvents['providerInvited']> = []
  app.lifecycle.onAccount('providerInvited', async (_em, event) => {
    invited.push(event)
  })
  const admin = await provider(app)
  const email = uniqueEmail('colleague')
  const added = await as(app, admin)('POST', '/api/practice/providers', { email, firstName: 'Ben', lastName: 'Berg' })
  t.equal(added.statusCode, 201, added.body)
  t.match(invited, [{ userId: added.json().id, invitedBy: admin.userId, practiceId: admin.practiceId }])
  const [row] = await app.orm.em
    .fork()
    .execute(`select extract(epoch from expires_at - created_at)::int as seconds from email_verification where id = ?`, [invited[0].resetId])
  t.equal(row.seconds, 3 * 86_400, 'valid for SZ_PROVIDER_INVITE_TTL')
  t.equal((await confirm(app, tokenOf(app, invited[0].resetId), 'my own first password')).statusCode, 204)
  const colleague = await login(app, email, 'my own first password')
  t.equal((await as(app, colleague)('GET', '/api/me')).json().user.emailVerified, true, 'the link reached the address: it is proven')
})
