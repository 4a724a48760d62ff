import t from 'tap'
import { contactApp, contactRows, contactJobs, query, catcher, freePort, eventually, MailCatcher, OPERATOR, type Received } from './helpers.js'

const MESSAGE = 'Guten Tag,\n\nich hätte gern einen Termin für eine Videosprechstunde.\nAm liebsten dienstags.\n\nViele Grüße'
const form = (over: Record<string, string> = {}) => ({
  name: 'Erika Mustermann',
  email: 'erika.sender@example.net',
  subject: 'Terminanfrage',
  message: MESSAGE,
  ...over
})
const toOperator = (r: Received) => r.envelope.to.includes(OPERATOR)

t.test('a message reaches CONTACT_TO with everything, the sender gets a confirmation, and nothing of it is kept', async t => {
  const smtp = await catcher(t)
  const { app, databaseUrl, logs } = await contactApp(t, { smtpUrl: smtp.url })
  const res = await app.inject({ method: 'POST', url: '/api/contact', payload: form(), headers: { 'accept-language': 'en-GB,en;q=0.9,de;q=0.8' } })
  t.equal(res.statusCode, 202)
  t.same(res.json(), { status: 'accepted' })

  const mails = await smtp.waitFor(2)
  const operator = mails.find(toOperator)!
  const confirmation = mails.find(m => m.envelope.to.includes('erika.sender@example.net'))!
  t.same(operator.envelope.to, [OPERATOR], 'the operator mail goes to CONTACT_TO only')
  t.equal(operator.mail.subject, 'Kontaktformular: Terminanfrage', 'in the operator language (CONTACT_LOCALE, default de)')
  t.match(operator.mail.text, /Von: Erika Mustermann <erika\.sender@example\.net>/)
  t.match(operator.mail.text, /Sprache: Englisch/, 'says which language the sender used')
  t.ok(
    operator.mail.text!.includes('Guten Tag, ich hätte gern einen Termin für eine Videosprechstunde. Am liebsten dienstags. Viele Grüße'),
    'the message in the body'
  )
  t.ok((operator.mail.html as string).includes('href="mailto:erika.sender@example.net"'), 'a reply link in the HTML')
  const attachment = operator.mail.attachments.find(a => a.filename === 'nachricht.txt')
  t.equal(attachment?.content.toString('utf8'), MESSAGE, 'the original text with its line breaks is attached')

  t.same(confirmation.envelope.to, ['erika.sender@example.net'])
  t.equal(confirmation.mail.subject, 'We received your message', "the confirmation is in the sender's language")
  t.match(confirmation.mail.html as string, /<html[^>]*lang="en"/)
  t.notMatch(confirmation.raw, /Erika|Terminanfrage|Videosprechstunde/, 'the confirmation repeats nothing from the form')

  await eventually(async () => (await contactRows(databaseUrl)).length === 0)
  t.pass('the row is gone after delivery')
  await eventually(async () => (await contactJobs(databaseUrl)).every(j => j.state === 'completed'))
  const jobs = await contactJobs(databaseUrl)
  t.equal(jobs.length, 1)
  t.same(Object.keys(jobs[0].data), ['id'], 'the job holds the row id only')
  const everyJob = JSON.stringify(await query(databaseUrl, 'select data, output from pgboss.job'))
  t.notMatch(everyJob, /Erika|Mustermann|erika\.sender|Terminanfrage|dienstags/, 'no name, address, subject or text anywhere in pg-boss')

  await new Promise(resolve => setTimeout(resolve, 1000))
  t.equal(smtp.received.length, 2, 'each mail once')
  const log = logs.join('')
  t.match(log, /contact message delivered and deleted/)
  t.notMatch(log, /Erika|Mustermann|erika\.sender|Terminanfrage|dienstags/, 'no name, address, subject or text in the log')
  t.same(
    await query(databaseUrl, "select category, count from deletion_log where category = 'contact-message'"),
    [{ category: 'contact-message', count: 1 }],
    'the deletion is in the deletion log, as a count'
  )
})

t.test('the confirmation is in German for de, for no Accept-Language and for languages other than de/en', async t => {
  const smtp = await catcher(t)
  const { app } = await contactApp(t, { smtpUrl: smtp.url }, { CONTACT_LOCALE: 'en' })
  const cases: Array<[string | undefined, string]> = [
    ['de-DE,de;q=0.9', 'de'],
    [undefined, 'de'],
    ['fr-FR,fr;q=0.9', 'de'],
    ['fr, en;q=0.5, de;q=0.3', 'en'],
    ['de;q=0.5, en', 'en']
  ]
  for (const [i, [header]] of cases.entries()) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/contact',
      payload: form({ email: `lang${i}@example.net` }),
      headers: header ? { 'accept-language': header } : {}
    })
    t.equal(res.statusCode, 202)
  }
  const mails = await smtp.waitFor(cases.length * 2)
  for (const [i, [header, locale]] of cases.entries()) {
    const mail = mails.find(m => m.envelope.to.includes(`lang${i}@example.net`))!
    t.equal(
      mail.mail.subject,
      locale === 'de' ? 'Ihre Nachricht ist angekommen' : 'We received your message',
      `Accept-Language ${header ?? '(none)'} -> ${locale}`
    )
    t.match(mail.mail.html as string, new RegExp(`<html[^>]*lang="${locale}"`))
  }
  const operator = mails.filter(toOperator)
  t.equal(operator.length, cases.length)
  t.ok(
    operator.every(m => /^Contact form: /.test(m.mail.subject ?? '')),
    'CONTACT_LOCALE=en makes the operator mail English'
  )
  t.ok(operator.every(m => m.mail.attachments.some(a => a.filename === 'message.txt')))
})

