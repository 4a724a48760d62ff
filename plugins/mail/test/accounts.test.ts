import t from 'tap'
import pg from 'pg'
import { mailApp, catcher, provider, account, as, login, uniqueEmail, eventually, verifyAddress } from './helpers.js'

t.test('password reset: always 202, a one-time expiring link by mail, the new password works and every session is revoked', async t => {
  const smtp = await catcher(t)
  const { app, databaseUrl, logs } = await mailApp(t, { smtpUrl: smtp.url })
  const me = await provider(app)
  const reset = (email: string, lang = 'de') =>
    app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email }, headers: { 'accept-language': lang } })

  t.equal((await reset('nobody@example.org')).statusCode, 202, 'an unknown address answers the same')
  t.equal((await reset(me.email.toUpperCase(), 'en-GB,en;q=0.9')).statusCode, 202)
  t.equal((await reset(me.email)).statusCode, 202, 'a second request within a minute answers the same…')
  const [mail] = await smtp.waitFor(1)
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.equal(smtp.received.length, 1, '…but sends no second mail, and nothing went to the unknown address')
  t.equal(mail.envelope.to[0], me.email)
  t.equal(mail.mail.subject, 'Set a new password', 'in the language of the request')
  const url = /(http:\/\/localhost:3000\/password-reset#token=[\w-]+)/.exec(mail.mail.text!)![1]
  t.ok((mail.mail.html as string).includes(url), 'the same link in the HTML part')
  const token = url.split('#token=')[1]

  const confirm = (payload: object) => app.inject({ method: 'POST', url: '/api/auth/password-reset/confirm', payload })
  const wrong = await confirm({ token: 'x'.repeat(43), password: 'a brand new password' })
  t.equal(wrong.statusCode, 400)
  t.equal(wrong.json().code, 'SZ_RESET_TOKEN_INVALID')
  t.equal((await confirm({ token, password: 'short' })).statusCode, 400, 'the password rules of registration apply')
  t.equal((await confirm({ token, password: 'a brand new password' })).statusCode, 204)

  t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: me.cookie } })).statusCode, 401, 'the old session is revoked')
  await t.rejects(login(app, me.email, 'correct horse battery staple'), /401/, 'the old password no longer works')
  await login(app, me.email, 'a brand new password')
  t.equal((await confirm({ token, password: 'yet another password' })).statusCode, 400, 'the link works once')

  // An expired link: request again after the resend window, then age the row.
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  await db.query(`update email_verification set created_at = now() - interval '2 minutes' where purpose = 'reset'`)
  t.equal((await reset(me.email)).statusCode, 202)
  const [second] = await smtp.waitFor(2).then(m => m.slice(1))
  t.equal(second.mail.subject, 'Neues Passwort festlegen')
  const token2 = /#token=([\w-]+)/.exec(second.mail.text!)![1]
  await db.query(`update email_verification set expires_at = now() - interval '1 second' where purpose = 'reset'`)
  await db.end()
  t.equal((await confirm({ token: token2, password: 'yet another password' })).statusCode, 400, 'an expired link is refused')

  const log = logs.join('')
  t.notOk(log.includes(token) || log.includes(token2), 'no token in the logs')
  t.notOk(log.includes(me.email), 'no address in the logs')
})

