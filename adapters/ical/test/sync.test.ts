import t from 'tap'
import { icalApp, provider, as, upload, local, VTIMEZONE_BERLIN, crlf } from './helpers.js'

const TZ = 'W. Europe Standard Time'

/** An Outlook/Exchange export: VTIMEZONE + TZID, folded lines, ATTENDEE, a weekly series with EXDATE and a moved instance, an all-day event. */
function outlook(opts: { moveB?: boolean; cancelC?: boolean; dropD?: boolean } = {}) {
  const a = [local(7, 10), local(7, 10, 30)]
  const b = opts.moveB ? [local(8, 15), local(8, 15, 45)] : [local(8, 14), local(8, 14, 45)]
  const c = [local(9, 9), local(9, 9, 30)]
  const d = [local(10, 11), local(10, 11, 50)]
  const s = [local(3, 8), local(3, 8, 30)]
  const lines = [
    'BEGIN:VCALENDAR',
    'PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN',
    'VERSION:2.0',
    'METHOD:PUBLISH',
    ...VTIMEZONE_BERLIN,
    'BEGIN:VEVENT',
    'UID:040000008200E00074C5B7101A82E00800000000A1',
    `DTSTART;TZID="${TZ}":${a[0].ics}`,
    `DTEND;TZID="${TZ}":${a[1].ics}`,
    'SUMMARY:Video: Erstgespräch',
    'CATEGORIES:Video',
    'ATTENDEE;CN="Maria Müller";RSVP=TRUE:mailto:maria.mueller@example.org',
    'DTSTAMP:20261101T000000Z',
    // A folded description line (RFC 5545 §3.1).
    'DESCRIPTION:Bitte 5 Minuten vorher einwählen. Dies ist eine lange Zeile, die ',
    ' gefaltet wurde.',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:040000008200E00074C5B7101A82E00800000000B2',
    `DTSTART;TZID=${TZ}:${b[0].ics}`,
    `DTEND;TZID=${TZ}:${b[1].ics}`,
    'SUMMARY:Video Folgetermin',
    'ATTENDEE;CN=Hans Weber:mailto:hans.weber@example.org',
    'SEQUENCE:' + (opts.moveB ? '1' : '0'),
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:040000008200E00074C5B7101A82E00800000000C3',
    `DTSTART;TZID=${TZ}:${c[0].ics}`,
    `DTEND;TZID=${TZ}:${c[1].ics}`,
    'SUMMARY:Video Beratung',
    `STATUS:${opts.cancelC ? 'CANCELLED' : 'CONFIRMED'}`,
    'END:VEVENT',
    ...(opts.dropD
      ? []
      : [
          'BEGIN:VEVENT',
          'UID:040000008200E00074C5B7101A82E00800000000D4',
          `DTSTART;TZID=${TZ}:${d[0].ics}`,
          `DTEND;TZID=${TZ}:${d[1].ics}`,
          'SUMMARY:Video Kontrolle',
          'END:VEVENT'
        ]),
    'BEGIN:VEVENT',
    'UID:040000008200E00074C5B7101A82E00800000000E5',
    `DTSTART;VALUE=DATE:${local(5, 0).ics.slice(0, 8)}`,
    `DTEND;VALUE=DATE:${local(6, 0).ics.slice(0, 8)}`,
    'SUMMARY:Praxis geschlossen',
    'END:VEVENT',
    // Weekly series of 4, the second excluded, the third moved one hour later.
    'BEGIN:VEVENT',
    'UID:series-1@praxis',
    `DTSTART;TZID=${TZ}:${s[0].ics}`,
    `DTEND;TZID=${TZ}:${s[1].ics}`,
    'RRULE:FREQ=WEEKLY;COUNT=4',
    `EXDATE;TZID=${TZ}:${local(10, 8).ics}`,
    'SUMMARY:Video Gruppe',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:series-1@praxis',
    `RECURRENCE-ID;TZID=${TZ}:${local(17, 8).ics}`,
    `DTSTART;TZID=${TZ}:${local(17, 9).ics}`,
    `DTEND;TZID=${TZ}:${local(17, 9, 30).ics}`,
    'SUMMARY:Video Gruppe (verschoben)',
    'END:VEVENT',
    'END:VCALENDAR'
  ]
  return { text: crlf(lines), a, b, c, d, s }
}

const consultations = async (app: any, session: any) =>
  (await as(app, session)('GET', '/api/consultations')).json() as Array<{ id: string; title: string; start: string; end: string; state: string }>