t.test('while the SMTP server is down the sender is served and the message waits; once it is back, each mail arrives once', async t => {
  const port = await freePort()
  const { app, databaseUrl, logs } = await contactApp(t, { smtpUrl: `smtp://127.0.0.1:${port}` })
  const res = await app.inject({ method: 'POST', url: '/api/contact', payload: form() })
  t.equal(res.statusCode, 202, 'a dead SMTP server does not fail the request')
  await eventually(async () => (await contactJobs(databaseUrl)).some(j => j.retry_count >= 1), 15_000)
  t.pass('the delivery failed and is being retried')
  const [row] = await contactRows(databaseUrl)
  t.equal(row.message, MESSAGE, 'the message waits in its row')
  t.equal(row.operator_sent_at, null)

  const smtp = new MailCatcher()
  await smtp.start(port)
  t.teardown(() => smtp.stop())
  await smtp.waitFor(2, () => true, 30_000)
  await eventually(async () => (await contactRows(databaseUrl)).length === 0)
  await new Promise(resolve => setTimeout(resolve, 2500))
  t.equal(smtp.received.filter(toOperator).length, 1, 'the operator mail once')
  t.equal(smtp.received.length, 2, 'and the confirmation once')
  const log = logs.join('')
  t.match(log, /mail delivery failed: (ECONNECTION|ESOCKET)/, 'the failure is logged by code')
  t.notMatch(log, /Erika|erika\.sender|Terminanfrage|dienstags/)
})

t.test('when only the confirmation fails, the retry sends only the confirmation; the text is gone already', async t => {
  let refusals = 0
  const smtp = await catcher(t, 0, {
    onRcptTo(address, _session, callback) {
      if (address.address === 'erika.sender@example.net' && refusals++ === 0)
        return callback(Object.assign(new Error('4.2.0 try later'), { responseCode: 451 }))
      callback()
    }
  })
  const { app, databaseUrl } = await contactApp(t, { smtpUrl: smtp.url })
  t.equal((await app.inject({ method: 'POST', url: '/api/contact', payload: form() })).statusCode, 202)
  await smtp.waitFor(1, toOperator)
  const row = await eventually(async () => (await contactRows(databaseUrl)).find(r => r.operator_sent_at))
  t.same([row.name, row.subject, row.message], ['', '', ''], 'after the operator has it, the row keeps only address and language')
  await smtp.waitFor(2)
  await eventually(async () => (await contactRows(databaseUrl)).length === 0)
  await new Promise(resolve => setTimeout(resolve, 1500))
  t.equal(smtp.received.filter(toOperator).length, 1, 'the operator mail was not sent again')
  t.equal(smtp.received.length, 2)
})

t.test('a sender address the SMTP server refuses for good is not retried, and the row goes', async t => {
  const smtp = await catcher(t, 0, {
    onRcptTo(address, _session, callback) {
      if (address.address === 'gone@example.net') return callback(Object.assign(new Error('5.1.1 <gone@example.net>: user unknown'), { responseCode: 550 }))
      callback()
    }
  })
  const { app, databaseUrl, logs } = await contactApp(t, { smtpUrl: smtp.url })
  t.equal((await app.inject({ method: 'POST', url: '/api/contact', payload: form({ email: 'gone@example.net' }) })).statusCode, 202)
  await smtp.waitFor(1, toOperator)
  await eventually(async () => (await contactRows(databaseUrl)).length === 0)
  await eventually(async () => (await contactJobs(databaseUrl)).every(j => j.state === 'completed' && j.retry_count === 0))
  t.pass('completed at the first attempt')
  t.match(logs.join(''), /refused for good/)
  t.notMatch(logs.join(''), /gone@example\.net/, 'the server reply, which quotes the address, is not logged')
})

t.test('a message whose delivery failed for good is deleted by the cleanup job; a job without its row does nothing', async t => {
  const port = await freePort()
  const { app, databaseUrl } = await contactApp(t, { smtpUrl: `smtp://127.0.0.1:${port}` }, { SZ_MAIL_RETRY_LIMIT: '0' })
  t.equal((await app.inject({ method: 'POST', url: '/api/contact', payload: form() })).statusCode, 202)
  await eventually(async () => (await contactJobs(databaseUrl)).every(j => j.state === 'failed'))
  t.equal((await contactRows(databaseUrl)).length, 1, 'the row outlives its failed job…')
  await query(databaseUrl, `update contact_message set created_at = now() - interval '10 minutes'`)
  await app.jobs.send('contact.cleanup', {})
  await eventually(async () => (await contactRows(databaseUrl)).length === 0)
  t.pass('…until the cleanup deletes it')

  // idempotent worker: a job (e.g. a redelivery) for a row that is gone completes without sending
  const smtp = new MailCatcher()
  await smtp.start(port)
  t.teardown(() => smtp.stop())
  const id = await app.jobs.send('contact.deliver', { id: '00000000-0000-4000-8000-000000000000' })
  await eventually(async () => (await contactJobs(databaseUrl)).find(j => j.id === id && j.state === 'completed'))
  t.equal(smtp.received.length, 0, 'nothing sent for a row that is gone')
})
