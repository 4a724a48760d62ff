import t from 'tap'
import { mailApp, catcher, provider, login, as, uniqueEmail } from './helpers.js'

const PASSWORD = 'correct horse battery staple'

t.test('an e-mail change takes effect only through the link mailed to the NEW address; the old one can take it back', async t => {
  const smtp = await catcher(t)
  const { app, logs } = await mailApp(t, { smtpUrl: smtp.url })
  const me = await provider(app)
  const old = me.email.toLowerCase()
  await as(app, me)('PATCH', '/api/me', { locale: 'en' })
  const otherDevice = await login(app, me.email, PASSWORD)
  const next = uniqueEmail('new-address').toLowerCase()
  const res = await as(app, me)('POST', '/api/me/email', { password: PASSWORD, email: next })
  t.equal(res.statusCode, 202)
  t.same(res.json(), { verification: 'sent' })
  const pending = (await as(app, me)('GET', '/api/me')).json().user
  t.equal(pending.email, old, 'nothing changes before the link is opened')
  t.equal(pending.pendingEmail, next)

  const [confirmMail] = await smtp.waitFor(1)
  t.equal(confirmMail.envelope.to[0], next, 'the link goes to the NEW address')
  t.equal(confirmMail.mail.subject, 'Please confirm your e-mail address')
  const token = /\/verify-email#token=([\w-]+)/.exec(confirmMail.mail.text!)![1]
  const confirm = await app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token }, headers: { cookie: me.cookie } })
  t.equal(confirm.statusCode, 200)
  t.equal(confirm.json().user.email, next)
  t.equal((await as(app, otherDevice)('GET', '/api/me')).statusCode, 401, 'every other session ends')
  t.equal((await as(app, me)('GET', '/api/me')).statusCode, 200, 'the session that opened the link stays')
  const again = await app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } })
  t.equal(again.statusCode, 410)
  t.equal(again.json().code, 'SZ_VERIFICATION_USED')

  const [notice] = await smtp.waitFor(1, r => r.envelope.to[0] === old)
  t.equal(notice.mail.subject, 'The e-mail address of your account was changed', "in the user's language")
  t.match(notice.mail.text, /^Dear Dr\. Anna Sommer,/)
  t.match(notice.mail.text, /Praxis Dr\. Sommer \(praxis@example\.org\)/, 'whom to contact')
  t.notOk(notice.mail.text!.includes(next), 'the new address is not revealed to the old inbox')
  const undoToken = /\/undo-email-change#token=([\w-]+)/.exec(notice.mail.text!)![1]

  const undo = await app.inject({ method: 'POST', url: '/api/auth/email-change/undo', payload: { token: undoToken } })
  t.equal(undo.statusCode, 200)
  t.equal(undo.json().user.email, old, 'the old address is back')
  t.equal(undo.json().passwordReset, 'required')
  t.equal((await as(app, me)('GET', '/api/me')).statusCode, 401, 'every session ends, the one that made the change too')
  await t.rejects(login(app, old, PASSWORD), 'the password whoever made the change knew stops working')
  await t.rejects(login(app, next, PASSWORD))
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/email-change/undo', payload: { token: undoToken } })).json().code, 'SZ_VERIFICATION_USED')

  // The owner sets a new password through a reset mailed to the restored address.
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email: old } })).statusCode, 202)
  const [reset] = await smtp.waitFor(1, r => r.envelope.to[0] === old && /#token=/.test(r.mail.text ?? '') && /password-reset/.test(r.mail.text ?? ''))
  const resetToken = /\/password-reset#token=([\w-]+)/.exec(reset.mail.text!)![1]
  t.equal(
    (await app.inject({ method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token: resetToken, password: 'a brand new password' } }))
      .statusCode,
    204
  )
  await login(app, old, 'a brand new password')
  t.same(
    await app.orm.em.fork().execute("select network from security_event where kind = 'password-reset' and user_id = ?", [me.userId]),
    [{ network: '127.0.0.0' }],
    'the reset is a security event'
  )

  const sent = smtp.received.length
  const wrong = await as(app, await login(app, old, 'a brand new password'))('POST', '/api/me/email', { password: 'wrong password', email: uniqueEmail('x') })
  t.equal(wrong.json().code, 'SZ_PASSWORD_WRONG')
  await new Promise(resolve => setTimeout(resolve, 800))
  t.equal(smtp.received.length, sent, 'a refused change sends nothing')
  const log = logs.join('')
  t.notOk(log.includes(old) || log.includes(next), 'no address in the logs')
  t.notOk(log.includes(token) || log.includes(undoToken) || log.includes(resetToken), 'no token in the logs')
})

t.test('an invited provider gets a set-your-password link that works once and signs them in', async t => {
  const smtp = await catcher(t)
  const { app, logs } = await mailApp(t, { smtpUrl: smtp.url })
  const admin = await provider(app, 'Praxis Einladung')
  const email = uniqueEmail('invitee')
  const res = await as(app, admin)('POST', '/api/practice/providers', { email, firstName: 'Ina', lastName: 'Neu', title: 'Dr.' })
  t.equal(res.statusCode, 201)
  const [mail] = await smtp.waitFor(1)
  t.equal(mail.envelope.to[0], email.toLowerCase())
  t.equal(mail.mail.subject, 'Ihr Zugang zu Sprechzimmer für Praxis Einladung', "in the practice's language")
  t.match(mail.mail.text, /Dr\. Anna Sommer hat für Sie einen Zugang/)
  t.match(mail.mail.text, /7 Tage/, 'the invitation link lives longer than a reset link')
  const url = /(http:\/\/localhost:3000\/password-reset#token=[\w-]+)/.exec(mail.mail.text!)![1]
  t.ok((mail.mail.html as string).includes(url))
  const token = url.split('#token=')[1]

  const confirm = (password: string) => app.inject({ method: 'POST', url: '/api/auth/password-reset/confirm', payload: { token, password } })
  t.equal((await confirm('the invitee password')).statusCode, 204)
  const session = await login(app, email, 'the invitee password')
  const me = (await as(app, session)('GET', '/api/me')).json()
  t.match(me.user, { kind: 'provider', isPracticeAdmin: false, practiceId: admin.practiceId })
  t.equal((await confirm('another password!')).json().code, 'SZ_RESET_TOKEN_INVALID', 'the link works once')
  t.notOk(logs.join('').includes(token), 'no token in the logs')
  t.notOk(logs.join('').includes(email.toLowerCase()), 'no address in the logs')
})

t.test('an invitation to a provider deactivated before delivery is dropped', async t => {
  const smtp = await catcher(t)
  // The SMTP server is not reachable at first, so the job waits.
  const { app } = await mailApp(t, { smtpUrl: 'smtp://127.0.0.1:1' })
  const admin = await provider(app)
  const res = await as(app, admin)('POST', '/api/practice/providers', { email: uniqueEmail('late'), firstName: 'L', lastName: 'Ate' })
  t.equal(res.statusCode, 201)
  t.equal((await as(app, admin)('POST', `/api/practice/providers/${res.json().id}/deactivate`)).statusCode, 204)
  const mailer = app.mailer as any
  const jobs = await app.orm.em
    .fork()
    .getConnection()
    .execute("select id, data from pgboss.job where name = 'mail.outbox' and data->>'kind' = 'provider-invited'")
  t.equal(jobs.length, 1)
  t.equal(await mailer.deliver(jobs[0].id, jobs[0].data), 'dropped')
  t.equal(smtp.received.length, 0)
})