t.test('an Outlook-style upload: created, re-sync writes nothing, changes reschedule and cancel', async t => {
  const { app, logs } = await icalApp(t)
  const dr = await provider(app)
  const feed = outlook()
  const res = await upload(app, dr, '/api/calendar-sources', feed.text)
  t.equal(res.statusCode, 201, res.body)
  const { source, report } = res.json()
  t.equal(report.created, 4 + 3, 'four single events and three instances of the series')
  t.match(report.skipped, [{ uid: '040000008200E00074C5B7101A82E00800000000E5', reason: 'all-day event' }])
  t.ok(report.withoutInvitation.includes('040000008200E00074C5B7101A82E00800000000C3'))
  t.equal(report.complete, true)

  const list = await consultations(app, dr)
  t.equal(list.length, 7)
  const byTitle = (title: string) => list.filter(c => c.title === title)
  t.equal(byTitle('Video: Erstgespräch')[0].start, feed.a[0].utc.toISOString(), 'TZID wall time → UTC')
  t.equal(byTitle('Video: Erstgespräch')[0].end, feed.a[1].utc.toISOString())
  const group = byTitle('Video Gruppe')
    .map(c => c.start)
    .sort()
  t.same(group, [local(3, 8).utc.toISOString(), local(24, 8).utc.toISOString()], 'EXDATE drops one, the override is its own')
  t.equal(byTitle('Video Gruppe (verschoben)')[0].start, local(17, 9).utc.toISOString())
  const first = (await as(app, dr)('GET', `/api/consultations/${byTitle('Video: Erstgespräch')[0].id}`)).json()
  t.same(
    first.invitations.map((i: any) => [i.email, i.name]),
    [['maria.mueller@example.org', 'Maria Müller']]
  )

  // Same file again: nothing is written.
  const before = await app.orm.em.fork().getConnection().execute('select max(updated_at) as m, count(*)::int as n from consultation')
  const again = await upload(app, dr, `/api/calendar-sources/${source.id}/sync`, feed.text)
  t.equal(again.statusCode, 200, again.body)
  t.match(again.json(), { created: 0, updated: 0, cancelled: 0, unchanged: 7 })
  const after = await app.orm.em.fork().getConnection().execute('select max(updated_at) as m, count(*)::int as n from consultation')
  t.same(after, before, 'an unchanged event writes nothing')

  // B moved by an hour, C cancelled, D vanished.
  const changed = outlook({ moveB: true, cancelC: true, dropD: true })
  const third = await upload(app, dr, `/api/calendar-sources/${source.id}/sync`, changed.text)
  t.match(third.json(), { created: 0, updated: 1, cancelled: 2, unchanged: 4 })
  const now = await consultations(app, dr)
  const one = (title: string) => now.find(c => c.title === title)!
  t.equal(one('Video Folgetermin').start, changed.b[0].utc.toISOString())
  t.equal(one('Video Beratung').state, 'cancelled')
  t.equal(one('Video Kontrolle').state, 'cancelled')
  t.equal(one('Video: Erstgespräch').state, 'scheduled')

  t.notOk(
    logs.some(l => /maria|hans|example\.org/i.test(l)),
    'logs hold no names or addresses'
  )
})

t.test('Google-style UTC feed with X-WR-TIMEZONE, keyword selection, floating times in the calendar zone', async t => {
  const { app } = await icalApp(t)
  const dr = await provider(app)
  const a = local(4, 16)
  const f = local(5, 9)
  const text = crlf([
    'BEGIN:VCALENDAR',
    'PRODID:-//Google Inc//Google Calendar 70.9054//EN',
    'VERSION:2.0',
    'CALSCALE:GREGORIAN',
    'X-WR-CALNAME:Praxis',
    'X-WR-TIMEZONE:Europe/Berlin',
    'BEGIN:VEVENT',
    `DTSTART:${a.icsUtc}Z`,
    `DTEND:${local(4, 16, 50).icsUtc}Z`,
    'UID:abc123@google.com',
    'SUMMARY:Sitzung',
    'LOCATION:Video',
    'ATTENDEE;CN=client@example.org;PARTSTAT=ACCEPTED:mailto:client@example.org',
    'STATUS:CONFIRMED',
    'END:VEVENT',
    'BEGIN:VEVENT',
    `DTSTART:${f.ics}`,
    `DTEND:${local(5, 9, 30).ics}`,
    'UID:floating@google.com',
    'SUMMARY:Video-Termin',
    'END:VEVENT',
    'BEGIN:VEVENT',
    `DTSTART:${local(4, 12).icsUtc}Z`,
    `DTEND:${local(4, 13).icsUtc}Z`,
    'UID:lunch@google.com',
    'SUMMARY:Mittagspause',
    'END:VEVENT',
    'BEGIN:VEVENT',
    `DTSTART:${local(6, 12).icsUtc}Z`,
    `DTEND:${local(6, 13).icsUtc}Z`,
    'UID:gone@google.com',
    'SUMMARY:Video abgesagt',
    'STATUS:CANCELLED',
    'END:VEVENT',
    'END:VCALENDAR'
  ])
  const res = await upload(app, dr, '/api/calendar-sources?selection=keyword&value=video', text)
  t.equal(res.statusCode, 201, res.body)
  const { report } = res.json()
  t.equal(report.created, 2)
  t.same(report.skipped.map((s: any) => [s.uid, s.reason]).sort(), [
    ['gone@google.com', 'cancelled'],
    ['lunch@google.com', 'not selected by the source filter']
  ])
  const list = await consultations(app, dr)
  t.same(list.map(c => c.start).sort(), [a.utc.toISOString(), f.utc.toISOString()].sort(), 'UTC as is; floating in X-WR-TIMEZONE')
})