t.test('registering mails a one-time link that proves the address; a taken address mails its owner instead, at most hourly', async t => {
  const smtp = await catcher(t)
  const { app, logs } = await mailApp(t, { smtpUrl: smtp.url })
  const email = uniqueEmail('client').toLowerCase()
  const body = { kind: 'client', email, password: 'a long enough password', firstName: 'Eva', lastName: '<i>Muster</i>' }
  const res = await app.inject({ method: 'POST', url: '/api/auth/register', headers: { 'accept-language': 'en-GB,en;q=0.9' }, payload: body })
  t.equal(res.statusCode, 202)
  t.same(res.json(), { verification: 'sent' })
  await eventually(async () => smtp.welcomes.length >= 1)
  const [mail] = smtp.welcomes
  t.equal(mail.envelope.to[0], email)
  t.equal(mail.mail.subject, 'Welcome to Sprechzimmer: please confirm your e-mail address')
  t.match(mail.mail.text, /^Dear Eva <i>Muster<\/i>,/)
  t.ok((mail.mail.html as string).includes('Eva &lt;i&gt;Muster&lt;/i&gt;'))
  t.match(mail.mail.text, /valid for 1 day/)
  const url = /(http:\/\/localhost:3000\/verify-email#token=[\w-]+)/.exec(mail.mail.text!)![1]
  t.ok((mail.mail.html as string).includes(url), 'the same link in the HTML part')
  const token = url.split('#token=')[1]

  const session = await login(app, email, 'a long enough password')
  t.equal((await as(app, session)('GET', '/api/me')).json().user.emailVerified, false)
  const verify = await app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } })
  t.equal(verify.statusCode, 200)
  t.equal(verify.json().user.emailVerified, true)
  const used = await app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } })
  t.equal(used.statusCode, 410)
  t.equal(used.json().code, 'SZ_VERIFICATION_USED')
  t.equal((await as(app, session)('POST', '/api/auth/verify-email/resend')).json().code, 'SZ_EMAIL_ALREADY_VERIFIED')

  // Someone registers the same address again (twice): its owner hears of it once, nothing else changes.
  const intruder = {
    method: 'POST' as const,
    url: '/api/auth/register',
    headers: { 'accept-language': 'en' },
    payload: { ...body, password: 'the intruder password' }
  }
  const again = await app.inject(intruder)
  t.equal(again.statusCode, 202)
  t.same(again.json(), res.json(), 'the same answer as for a new address')
  await app.inject(intruder)
  const [attempt] = await smtp.waitFor(1, r => r.envelope.to[0] === email)
  t.equal(attempt.mail.subject, 'Someone tried to use your e-mail address for an account')
  t.match(attempt.mail.text, /http:\/\/localhost:3000\/password-reset/)
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.equal(smtp.received.filter(r => r.envelope.to[0] === email).length, 1, 'one notice an hour, however often someone tries')
  t.equal(smtp.welcomes.length, 1, 'no second account, no second welcome')
  await t.rejects(login(app, email, 'the intruder password'))
  t.notOk(logs.join('').includes(token), 'no token in the logs')
  t.notOk(logs.join('').includes(email), 'no address in the logs')
})

t.test('a resend mails a new link, at most one a minute; an expired link answers 410', async t => {
  const smtp = await catcher(t)
  const { app } = await mailApp(t, { smtpUrl: smtp.url, emailVerificationTtl: 1500 })
  const session = await account(app, 'client', { verified: false })
  await eventually(async () => smtp.welcomes.length >= 1)
  const first = /#token=([\w-]+)/.exec(smtp.welcomes[0].mail.text!)![1]
  await new Promise(resolve => setTimeout(resolve, 1600))
  const expired = await app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: first } })
  t.equal(expired.statusCode, 410)
  t.equal(expired.json().code, 'SZ_VERIFICATION_EXPIRED')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: 'x'.repeat(43) } })).json().code, 'SZ_VERIFICATION_INVALID')

  const tooSoon = await as(app, session)('POST', '/api/auth/verify-email/resend')
  t.equal(tooSoon.statusCode, 429, 'the registration mail counts: one link a minute')
  await app.orm.em.fork().execute("update email_verification set created_at = created_at - interval '2 minutes'")
  t.equal((await as(app, session)('POST', '/api/auth/verify-email/resend')).statusCode, 202)
  const limited = await as(app, session)('POST', '/api/auth/verify-email/resend')
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'SZ_RATE_LIMITED')
  const [resent] = await smtp.waitFor(1)
  t.equal(resent.envelope.to[0], session.email.toLowerCase())
  t.equal(resent.mail.subject, 'Bitte bestätigen Sie Ihre E-Mail-Adresse')
  const token = /\/verify-email#token=([\w-]+)/.exec(resent.mail.text!)![1]
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } })).statusCode, 200)
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal(smtp.received.length, 1, 'only the one resend was mailed')
})

