import t from 'tap'
import { ParserIsolate, TooComplexError } from '../src/isolate.js'
import { icalApp, provider, as, upload, local, crlf } from './helpers.js'

const options = {
  defaultZone: 'Europe/Berlin',
  from: new Date('2027-01-01T00:00:00Z'),
  to: new Date('2029-01-01T00:00:00Z'),
  maxInstancesPerSeries: 500,
  maxInstances: 1_000_000,
  budgetMs: 60_000,
  maxEvents: 1_000_000
}

function feed(n: number, from = Date.UTC(2027, 0, 4, 8)) {
  const f = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15)
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0']
  for (let i = 0; i < n; i++)
    lines.push(
      'BEGIN:VEVENT',
      `UID:e${i}`,
      `DTSTART;TZID=Europe/Berlin:${f(from + i * 3_600_000)}`,
      `DTEND;TZID=Europe/Berlin:${f(from + i * 3_600_000 + 1_800_000)}`,
      'SUMMARY:Video',
      'END:VEVENT'
    )
  lines.push('END:VCALENDAR')
  return lines.join('\r\n')
}

t.test('the parser thread: results as in-process, heap exhaustion and timeout end it with TooComplexError, the next parse works', async t => {
  const isolate = new ParserIsolate({ heapMb: 48, timeoutMs: 20_000 })
  t.teardown(() => isolate.close())
  const ok = await isolate.parse(feed(50), options)
  t.equal(ok.instances.length, 50)
  t.ok(ok.instances[0].start instanceof Date, 'dates survive the structured clone')
  t.ok(ok.seenUids instanceof Set)
  await t.rejects(isolate.parse('nope', options), { name: 'FeedError' })

  // About 20 MB of text with 48 MB of heap: the thread runs out of memory, not the server.
  const big = feed(120_000)
  await t.rejects(isolate.parse(big, options), TooComplexError)
  t.equal((await isolate.parse(feed(3), options)).instances.length, 3, 'a fresh thread takes the next parse')

  const slow = new ParserIsolate({ heapMb: 256, timeoutMs: 20 })
  t.teardown(() => slow.close())
  await t.rejects(slow.parse(feed(20_000), options), { name: 'TooComplexError', code: 'SZ_ICAL_TOO_COMPLEX', message: /longer than 20 ms/ })
})

t.test('an upload that exceeds SZ_ICAL_PARSE_TIMEOUT: 422 SZ_ICAL_TOO_COMPLEX, recorded on the source, consultations kept', async t => {
  // A rule that one rrule call searches for many seconds (fuzz seed 771049561), not a big feed against a
  // tiny timeout: the threads now warm in the background, and on a busy machine a small feed's first
  // parse on a cold thread can take longer than 30 ms.
  process.env.SZ_ICAL_PARSE_TIMEOUT = '2s'
  t.teardown(() => {
    delete process.env.SZ_ICAL_PARSE_TIMEOUT
  })
  const { app } = await icalApp(t)
  const dr = await provider(app)
  const small = crlf([
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'BEGIN:VEVENT',
    'UID:keep',
    `DTSTART:${local(3, 10).icsUtc}Z`,
    `DTEND:${local(3, 10, 30).icsUtc}Z`,
    'SUMMARY:Video keep',
    'END:VEVENT',
    'END:VCALENDAR'
  ])
  const created = await upload(app, dr, '/api/calendar-sources', small)
  t.equal(created.statusCode, 201, created.body)
  const id = created.json().source.id
  const hostile = crlf([
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'BEGIN:VEVENT',
    'UID:hostile',
    `DTSTART:${local(1, 10).icsUtc}Z`,
    'DURATION:PT1H',
    'RRULE:FREQ=YEARLY;BYSETPOS=366;BYMONTHDAY=1,15,31,-1,32,0',
    'SUMMARY:x',
    'END:VEVENT',
    'END:VCALENDAR'
  ])
  const res = await upload(app, dr, `/api/calendar-sources/${id}/sync`, hostile)
  t.equal(res.statusCode, 422)
  t.equal(res.json().code, 'SZ_ICAL_TOO_COMPLEX')
  const source = (await as(app, dr)('GET', '/api/calendar-sources')).json().find((s: any) => s.id === id)
  t.match(source.lastError, /^SZ_ICAL_TOO_COMPLEX/)
  const list = (await as(app, dr)('GET', '/api/consultations')).json()
  t.match(list, [{ title: 'Video keep', state: 'scheduled' }])
})