t.test('malformed and hostile input: clear errors or report entries, existing consultations survive', async t => {
  process.env.SZ_ICAL_MAX_INSTANCES_PER_SERIES = '20'
  t.teardown(() => {
    delete process.env.SZ_ICAL_MAX_INSTANCES_PER_SERIES
  })
  const { app } = await icalApp(t)
  const dr = await provider(app)
  const good = outlook()
  const created = await upload(app, dr, '/api/calendar-sources', good.text)
  const sourceId = created.json().source.id

  const notIcs = await upload(app, dr, `/api/calendar-sources/${sourceId}/sync`, '<html>nope</html>')
  t.equal(notIcs.statusCode, 422)
  t.equal(notIcs.json().code, 'SZ_ICAL_INVALID')
  const wrongType = await upload(app, dr, `/api/calendar-sources/${sourceId}/sync`, 'BEGIN:VCALENDAR', 'text/plain')
  t.equal(wrongType.statusCode, 415)

  // A broken date, an event without UID, an unterminated one, an RRULE bomb (refused) and a dense HOURLY
  // series (trimmed to the per-series budget): the feed is still read.
  const x = local(12, 10)
  const hostile = crlf([
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'BEGIN:VEVENT',
    'UID:bad-date',
    `DTSTART;TZID=${TZ}:20261399T250000`,
    `DTEND;TZID=${TZ}:20261399T260000`,
    'SUMMARY:x',
    'END:VEVENT',
    'BEGIN:VEVENT',
    `DTSTART:${x.icsUtc}Z`,
    'SUMMARY:no uid',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:bomb',
    `DTSTART:${x.icsUtc}Z`,
    `DTEND:${local(12, 10, 30).icsUtc}Z`,
    'RRULE:FREQ=SECONDLY;INTERVAL=1',
    'SUMMARY:bomb',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:every-minute',
    `DTSTART:${x.icsUtc}Z`,
    `DTEND:${local(12, 10, 1).icsUtc}Z`,
    'RRULE:FREQ=MINUTELY;COUNT=5',
    'SUMMARY:every minute',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:hourly',
    `DTSTART:${x.icsUtc}Z`,
    `DTEND:${local(12, 10, 30).icsUtc}Z`,
    'RRULE:FREQ=HOURLY',
    'SUMMARY:hourly',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:fine',
    `DTSTART:${x.icsUtc}Z`,
    `DTEND:${local(12, 10, 30).icsUtc}Z`,
    'SUMMARY:fine',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:open',
    `DTSTART:${x.icsUtc}Z`,
    'END:VCALENDAR'
  ])
  const started = Date.now()
  const res = await upload(app, dr, '/api/calendar-sources', hostile)
  t.equal(res.statusCode, 201, res.body)
  t.ok(Date.now() - started < 20_000, 'bounded in time')
  const report = res.json().report
  t.equal(report.created, 1 + 20, '"fine", and the hourly series trimmed to its first 20 instances (the per-series count budget)')
  const reasons = Object.fromEntries(report.skipped.map((s: any) => [s.uid, s.reason]))
  t.match(reasons['bad-date'], /invalid date-time/)
  t.match(reasons['(no UID)'], /UID/)
  t.equal(reasons.bomb, 'recurrence too frequent (SECONDLY/MINUTELY is not a consultation series)', 'refused, not trimmed')
  t.equal(reasons['every-minute'], 'recurrence too frequent (SECONDLY/MINUTELY is not a consultation series)', 'also with a COUNT')
  t.match(reasons.hourly, /^recurrence trimmed: only the first 20 instances/)
  const mine = await consultations(app, dr)
  t.equal(mine.filter(c => c.title === 'bomb' || c.title === 'every minute').length, 0, 'nothing of the refused series became a consultation')
  const hourly = mine
    .filter(c => c.title === 'hourly')
    .map(c => Date.parse(c.start))
    .sort((a, b) => a - b)
  t.equal(hourly.length, 20)
  t.equal(hourly[1] - hourly[0], 3_600_000, 'FREQ=HOURLY, one hour apart')
  t.equal(hourly[0], x.utc.getTime(), 'from DTSTART on')
  t.match(reasons.open, /not terminated/)

  // The first source's consultations are untouched by all this.
  const list = await consultations(app, dr)
  t.equal(list.filter(c => c.state === 'scheduled' && c.title !== 'fine' && c.title !== 'hourly').length, 7)

  const empty = await upload(app, dr, `/api/calendar-sources/${sourceId}/sync`, '')
  t.ok([400, 422].includes(empty.statusCode), `empty body: ${empty.statusCode}`)
})

