import t from 'tap'
import { parseFeed, TOO_FREQUENT } from '../src/parse.js'
import { wallToUtc } from '../src/timezones.js'

const options = {
  defaultZone: 'Europe/Berlin',
  from: new Date('2027-01-01T00:00:00Z'),
  to: new Date('2029-01-01T00:00:00Z'),
  maxInstancesPerSeries: 500,
  maxInstances: 100_000,
  budgetMs: 30_000,
  maxEvents: 100_000
}

function feed(n: number, mode: 'utc' | 'tzid' | 'floating') {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0']
  if (mode === 'floating') lines.push('X-WR-TIMEZONE:Europe/Berlin')
  const base = Date.UTC(2027, 0, 4, 8)
  const f = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15)
  for (let i = 0; i < n; i++) {
    const s = base + i * 3_600_000
    const v = (ms: number) => (mode === 'utc' ? `:${f(ms)}Z` : mode === 'tzid' ? `;TZID=Europe/Berlin:${f(ms)}` : `:${f(ms)}`)
    lines.push('BEGIN:VEVENT', `UID:e${i}`, `DTSTART${v(s)}`, `DTEND${v(s + 1_800_000)}`, 'SUMMARY:x', 'END:VEVENT')
  }
  lines.push('END:VCALENDAR')
  return lines.join('\r\n')
}

t.test('floating and TZID feeds scale like UTC feeds (node-ical alone is quadratic on floating times)', async t => {
  const time = (text: string) => {
    const s = performance.now()
    const r = parseFeed(text, options)
    return { ms: performance.now() - s, r }
  }
  time(feed(200, 'tzid'))
  const utc = time(feed(4000, 'utc'))
  const floating = time(feed(4000, 'floating'))
  const tzid = time(feed(4000, 'tzid'))
  t.equal(floating.r.instances.length, 4000)
  t.equal(tzid.r.instances.length, 4000)
  t.equal(floating.r.instances[0].start.toISOString(), '2027-01-04T07:00:00.000Z', 'floating in X-WR-TIMEZONE')
  t.equal(tzid.r.instances[2000].start.getTime() - tzid.r.instances[1999].start.getTime(), 3_600_000)
  t.ok(floating.ms < utc.ms * 4 + 500, `floating ${floating.ms.toFixed(0)} ms vs UTC ${utc.ms.toFixed(0)} ms`)
  t.ok(tzid.ms < utc.ms * 4 + 500, `TZID ${tzid.ms.toFixed(0)} ms vs UTC ${utc.ms.toFixed(0)} ms`)
})

t.test('wall time conversion across DST', async t => {
  const berlin = { iana: 'Europe/Berlin' }
  t.equal(wallToUtc('20270328T013000', berlin)!.toISOString(), '2027-03-28T00:30:00.000Z')
  t.equal(wallToUtc('20270328T023000', berlin)!.toISOString(), '2027-03-28T01:30:00.000Z', 'the spring gap moves forward')
  t.equal(wallToUtc('20270328T033000', berlin)!.toISOString(), '2027-03-28T01:30:00.000Z')
  t.equal(wallToUtc('20271031T023000', berlin)!.toISOString(), '2027-10-31T00:30:00.000Z', 'the ambiguous autumn hour takes the first')
  t.equal(wallToUtc('20270701T120000', { iana: 'America/New_York' })!.toISOString(), '2027-07-01T16:00:00.000Z')
  t.equal(wallToUtc('20270701T120000', { offsetMinutes: 330 })!.toISOString(), '2027-07-01T06:30:00.000Z')
  t.equal(wallToUtc('20271345T120000', berlin), null)
})

t.test('a weekly series across the DST change keeps its wall time', async t => {
  const text = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'BEGIN:VEVENT',
    'UID:s',
    'DTSTART;TZID=Europe/Berlin:20270315T090000',
    'DTEND;TZID=Europe/Berlin:20270315T093000',
    'RRULE:FREQ=WEEKLY;COUNT=3',
    'SUMMARY:s',
    'END:VEVENT',
    'END:VCALENDAR'
  ].join('\r\n')
  const r = parseFeed(text, options)
  t.same(
    r.instances.map(i => i.start.toISOString()),
    ['2027-03-15T08:00:00.000Z', '2027-03-22T08:00:00.000Z', '2027-03-29T07:00:00.000Z']
  )
  t.same(
    r.instances.map(i => i.key),
    ['s|2027-03-15T08:00:00.000Z', 's|2027-03-22T08:00:00.000Z', 's|2027-03-29T07:00:00.000Z']
  )
})

t.test('garbage is a FeedError, not a crash', async t => {
  t.throws(() => parseFeed('hello', options), { name: 'FeedError' })
  t.throws(() => parseFeed('', options), { name: 'FeedError' })
  t.throws(() => parseFeed('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nEND:VCALENDAR', options), { name: 'FeedError' })
  const deep = 'BEGIN:VCALENDAR\r\n' + 'BEGIN:X\r\n'.repeat(50)
  t.throws(() => parseFeed(deep, options), { name: 'FeedError' })
  t.same(parseFeed('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:garbage\r\nEND:VEVENT\r\nEND:VCALENDAR', options).instances, [])
})

