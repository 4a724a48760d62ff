import t from 'tap'
import pg from 'pg'
import { mailApp, catcher, provider, login, as, uniqueEmail, eventually } from './helpers.js'

const PASSWORD = 'correct horse battery staple'

t.test('an e-mail change notifies the OLD address once, and the old address is not kept after delivery', async t => {
  const smtp = await catcher(t)
  const { app, databaseUrl, logs } = await mailApp(t, { smtpUrl: smtp.url })
  const me = await provider(app)
  await as(app, me)('PATCH', '/api/me', { locale: 'en' })
  const next = uniqueEmail('new-address')
  const res = await as(app, me)('POST', '/api/me/email', { password: PASSWORD, email: next })
  t.equal(res.statusCode, 200)
  const [mail] = await smtp.waitFor(1)
  t.equal(mail.envelope.to[0], me.email.toLowerCase(), 'to the old address')
  t.equal(mail.mail.subject, 'The e-mail address of your account was changed', 'in the user\'s language')
  t.match(mail.mail.text, /^Dear Dr\. Anna Sommer,/)
  t.match(mail.mail.text, /Praxis Dr\. Sommer \(praxis@example\.org\)/, 'whom to contact')
  t.notOk(mail.mail.text!.includes(next.toLowerCase()), 'the new address is not revealed to the old inbox')

  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  t.teardown(() => db.end())
  await eventually(async () => (await db.query('select count(*)::int as n from mail_email_change')).rows[0].n === 0)
  t.pass('the old address is deleted once the notice is delivered')

  const wrong = await as(app, me)('POST', '/api/me/email', { password: 'wrong password', email: uniqueEmail('x') })
  t.equal(wrong.json().code, 'SZ_PASSWORD_WRONG')
  await new Promise(resolve => setTimeout(resolve, 800))
  t.equal(smtp.received.length, 1, 'a refused change sends nothing')
  const log = logs.join('')
  t.notOk(log.includes(me.email.toLowerCase()) || log.includes(next.toLowerCase()), 'no address in the logs')
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
  t.equal(mail.mail.subject, 'Ihr Zugang zu Sprechzimmer für Praxis Einladung', 'in the practice\'s language')
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
  const jobs = await app.orm.em.fork().getConnection().execute("select id, data from pgboss.job where name = 'mail.outbox' and data->>'kind' = 'provider-invited'")
  t.equal(jobs.length, 1)
  t.equal(await mailer.deliver(jobs[0].id, jobs[0].data), 'dropped')
  t.equal(smtp.received.length, 0)
})