t.test('a provider whose address is unproven prepares consultations, but invitations wait until it is proven', async t => {
  const smtp = await catcher(t)
  const { app } = await mailApp(t, { smtpUrl: smtp.url })
  const dr = await account(app, 'provider', { verified: false })
  const res = await as(app, dr)('POST', '/api/consultations', {
    title: 'Erstgespräch',
    start: new Date(Date.now() + 3_600_000).toISOString(),
    end: new Date(Date.now() + 5_400_000).toISOString(),
    participants: [{ email: 'held.patient@example.org' }]
  })
  t.equal(res.statusCode, 201)
  t.equal(res.json().mailHeld, true, 'the answer says the mail waits')
  const more = await as(app, dr)('POST', `/api/consultations/${res.json().id}/invitations`, { email: 'second.patient@example.org' })
  t.equal(more.json().mailHeld, true)
  const staff = await as(app, dr)('POST', '/api/practice/providers', { email: uniqueEmail('colleague'), firstName: 'K', lastName: 'Ollege' })
  t.equal(staff.statusCode, 403, 'no mail to a colleague either')
  t.equal(staff.json().code, 'SZ_EMAIL_UNVERIFIED')
  await new Promise(resolve => setTimeout(resolve, 1500))
  t.equal(smtp.received.length, 0, 'no invitation while the provider is unverified')

  await verifyAddress(app, dr.email)
  const invitations = await smtp.waitFor(2)
  t.same(
    invitations.map(m => m.envelope.to[0]).sort(),
    ['held.patient@example.org', 'second.patient@example.org'],
    'the held invitations go out once the address is proven'
  )
  const later = await as(app, dr)('POST', `/api/consultations/${res.json().id}/invitations`, { email: 'third.patient@example.org' })
  t.equal(later.json().mailHeld, false)
  await smtp.waitFor(1, m => m.envelope.to[0] === 'third.patient@example.org')
  await new Promise(resolve => setTimeout(resolve, 800))
  t.equal(smtp.received.length, 3, 'each invitation once')
})

t.test('app.mailer.send renders a template and sends it at once (the plugin contract)', async t => {
  const smtp = await catcher(t)
  const { app } = await mailApp(t, { smtpUrl: smtp.url })
  await app.mailer!.send('account-registered', 'de', { name: 'Max', loginUrl: 'https://sz.example/login' }, 'max@example.org', [
    { filename: 'a.txt', content: 'hello', contentType: 'text/plain' }
  ])
  const mail = await eventually(async () => smtp.welcomes.find(m => m.envelope.to[0] === 'max@example.org'))
  t.match(mail.mail.subject, /^Willkommen bei Sprechzimmer/)
  t.equal(mail.mail.attachments.find(a => a.filename === 'a.txt')?.content.toString(), 'hello')
  await t.rejects(app.mailer!.send('no-such-template', 'de', {}, 'max@example.org'), /unknown template/)
})

t.test('repeated failed sign-ins tell the owner once, and a password reset ends the slowdown', async t => {
  const smtp = await catcher(t)
  const { app } = await mailApp(t, { smtpUrl: smtp.url, loginBackoffAfter: 2, loginBackoffBase: 60_000, loginRateLimit: 1000 })
  const owner = await provider(app)
  const attempt = (password: string) => app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: owner.email, password } })
  for (let i = 0; i < 2; i++) t.equal((await attempt('wrong password')).statusCode, 401)
  t.equal((await attempt('correct horse battery staple')).json().code, 'SZ_LOGIN_BACKOFF')
  const [notice] = await smtp.waitFor(1)
  t.equal(notice.envelope.to[0], owner.email.toLowerCase())
  t.equal(notice.mail.subject, 'Anmeldeversuche an Ihrem Konto werden verzögert')
  t.match(notice.mail.text, /http:\/\/localhost:3000\/password-reset/)
  for (let i = 0; i < 2; i++)
    await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody.here@example.org', password: 'wrong password' } })
  await new Promise(resolve => setTimeout(resolve, 800))
  t.equal(smtp.received.length, 1, 'one notice, and none for an address without an account')

  t.equal((await app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: owner.email } })).statusCode, 202)
  const [reset] = await smtp.waitFor(2).then(m => m.slice(1))
  const token = /#token=([\w-]+)/.exec(reset.mail.text!)![1]
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password: 'a brand new password' } })).statusCode, 204)
  t.equal((await attempt('a brand new password')).statusCode, 200, 'never locked out for good: a reset lets the owner in at once')
})
