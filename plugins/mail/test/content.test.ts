import t from 'tap'
import { mailApp, catcher, provider, as, calendarPart, eventOf } from './helpers.js'

t.test('a consultation on the DST Sundays of March and October shows the local time of Europe/Berlin', async t => {
  process.env.SZ_MAIL_REMINDERS = 'none'
  const smtp = await catcher(t)
  const { app } = await mailApp(t, { smtpUrl: smtp.url })
  const me = await provider(app)
  const plan = async (start: string, end: string, email: string, locale?: string) => {
    const res = await as(app, me)('POST', '/api/consultations', { title: 'DST', start, end, participants: [{ email, ...(locale ? { locale } : {}) }] })
    t.equal(res.statusCode, 201)
  }
  // 28 March 2027, 01:00 UTC: 02:00 CET becomes 03:00 CEST.
  await plan('2027-03-28T01:30:00Z', '2027-03-28T02:00:00Z', 'march@example.org')
  await plan('2027-03-28T00:30:00Z', '2027-03-28T01:30:00Z', 'march-across@example.org', 'en')
  // 31 October 2027, 01:00 UTC: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
  await plan('2027-10-31T00:30:00Z', '2027-10-31T00:45:00Z', 'october-first@example.org', 'en')
  await plan('2027-10-31T01:30:00Z', '2027-10-31T01:45:00Z', 'october-second@example.org')
  const mails = await smtp.waitFor(4)
  const text = (email: string) => mails.find(m => m.envelope.to[0] === email)!.mail.text!
  t.match(text('march@example.org'), /Datum:\s+Sonntag, 28\. März 2027\nUhrzeit: 03:30–04:00 Uhr \(MESZ\)/)
  t.match(text('march-across@example.org'), /Date:\s+Sunday, 28 March 2027\nTime:\s+01:30–03:30 \(CET\/CEST\)/)
  t.match(text('october-first@example.org'), /Date:\s+Sunday, 31 October 2027\nTime:\s+02:30–02:45 \(CEST\)/)
  t.match(text('october-second@example.org'), /Datum:\s+Sonntag, 31\. Oktober 2027\nUhrzeit: 02:30–02:45 Uhr \(MEZ\)/)
  t.match(mails.find(m => m.envelope.to[0] === 'october-second@example.org')!.mail.subject, /am Sonntag, 31\. Oktober 2027, 02:30 Uhr/)
  const event = eventOf(calendarPart(mails.find(m => m.envelope.to[0] === 'october-second@example.org')!.mail)!.text)
  t.equal(new Date(event.start).toISOString(), '2027-10-31T01:30:00.000Z', 'the calendar entry is exact in UTC')
})

t.test('names and titles with markup, placeholders, includes and header injection end up as text', async t => {
  process.env.SZ_MAIL_REMINDERS = 'none'
  const smtp = await catcher(t)
  const { app } = await mailApp(t, { smtpUrl: smtp.url })
  const me = await provider(app, 'Praxis <b>Bold</b>\r\nX-Injected: 1')
  const evil = '<script>alert(1)</script> {{joinUrl}} <mj-include path="/etc/passwd" />\r\nBcc: evil@example.org'
  const res = await as(app, me)('POST', '/api/consultations', {
    title: 'Termin\r\nBcc: evil2@example.org {{subject}} <img src=x onerror=alert(1)>',
    start: new Date(Date.now() + 3_600_000).toISOString(),
    end: new Date(Date.now() + 5_400_000).toISOString(),
    participants: [{ email: 'victim@example.org', name: evil }]
  })
  t.equal(res.statusCode, 201)
  const [mail] = await smtp.waitFor(1)
  await new Promise(resolve => setTimeout(resolve, 1000))
  t.equal(smtp.received.length, 1, 'one mail')
  t.same(mail.envelope.to, ['victim@example.org'], 'no recipient was added')
  const headerBlock = mail.raw.split(/\r?\n\r?\n/)[0]
  t.notMatch(headerBlock, /^bcc:/im, 'no Bcc header')
  t.notMatch(headerBlock, /^x-injected:/im, 'no injected header')
  t.notOk(mail.mail.bcc, 'the parser sees no Bcc')
  t.match(mail.mail.subject, /^Einladung zur Videosprechstunde/)
  const html = mail.mail.html as string
  t.notMatch(html, /<script|<img src=x|<mj-include|<b>Bold/i, 'no markup from data in the HTML')
  t.ok(
    html.includes('&lt;script&gt;alert(1)&lt;/script&gt; {{joinUrl}} &lt;mj-include path=&quot;/etc/passwd&quot; /&gt; Bcc: evil@example.org'),
    'the name is escaped text'
  )
  t.ok(html.includes('Praxis &lt;b&gt;Bold&lt;/b&gt; X-Injected: 1'), 'the practice name is escaped text')
  t.notMatch(html, /root:x:0/, 'nothing was included')
  const text = mail.mail.text!
  t.ok(
    text.includes('Guten Tag <script>alert(1)</script> {{joinUrl}} <mj-include path="/etc/passwd" /> Bcc: evil@example.org,'),
    'the text part shows the name as it was typed, on one line'
  )
  t.ok(text.includes('Thema:   Termin Bcc: evil2@example.org {{subject}} <img src=x onerror=alert(1)>'), 'the title too')
  t.equal(mail.mail.to && !Array.isArray(mail.mail.to) ? mail.mail.to.value.length : 0, 1, 'one To address')
  const event = eventOf(calendarPart(mail.mail)!.text)
  t.equal(event.summary, 'Termin Bcc: evil2@example.org {{subject}} <img src=x onerror=alert(1)>')
  t.equal(event.attendee.params.CN, "<script>alert(1)</script> {{joinUrl}} <mj-include path='/etc/passwd' /> Bcc: evil@example.org")
})