t.test('only practice admins, only their own sources', async t => {
  const { app } = await icalApp(t)
  const dr = await provider(app)
  const other = await provider(app, 'Praxis Andere')
  const created = await upload(app, dr, '/api/calendar-sources', outlook().text)
  const id = created.json().source.id
  t.equal((await upload(app, other, `/api/calendar-sources/${id}/sync`, outlook().text)).statusCode, 404)
  t.same((await as(app, other)('GET', '/api/calendar-sources')).json(), [])
  await app.orm.em.fork().getConnection().execute('update app_user set is_practice_admin = false where id = ?', [dr.userId])
  t.equal((await as(app, dr)('GET', '/api/calendar-sources')).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/api/calendar-sources' })).statusCode, 401)
})

t.test('SZ_QUOTA_CONSULTATIONS_PER_SYNC: past it nothing more is created, the rest is listed, the next sync continues', async t => {
  process.env.SZ_QUOTA_CONSULTATIONS_PER_SYNC = '5'
  t.teardown(() => {
    delete process.env.SZ_QUOTA_CONSULTATIONS_PER_SYNC
  })
  const { app } = await icalApp(t)
  const dr = await provider(app)
  const other = await provider(app, 'Praxis Andere')
  const event = (uid: string, days: number, extra: string[] = []) => [
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `DTSTART:${local(days, 10).icsUtc}Z`,
    `DTEND:${local(days, 10, 30).icsUtc}Z`,
    `SUMMARY:Video ${uid}`,
    `ATTENDEE:mailto:${uid}@example.org`,
    ...extra,
    'END:VEVENT'
  ]
  // Eight new consultations: three single events, a daily series of four, one more single event.
  const text = crlf([
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    ...event('a', 2),
    ...event('b', 3),
    ...event('c', 4),
    ...event('series', 5, ['RRULE:FREQ=DAILY;COUNT=4']),
    ...event('d', 12),
    'END:VCALENDAR'
  ])
  const res = await upload(app, dr, '/api/calendar-sources', text)
  t.equal(res.statusCode, 201, res.body)
  const { source, report } = res.json()
  t.equal(report.created, 5)
  t.equal(report.quotaReached, true)
  const over = report.skipped.filter((s: any) => /quota of 5 new consultations per sync/.test(s.reason))
  t.same(
    over.map((s: any) => s.uid),
    ['series', 'd'],
    'one entry per UID not (fully) created'
  )
  const sql = app.orm.em.fork().getConnection()
  const counts = async () =>
    (
      await sql.execute(
        `select (select count(*) from consultation where practice_id = ?)::int as consultations,
    (select count(*) from ical_imported_event where source_id = ?)::int as imported,
    (select count(*) from invitation i join consultation c on c.id = i.consultation_id where c.practice_id = ?)::int as invitations`,
        [dr.practiceId, source.id, dr.practiceId]
      )
    )[0]
  t.same(
    await counts(),
    { consultations: 5, imported: 5, invitations: 5 },
    'nothing half-done: each created event has its row and its invitation, nothing else exists'
  )

  // Another practice's sync has its own quota.
  const theirs = await upload(app, other, '/api/calendar-sources', text)
  t.equal(theirs.json().report.created, 5)

  // The next sync creates the rest; nothing is cancelled or created twice.
  const next = await upload(app, dr, `/api/calendar-sources/${source.id}/sync`, text)
  t.match(next.json(), { created: 3, unchanged: 5, cancelled: 0 })
  t.notOk(next.json().quotaReached)
  t.same(await counts(), { consultations: 8, imported: 8, invitations: 8 })
})
