// Mail render benchmark: one invitation (subject, HTML, text) from the templates the mail plugin
// compiled once at start-up, against calling mjml2html for every message, in the same run.
// Goal: ≥ 50× faster and ≥ 1,000 invitations per second. Run `npm run build` first, then
// `node bench/mail-render.mjs` (MAIL_BENCH_MJML=200 MAIL_BENCH_COMPILED=20000 to change the counts).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import mjml2html from 'mjml'
import { loadTemplates, compileTemplate, oneLine, TEMPLATE_DIR, calendarObject } from '../plugins/mail/dist/index.js'

const MJML_MESSAGES = Number(process.env.MAIL_BENCH_MJML ?? 200)
const COMPILED_MESSAGES = Number(process.env.MAIL_BENCH_COMPILED ?? 20_000)

/** A different invitation every time, so that nothing can be cached between messages. */
const data = i => ({
  brand: 'Praxis Dr. Sommer',
  practiceName: 'Praxis Dr. Sommer',
  practiceEmail: 'praxis@example.org',
  providerName: 'Dr. Anna Sommer',
  name: `Maria Muster ${i}`,
  title: `Erstgespräch ${i}`,
  date: 'Sonntag, 28. März 2027',
  startTime: '03:30',
  endTime: '04:00',
  timeZoneName: 'MESZ',
  opensTime: '03:15',
  validUntil: 'Sonntag, 28. März 2027, 04:00 Uhr',
  purgeAfter: '1 Stunde',
  joinUrl: `https://sz.example/join/${i.toString(36).padStart(43, 'x')}`,
  legalNotice: 'Betreiber: Beispiel GmbH, Hauptstraße 1, 10115 Berlin'
})

const t0 = performance.now()
const templates = await loadTemplates()
const compileMs = performance.now() - t0
const invitation = templates.mail('invitation', 'de')

// Per message with MJML: fill the (build-time flattened) MJML source, then mjml2html — what a plugin
// without start-up compilation would do. The text twin is rendered the same way in both.
const mjmlSource = readFileSync(join(TEMPLATE_DIR, 'invitation.de.mjml'), 'utf8')
const fillMjml = compileTemplate(mjmlSource, v => oneLine(v).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`))
let checksum = 0
for (let i = 0; i < 5; i++) {
  checksum += (await mjml2html(fillMjml(data(i)), { validationLevel: 'skip' })).html.length
  checksum += invitation.html(data(i)).length
}

const a = performance.now()
for (let i = 0; i < MJML_MESSAGES; i++) {
  const d = data(i)
  const html = (await mjml2html(fillMjml({ ...d, subject: invitation.subject(d) }), { validationLevel: 'skip' })).html
  checksum += html.length + invitation.text(d).length
}
const mjmlMs = (performance.now() - a) / MJML_MESSAGES

const b = performance.now()
for (let i = 0; i < COMPILED_MESSAGES; i++) {
  const d = data(i)
  const subject = invitation.subject(d)
  checksum += invitation.html({ ...d, subject }).length + invitation.text(d).length + subject.length
}
const compiledMs = (performance.now() - b) / COMPILED_MESSAGES

// The whole message body as the plugin builds it: templates plus the iCalendar part.
const c = performance.now()
const withIcs = Math.min(COMPILED_MESSAGES, 5000)
for (let i = 0; i < withIcs; i++) {
  const d = data(i)
  const subject = invitation.subject(d)
  checksum += invitation.html({ ...d, subject }).length + invitation.text(d).length
  checksum += calendarObject({
    method: 'REQUEST',
    uid: `consultation-${i}@sz.example`,
    sequence: 1,
    start: new Date('2027-03-28T01:30:00Z'),
    end: new Date('2027-03-28T02:00:00Z'),
    summary: d.title,
    description: templates.calendar('de')(d),
    url: d.joinUrl,
    organizer: { name: d.practiceName, email: d.practiceEmail },
    attendee: { name: d.name, email: 'maria@example.org' }
  }).length
}
const fullMs = (performance.now() - c) / withIcs

const ratio = mjmlMs / compiledMs
const perSecond = 1000 / compiledMs
const rows = [
  ['start-up: compile all 12 templates once', `${compileMs.toFixed(0)} ms`],
  [`mjml2html per message (${MJML_MESSAGES})`, `${mjmlMs.toFixed(3)} ms`, `${(1000 / mjmlMs).toFixed(0)} /s`],
  [`compiled render per message (${COMPILED_MESSAGES})`, `${(compiledMs * 1000).toFixed(1)} µs`, `${perSecond.toFixed(0)} /s`],
  [`compiled render + iCalendar part (${withIcs})`, `${(fullMs * 1000).toFixed(1)} µs`, `${(1000 / fullMs).toFixed(0)} /s`]
]
console.log('Mail render: one German invitation (subject, HTML, text)')
for (const row of rows) console.log('  ' + row[0].padEnd(48) + (row[1] ?? '').padStart(12) + (row[2] ?? '').padStart(14))
console.log(`  speed-up compiled vs mjml2html: ${ratio.toFixed(0)}× (goal ≥ 50×) ${ratio >= 50 ? 'ok' : 'MISSED'}`)
console.log(`  invitations per second: ${perSecond.toFixed(0)} (goal ≥ 1,000) ${perSecond >= 1000 ? 'ok' : 'MISSED'}`)
console.log(
  JSON.stringify({
    bench: 'mail-render',
    compileMs: Math.round(compileMs),
    mjmlMsPerMessage: +mjmlMs.toFixed(3),
    compiledUsPerMessage: +(compiledMs * 1000).toFixed(2),
    withIcsUsPerMessage: +(fullMs * 1000).toFixed(2),
    ratio: Math.round(ratio),
    invitationsPerSecond: Math.round(perSecond),
    checksum
  })
)
process.exitCode = ratio >= 50 && perSecond >= 1000 ? 0 : 1
