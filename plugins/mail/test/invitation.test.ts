import t from 'tap'
import { mailApp, catcher, provider, as, calendarPart, eventOf, type Received } from './helpers.js'

/** Whole minutes from now (iCalendar times have seconds only). */
const inMinutes = (m: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + m * 60_000).toISOString()

t.test('scheduling sends each client a multipart invitation in their language; reschedule updates it, cancel withdraws it', async t => {
  const smtp = await catcher(t)
  const { app, logs } = await mailApp(t, { smtpUrl: smtp.url })
  const me = await provider(app)
  const start = inMinutes(90)
  const end = inMinutes(120)
  const res = await as(app, me)('POST', '/api/consultations', {
    title: 'Erstgespräch',
    start,
    end,
    participants: [
      { email: 'maria@example.org', name: 'Maria Muster' },
      { email: 'john@example.org', locale: 'en' }
    ]
  })
  t.equal(res.statusCode, 201)
  const { id, invitations } = res.json()
  const link = (email: string) => invitations.find((i: any) => i.email === email).joinUrl as string

  const first = await smtp.waitFor(2)
  const de = first.find(r => r.envelope.to[0] === 'maria@example.org')!
  const en = first.find(r => r.envelope.to[0] === 'john@example.org')!
  t.same(de.envelope.to, ['maria@example.org'], 'the envelope names the invitee only')

  // Parts: text, HTML, and the iMIP calendar part.
  t.match(de.raw, /Content-Type: multipart\/alternative/i)
  t.match(de.raw, /Content-Type: text\/calendar; charset=utf-8; method=REQUEST/i)
  t.ok(de.mail.text, 'a plain-text part')
  t.ok(de.mail.html, 'an HTML part')
  t.equal(de.mail.headers.get('auto-submitted'), 'auto-generated')
  t.equal(de.mail.replyTo?.value[0].address, 'praxis@example.org', 'replies go to the practice')

  // German: greeting with the name, practice, provider, the link in both parts, what to prepare, data handling.
  t.match(de.mail.subject, /^Einladung zur Videosprechstunde am /)
  t.match(de.mail.text, /Guten Tag Maria Muster,/)
  t.match(de.mail.text, /Praxis Dr\. Sommer lädt Sie zu einer Videosprechstunde mit Dr\. Anna Sommer ein\./)
  t.ok(de.mail.text!.includes(link('maria@example.org')), 'the join link in the text part')
  t.ok((de.mail.html as string).includes(`href="${link('maria@example.org')}"`), 'the join link in the HTML part')
  t.match(de.mail.text, /So bereiten Sie sich vor/)
  t.match(de.mail.text, /nicht aufgezeichnet/)
  t.match(de.mail.text, /gilt bis zum geplanten Ende/)
  // English, from the invitation's locale.
  t.match(en.mail.subject, /^Invitation to a video consultation on /)
  t.match(en.mail.text, /^Hello,/)
  t.match(en.mail.text, /How to prepare/)
  t.ok(en.mail.text!.includes(link('john@example.org')))
  t.not(link('maria@example.org'), link('john@example.org'), 'each invitee has their own link')

  // The calendar part.
  const ics = calendarPart(de.mail)!
  t.ok(ics, 'a text/calendar part')
  t.match(ics.text, /^METHOD:REQUEST\r?$/m)
  t.match(ics.text, /^DTSTART:\d{8}T\d{6}Z\r?$/m, 'DTSTART in UTC')
  t.match(ics.text, /^DTEND:\d{8}T\d{6}Z\r?$/m, 'DTEND in UTC')
  const event = eventOf(ics.text)
  t.equal(event.uid, `consultation-${id}@localhost`, 'a stable UID per consultation')
  t.equal(new Date(event.start).toISOString(), new Date(start).toISOString())
  t.equal(new Date(event.end).toISOString(), new Date(end).toISOString())
  t.equal(event.url?.val ?? event.url, link('maria@example.org'), 'the join link as URL')
  t.ok(String(event.description).includes(link('maria@example.org')), 'and in the description')
  t.equal(event.status, 'CONFIRMED')
  t.match(event.organizer, { val: /^mailto:praxis@example\.org$/i })
  t.match(event.attendee, { val: /^mailto:maria@example\.org$/i, params: { CN: 'Maria Muster' } })
  const sequence0 = Number(event.sequence)
  t.equal(eventOf(calendarPart(en.mail)!.text).uid, event.uid, 'the same UID for every invitee')

  // Reschedule: an update with the same UID and a higher SEQUENCE.
  const newStart = inMinutes(180)
  const newEnd = inMinutes(210)
  t.equal((await as(app, me)('PATCH', `/api/consultations/${id}`, { start: newStart, end: newEnd })).statusCode, 200)
  const updates = await smtp.waitFor(2, r => /verschoben|Rescheduled/.test(r.mail.subject ?? ''))
  const update = updates.find(r => r.envelope.to[0] === 'maria@example.org')!
  t.match(update.mail.subject, /^Termin verschoben: /)
  t.ok(update.mail.text!.includes(link('maria@example.org')), 'the same link')
  const updated = eventOf(calendarPart(update.mail)!.text)
  t.equal(updated.uid, event.uid)
  t.ok(Number(updated.sequence) > sequence0, `SEQUENCE rises (${sequence0} -> ${updated.sequence})`)
  t.equal(new Date(updated.start).toISOString(), new Date(newStart).toISOString())
  t.match(calendarPart(update.mail)!.text, /^METHOD:REQUEST\r?$/m)

  // A renamed title alone sends nothing.
  t.equal((await as(app, me)('PATCH', `/api/consultations/${id}`, { title: 'Folgetermin' })).statusCode, 200)

  // An added invitation is mailed too.
  const added = await as(app, me)('POST', `/api/consultations/${id}/invitations`, { email: 'late@example.org', locale: 'en' })
  t.equal(added.statusCode, 201)
  const [late] = await smtp.waitFor(1, r => r.envelope.to[0] === 'late@example.org')
  t.ok(late.mail.text!.includes(added.json().joinUrl))
  t.match(late.mail.text, /Topic: Folgetermin/)

  // Cancel: METHOD:CANCEL, STATUS:CANCELLED, same UID, higher SEQUENCE again.
  t.equal((await as(app, me)('POST', `/api/consultations/${id}/cancel`)).statusCode, 200)
  const cancels = await smtp.waitFor(3, r => calendarPart(r.mail)?.text.includes('METHOD:CANCEL') ?? false)
  const cancel = cancels.find(r => r.envelope.to[0] === 'maria@example.org')!
  t.match(cancel.raw, /text\/calendar; charset=utf-8; method=CANCEL/i)
  t.match(cancel.mail.subject, /^Abgesagt: /)
  t.notOk(cancel.mail.text!.includes('/join/'), 'no join link in a cancellation')
  const cancelled = eventOf(calendarPart(cancel.mail)!.text)
  t.equal(cancelled.uid, event.uid)
  t.equal(cancelled.status, 'CANCELLED')
  t.ok(Number(cancelled.sequence) > Number(updated.sequence), `SEQUENCE rises again (${updated.sequence} -> ${cancelled.sequence})`)

  await new Promise(resolve => setTimeout(resolve, 1500))
  const count = (r: Received) => r.envelope.to[0] === 'maria@example.org'
  t.equal(smtp.received.filter(count).length, 3, 'Maria got invitation, update and cancellation: nothing twice')
  t.equal(smtp.received.length, 8, '2 invitations + 2 updates + 1 added + 3 cancellations')

  const log = logs.join('')
  for (const secret of ['maria@example.org', 'john@example.org', 'Maria', ...invitations.map((i: any) => i.joinUrl.split('/join/')[1])]) {
    t.notOk(log.includes(secret), 'the logs hold no address, name or token')
  }
  t.match(log, /mail delivered/)
})
