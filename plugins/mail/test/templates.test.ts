import t from 'tap'
import { readFileSync } from 'node:fs'
import ical from 'node-ical'
import { compileTemplate, escapeHtml, oneLine, loadTemplates, MAIL_TEMPLATES, TEMPLATE_DIR, calendarObject } from '../dist/index.js'
import { when, duration } from '../dist/format.js'

const sample = {
  brand: 'Praxis Sommer',
  practiceName: 'Praxis Sommer',
  practiceEmail: 'praxis@example.org',
  providerName: 'Dr. Anna Sommer',
  name: 'Maria',
  title: 'Erstgespräch',
  date: 'Sonntag, 28. März 2027',
  startTime: '03:30',
  endTime: '04:00',
  timeZoneName: 'MESZ',
  opensTime: '03:15',
  validUntil: 'Sonntag, 28. März 2027, 04:00 Uhr',
  purgeAfter: '1 Stunde',
  joinUrl: 'https://sz.example/join/abc',
  lead: 'in 15 Minuten',
  loginUrl: 'https://sz.example/login',
  resetUrl: 'https://sz.example/password-reset#token=xyz',
  expiresIn: '1 Stunde',
  legalNotice: 'Betreiber: Beispiel GmbH'
}

t.test('the template language: values, sections, inverted sections; values are never parsed again', async t => {
  const render = compileTemplate('<p>{{#name}}Hallo {{name}}{{/name}}{{^name}}Hallo{{/name}}, {{ title }}</p>', escapeHtml)
  t.equal(render({ name: 'Ann', title: 'A & B' }), '<p>Hallo Ann, A &amp; B</p>')
  t.equal(render({ title: 'x' }), '<p>Hallo, x</p>')
  t.equal(
    render({ name: '{{title}} <mj-include path="/etc/passwd" />', title: 'T' }),
    '<p>Hallo {{title}} &lt;mj-include path=&quot;/etc/passwd&quot; /&gt;, T</p>'
  )
  t.throws(() => compileTemplate('{{#a}}x', escapeHtml), /not closed/)
  t.throws(() => compileTemplate('{{#a}}x{{/b}}', escapeHtml), /closes/)
  t.equal(oneLine('Maria\r\nBcc: evil@example.org\u2028x'), 'Maria Bcc: evil@example.org x')
})

t.test('every template exists in de and en, compiles, and leaves no placeholder or include behind', async t => {
  const templates = await loadTemplates()
  for (const name of MAIL_TEMPLATES) {
    for (const locale of ['de', 'en'] as const) {
      const mail = templates.mail(name, locale)
      const html = mail.html(sample)
      const text = mail.text(sample)
      t.notMatch(html, /\{\{|<mj-|mj-include/, `${name}.${locale}: HTML fully rendered`)
      t.notMatch(text, /\{\{|<mj-/, `${name}.${locale}: text fully rendered`)
      t.match(html, new RegExp(`<html[^>]*lang="${locale}"`), `${name}.${locale}: html lang`)
      t.ok(text.includes(sample.legalNotice) && html.includes(sample.legalNotice), `${name}.${locale}: the legal notice in the footer`)
      t.ok(mail.subject(sample).length > 5, `${name}.${locale}: a subject`)
      for (const url of [sample.joinUrl, sample.resetUrl, sample.loginUrl]) {
        t.equal(html.includes(escapeHtml(url)), text.includes(url), `${name}.${locale}: text and HTML carry the same links`)
      }
    }
  }
  const flat = readFileSync(`${TEMPLATE_DIR}/invitation.de.mjml`, 'utf8')
  t.notMatch(flat, /mj-include/, 'includes were resolved at build time')
})

t.test('dates are shown in the practice time zone, correct across daylight saving time', async t => {
  // Last Sunday of March 2027: 01:00 UTC the clocks jump from 02:00 CET to 03:00 CEST.
  t.same(when(new Date('2027-03-28T00:30:00Z'), 'de', 'Europe/Berlin'), { date: 'Sonntag, 28. März 2027', time: '01:30', zone: 'MEZ' })
  t.same(when(new Date('2027-03-28T01:30:00Z'), 'de', 'Europe/Berlin'), { date: 'Sonntag, 28. März 2027', time: '03:30', zone: 'MESZ' })
  // Last Sunday of October 2027: 02:30 happens twice.
  t.same(when(new Date('2027-10-31T00:30:00Z'), 'en', 'Europe/Berlin'), { date: 'Sunday, 31 October 2027', time: '02:30', zone: 'CEST' })
  t.same(when(new Date('2027-10-31T01:30:00Z'), 'en', 'Europe/Berlin'), { date: 'Sunday, 31 October 2027', time: '02:30', zone: 'CET' })
  t.equal(when(new Date('2027-03-28T01:30:00Z'), 'en', 'America/New_York').time, '21:30')
  t.equal(duration(3_600_000, 'de'), '1 Stunde')
  t.equal(duration(86_400_000, 'en'), '1 day')
  t.equal(duration(15 * 60_000, 'de'), '15 Minuten')
})

t.test('the calendar object is valid iCalendar with UID, SEQUENCE, ORGANIZER, ATTENDEE and UTC times', async t => {
  const text = calendarObject({
    method: 'REQUEST',
    uid: 'consultation-1@sz.example',
    sequence: 4,
    start: new Date('2027-03-28T01:30:00Z'),
    end: new Date('2027-03-28T02:00:00Z'),
    summary: 'Erst\r\ngespräch; a, b',
    description: 'Link: https://sz.example/join/abc',
    url: 'https://sz.example/join/abc',
    organizer: { name: 'Praxis "Sommer"', email: 'praxis@example.org' },
    attendee: { name: 'Maria\r\nBcc: x@example.org', email: 'maria@example.org' }
  })
  t.match(text, /^DTSTART:20270328T013000Z\r$/m)
  t.match(text, /^SEQUENCE:4\r$/m)
  const [event] = Object.values(ical.sync.parseICS(text)).filter((c: any) => c.type === 'VEVENT') as any[]
  t.equal(event.uid, 'consultation-1@sz.example')
  t.equal(event.summary, 'Erst gespräch; a, b', 'line breaks become spaces; separators survive escaping')
  t.equal(event.attendee.params.CN, 'Maria Bcc: x@example.org')
  t.equal(event.organizer.params.CN, "Praxis 'Sommer'")
})
