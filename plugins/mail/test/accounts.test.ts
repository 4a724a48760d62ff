import t from 'tap'
import pg from 'pg'
import type { EntityManager } from '@mikro-orm/postgresql'
import { mailApp, catcher, provider, login, uniqueEmail, eventually } from './helpers.js'
import type { MailService } from '../dist/index.js'

t.test('password reset: always 202, a one-time expiring link by mail, the new password works and every session is revoked', async t => {
  const smtp = await catcher(t)
  const { app, databaseUrl, logs } = await mailApp(t, { smtpUrl: smtp.url })
  const me = await provider(app)
  const reset = (email: string, lang = 'de') => app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email }, headers: { 'accept-language': lang } })

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
  await db.query(`update mail_password_reset set created_at = now() - interval '2 minutes'`)
  t.equal((await reset(me.email)).statusCode, 202)
  const [second] = await smtp.waitFor(2).then(m => m.slice(1))
  t.equal(second.mail.subject, 'Neues Passwort festlegen')
  const token2 = /#token=([\w-]+)/.exec(second.mail.text!)![1]
  await db.query(`update mail_password_reset set expires_at = now() - interval '1 second'`)
  await db.end()
  t.equal((await confirm({ token: token2, password: 'yet another password' })).statusCode, 400, 'an expired link is refused')

  const log = logs.join('')
  t.notOk(log.includes(token) || log.includes(token2), 'no token in the logs')
  t.notOk(log.includes(me.email), 'no address in the logs')
})

t.test('registering an account sends one confirmation through the outbox, in the language asked for', async t => {
  const smtp = await catcher(t)
  const { app } = await mailApp(t, { smtpUrl: smtp.url })
  const email = uniqueEmail('client')
  const res = await app.inject({ method: 'POST', url: '/api/auth/register', headers: { 'accept-language': 'en-GB,en;q=0.9' }, payload: { kind: 'client', email, password: 'a long enough password', firstName: 'Eva', lastName: '<i>Muster</i>' } })
  t.equal(res.statusCode, 201)
  const mailer = app.mailer as MailService
  // a redelivered hook (same account) must not send a second mail
  await app.orm.em.fork().transactional(async (em: EntityManager) => { await mailer.accountRegistered(em, res.json().user.id, 'en') })
  await eventually(async () => smtp.welcomes.length >= 1)
  const [mail] = smtp.welcomes
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.equal(smtp.welcomes.length, 1, 'queued twice for one account, sent once')
  t.equal(mail.envelope.to[0], email)
  t.equal(mail.mail.subject, 'Welcome to Sprechzimmer')
  t.match(mail.mail.text, /^Dear Eva <i>Muster<\/i>,/)
  t.ok((mail.mail.html as string).includes('Eva &lt;i&gt;Muster&lt;/i&gt;'))
  t.match(mail.mail.text, /http:\/\/localhost:3000\/login/)
})

t.test('app.mailer.send renders a template and sends it at once (the plugin contract)', async t => {
  const smtp = await catcher(t)
  const { app } = await mailApp(t, { smtpUrl: smtp.url })
  await app.mailer!.send('account-registered', 'de', { name: 'Max', loginUrl: 'https://sz.example/login' }, 'max@example.org', [{ filename: 'a.txt', content: 'hello', contentType: 'text/plain' }])
  const mail = await eventually(async () => smtp.welcomes.find(m => m.envelope.to[0] === 'max@example.org'))
  t.equal(mail.mail.subject, 'Willkommen bei Sprechzimmer')
  t.equal(mail.mail.attachments.find(a => a.filename === 'a.txt')?.content.toString(), 'hello')
  await t.rejects(app.mailer!.send('no-such-template', 'de', {}, 'max@example.org'), /unknown template/)
})
