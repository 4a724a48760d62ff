import t from 'tap'
import { mailApp, catcher, provider, as, calendarPart } from './helpers.js'

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString()

t.test('reminders go out at their offsets as delayed jobs; none inside the window, none for a moved time', async t => {
  process.env.SZ_MAIL_REMINDERS = '4s,1h'
  const smtp = await catcher(t)
  const { app } = await mailApp(t, { smtpUrl: smtp.url })
  const me = await provider(app)
  const soon = await as(app, me)('POST', '/api/consultations', {
    title: 'Bald',
    start: inSeconds(7),
    end: inSeconds(1800),
    participants: [{ email: 'soon@example.org' }]
  })
  t.equal(soon.statusCode, 201)
  const moved = await as(app, me)('POST', '/api/consultations', {
    title: 'Verschoben',
    start: inSeconds(7),
    end: inSeconds(1800),
    participants: [{ email: 'moved@example.org', locale: 'en' }]
  })
  t.equal((await as(app, me)('PATCH', `/api/consultations/${moved.json().id}`, { start: inSeconds(7200), end: inSeconds(9000) })).statusCode, 200)

  const reminder = (r: any) => /^(Erinnerung|Reminder)/.test(r.mail.subject ?? '')
  const [mail] = await smtp.waitFor(1, reminder, 12_000)
  t.equal(mail.envelope.to[0], 'soon@example.org')
  t.match(mail.mail.subject, /^Erinnerung: Videosprechstunde in 4 Sekunden \(\d\d:\d\d Uhr\)$/)
  t.match(mail.mail.text, /beginnt in 4 Sekunden\./)
  t.ok(mail.mail.text!.includes(soon.json().invitations[0].joinUrl), 'with the link')
  t.notOk(calendarPart(mail.mail), 'a reminder carries no calendar part (the entry exists already)')
  await new Promise(resolve => setTimeout(resolve, 4000))
  t.equal(smtp.received.filter(reminder).length, 1, 'no 1 h reminder (created inside that window), no reminder for the old time of the moved one')
  t.equal(smtp.received.filter(r => r.envelope.to[0] === 'moved@example.org').length, 2, 'the moved one got invitation and update only')
})