t.test('SECONDLY and MINUTELY series are refused whole; the rest of the feed is read', async t => {
  const ev = (uid: string, rule: string, start = '20270101T000000Z') => [
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `DTSTART:${start}`,
    'DURATION:PT1S',
    `RRULE:${rule}`,
    'SUMMARY:b',
    'END:VEVENT'
  ]
  const text = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    ...ev('bomb', 'FREQ=SECONDLY'),
    ...ev('minutely', 'FREQ=MINUTELY;INTERVAL=30;COUNT=3'),
    ...ev('old', 'FREQ=secondly;INTERVAL=7', '20200101T000000Z'),
    ...ev('weekly', 'FREQ=WEEKLY;COUNT=3'),
    'END:VCALENDAR'
  ].join('\r\n')
  const r = parseFeed(text, options)
  t.same(
    r.instances.map(i => i.uid),
    ['weekly', 'weekly', 'weekly'],
    'no instance of a SECONDLY/MINUTELY rule, even a short one'
  )
  t.same(r.skipped.map(s => [s.uid, s.reason]).sort(), [
    ['bomb', TOO_FREQUENT],
    ['minutely', TOO_FREQUENT],
    ['old', TOO_FREQUENT]
  ])
  t.equal(TOO_FREQUENT, 'recurrence too frequent (SECONDLY/MINUTELY is not a consultation series)')
  t.equal(r.complete, true)
})

t.test('a dense series is trimmed to the count budget, within the time budget', async t => {
  const ev = (rule: string, start = '20270101T000000Z') =>
    [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'BEGIN:VEVENT',
      'UID:dense',
      `DTSTART:${start}`,
      'DURATION:PT1S',
      `RRULE:${rule}`,
      'SUMMARY:b',
      'END:VEVENT',
      'END:VCALENDAR'
    ].join('\r\n')
  const started = Date.now()
  const r = parseFeed(ev('FREQ=HOURLY'), { ...options, maxInstancesPerSeries: 300 })
  t.equal(r.instances.length, 300)
  t.equal(r.instances[299].start.getTime() - r.instances[0].start.getTime(), 299 * 3_600_000)
  t.match(r.skipped, [{ uid: 'dense', reason: /^recurrence trimmed: only the first 300 instances in the window/ }])
  // DTSTART long before the window: the expansion starts at the window, not at DTSTART.
  const old = parseFeed(ev('FREQ=HOURLY;INTERVAL=7', '20200101T000000Z'), { ...options, maxInstancesPerSeries: 50 })
  t.equal(old.instances.length, 50)
  t.ok(old.instances[0].start >= options.from)
  // A time budget of zero stops inside the expansion.
  const none = parseFeed(ev('FREQ=HOURLY'), { ...options, budgetMs: 0 })
  t.ok(none.instances.length < 10)
  t.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`)
  // A plain weekly series is not trimmed.
  const weekly = parseFeed(ev('FREQ=WEEKLY;COUNT=10'), options)
  t.equal(weekly.instances.length, 10)
  t.same(weekly.skipped, [])
})

t.test('the per-series count budget bounds a series with its overrides, not only its generated dates', async t => {
  // A daily series of 10 and 30 overrides whose original dates the rule does not generate (moved in from outside).
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'BEGIN:VEVENT',
    'UID:s',
    'DTSTART:20270104T080000Z',
    'DTEND:20270104T083000Z',
    'RRULE:FREQ=DAILY;COUNT=10',
    'SUMMARY:s',
    'END:VEVENT'
  ]
  for (let i = 0; i < 30; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0')
    const month = String(3 + Math.floor(i / 28)).padStart(2, '0')
    lines.push(
      'BEGIN:VEVENT',
      'UID:s',
      `RECURRENCE-ID:2026${month}${day}T080000Z`,
      `DTSTART:2027${month}${day}T090000Z`,
      `DTEND:2027${month}${day}T093000Z`,
      'SUMMARY:moved',
      'END:VEVENT'
    )
  }
  lines.push('END:VCALENDAR')
  const r = parseFeed(lines.join('\r\n'), { ...options, maxInstancesPerSeries: 25 })
  t.equal(r.instances.length, 25, 'ten generated, fifteen overrides, the rest trimmed')
  t.equal(r.instances.filter(i => i.summary === 'moved').length, 15)
  t.match(r.skipped, [{ uid: 's', reason: /^recurrence trimmed: only the first 25 instances/ }])
  const all = parseFeed(lines.join('\r\n'), options)
  t.equal(all.instances.length, 40, 'within the budget everything is read')
  t.same(all.skipped, [])
})
