import t from 'tap'
import { readdirSync, readFileSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import pg from 'pg'
import { mailApp, catcher, freePort, provider, account, as, eventually, MailCatcher, calendarPart } from './helpers.js'
import type { MailService } from '../dist/index.js'

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString()

async function jobRows(databaseUrl: string) {
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  try {
    return (await db.query(`select id, state, retry_count, data from pgboss.job where name = 'mail.outbox'`)).rows
  } finally {
    await db.end()
  }
}

t.test('while the SMTP server is down the provider is served and mail waits; once it is back, each mail arrives exactly once', async t => {
  process.env.SZ_MAIL_REMINDERS = 'none'
  const port = await freePort()
  const { app, databaseUrl, logs } = await mailApp(t, { smtpUrl: `smtp://127.0.0.1:${port}` })
  const me = await provider(app)
  const res = await as(app, me)('POST', '/api/consultations', {
    title: 'Retry',
    start: inMinutes(60),
    end: inMinutes(90),
    participants: [{ email: 'patient@example.org' }]
  })
  t.equal(res.statusCode, 201, "a dead SMTP server does not fail the provider's request")
  await eventually(async () => (await jobRows(databaseUrl)).some(j => j.retry_count >= 1), 15_000)
  t.pass('the delivery failed and is being retried')
  const rows = await jobRows(databaseUrl)
  const invitationJob = rows.find(j => j.data.kind === 'invitation')!
  t.same(Object.keys(invitationJob.data).sort(), ['invitationId', 'kind'], 'the job holds ids only')
  t.notMatch(JSON.stringify(rows), /patient@example\.org|\/join\//, 'no address or link in the queue')

  const smtp = new MailCatcher()
  await smtp.start(port)
  t.teardown(() => smtp.stop())
  const [mail] = await smtp.waitFor(1, () => true, 30_000)
  t.equal(mail.envelope.to[0], 'patient@example.org')
  t.ok(mail.mail.text!.includes(res.json().invitations[0].joinUrl), 'with the link')
  await new Promise(resolve => setTimeout(resolve, 2500))
  t.equal(smtp.received.length, 1, 'sent once')
  await eventually(async () => (await jobRows(databaseUrl)).every(j => j.state === 'completed'))

  // A retry after the server accepted (the same job delivered again) sends nothing.
  const job = (await jobRows(databaseUrl)).find(j => j.data.kind === 'invitation')!
  const mailer = app.mailer as MailService
  t.equal(await mailer.deliver(job.id, job.data), 'duplicate', 'the delivery record stops a second send')
  t.equal(await app.jobs.send('mail.outbox', job.data, { id: job.id }), null, 'the same job cannot be queued twice')
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.equal(smtp.received.length, 1, 'still once')
  t.equal(mail.mail.messageId, `<${job.id}@localhost>`, 'the Message-ID names the job, so a receiver can also tell duplicates')

  const log = logs.join('')
  t.match(log, /mail delivery failed: (ECONNECTION|ESOCKET)/, 'the failure is logged by code')
  t.notMatch(log, /patient@example\.org|\/join\//, 'never with an address or a link')
})

t.test('a recipient the SMTP server refuses for good is not retried forever', async t => {
  process.env.SZ_MAIL_REMINDERS = 'none'
  const smtp = await catcher(t, 0, {
    onRcptTo(address, _session, callback) {
      if (address.address === 'gone@example.org') return callback(Object.assign(new Error('5.1.1 <gone@example.org>: user unknown'), { responseCode: 550 }))
      callback()
    }
  })
  const { app, databaseUrl, logs } = await mailApp(t, { smtpUrl: smtp.url })
  const me = await provider(app)
  await as(app, me)('POST', '/api/consultations', {
    title: 'Refused',
    start: inMinutes(60),
    end: inMinutes(90),
    participants: [{ email: 'gone@example.org' }, { email: 'here@example.org' }]
  })
  await smtp.waitFor(1)
  await eventually(async () => {
    const rows = (await jobRows(databaseUrl)).filter(j => j.data?.kind === 'invitation')
    return rows.length === 2 && rows.every(j => j.state === 'completed')
  })
  t.equal(smtp.received.length, 1, 'only the deliverable mail arrived')
  t.match(logs.join(''), /refused for good/)
  t.notMatch(logs.join(''), /gone@example\.org/, "the server's reply, which quotes the address, is not logged")
})

t.test('with no SMTP_URL every mail is written as .eml to DATA_DIR/outbox, and the log says where without address or link', async t => {
  process.env.SZ_MAIL_REMINDERS = 'none'
  const { app, logs } = await mailApp(t, {})
  t.equal(app.config.smtpUrl, undefined)
  const me = await provider(app)
  // The provider's welcome mail is dropped: its link was used before delivery. A client who has not
  // confirmed yet gets theirs.
  await account(app, 'client', { verified: false })
  const res = await as(app, me)('POST', '/api/consultations', {
    title: 'Outbox',
    start: inMinutes(60),
    end: inMinutes(90),
    participants: [{ email: 'eml@example.org', name: 'Erika Muster' }]
  })
  const dir = join(app.config.dataDir, 'outbox')
  // two mails: the client's registration confirmation and the invitation
  const files = await eventually(async () => {
    try {
      const f = readdirSync(dir).filter(n => n.endsWith('.eml'))
      return f.length === 2 ? f : null
    } catch {
      return null
    }
  })
  const mails = await Promise.all(files.map(async f => await simpleParser(readFileSync(join(dir, f)))))
  const parsed = mails.find(m => (m.to as any).value[0].address === 'eml@example.org')!
  t.equal((parsed.to as any).value[0].address, 'eml@example.org')
  t.ok(parsed.text!.includes(res.json().invitations[0].joinUrl), 'the file holds the complete mail')
  t.ok(calendarPart(parsed), 'with its calendar part')
  const lines = logs.filter(l => l.includes('mail written to outbox'))
  t.equal(lines.length, 2, 'a log line says where, for each mail')
  for (const file of files)
    t.ok(
      lines.some(l => l.includes(join(dir, file))),
      'with the path'
    )
  t.notMatch(logs.join(''), /eml@example\.org|Erika|\/join\//, 'no address, name or link in the log')

  // The hourly clean-up deletes files older than SZ_MAIL_OUTBOX_KEEP (24h) and leaves newer ones.
  const old = new Date(Date.now() - 25 * 3_600_000)
  utimesSync(join(dir, files[0]), old, old)
  await app.jobs.send('mail.cleanup', {})
  await eventually(async () => !readdirSync(dir).includes(files[0]))
  t.same(
    readdirSync(dir).filter(n => n.endsWith('.eml')),
    [files[1]],
    'only the file past its keeping time is deleted'
  )
})
