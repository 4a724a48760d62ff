// Generators of hostile iCalendar text for the fuzz test (fuzz.test.ts), and the parser-path property run in
// a worker thread: plain ESM so that the worker needs no TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads'
import fc from 'fast-check'
import { parseFeed, FeedError } from '../dist/parse.js'

const pad = (n, w = 2) => String(n).padStart(w, '0')
const stamp = ms => {
  const d = new Date(ms)
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
}

/** Window the properties use, and dates around it (before, inside, after), plus broken ones. */
export function arbitraries(from) {
  const near = fc.integer({ min: -400, max: 400 }).chain(days => fc.integer({ min: 0, max: 86_399 }).map(s => from + days * 86_400_000 + s * 1000))
  const goodDate = near.map(stamp)
  const badDate = fc.oneof(
    fc.constantFrom('20261399T250000', '00000000T000000', '99991231T235960', '2027-01-04T08:00:00', '20270230T120000', 'T', '', '2027', '20270104T0800'),
    fc.string({ maxLength: 20 })
  )
  const date = fc.oneof({ weight: 6, arbitrary: goodDate }, { weight: 1, arbitrary: badDate }, { weight: 1, arbitrary: near.map(ms => stamp(ms).slice(0, 8)) })
  const zone = fc.constantFrom(
    ':',
    'Z:',
    ';TZID=Europe/Berlin:',
    ';TZID="W. Europe Standard Time":',
    ';TZID=W. Europe Standard Time:',
    ';TZID=Nowhere/Zone:',
    ';TZID=Customized Time Zone:',
    ';VALUE=DATE:',
    ';TZID=+0530:'
  )
  const dateProp = name => fc.tuple(zone, date).map(([z, d]) => (z === 'Z:' ? `${name}:${d}Z` : `${name}${z}${d}`))
  const freq = fc.constantFrom('SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY', 'FORTNIGHTLY', '')
  const rrulePart = fc.oneof(
    fc.integer({ min: -5, max: 100_000 }).map(n => `COUNT=${n}`),
    fc.integer({ min: -1, max: 5000 }).map(n => `INTERVAL=${n}`),
    date.map(d => `UNTIL=${d}`),
    fc.subarray(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU', '1MO', '-1SU', '53FR', 'XX']).map(d => `BYDAY=${d.join(',')}`),
    fc.subarray([1, 2, 6, 12, 13, 0]).map(m => `BYMONTH=${m.join(',')}`),
    fc.subarray([1, 15, 31, -1, 32, 0]).map(m => `BYMONTHDAY=${m.join(',')}`),
    fc.subarray([0, 9, 23, 24]).map(h => `BYHOUR=${h.join(',')}`),
    fc.subarray([0, 30, 59, 60]).map(h => `BYMINUTE=${h.join(',')}`),
    fc.subarray([1, -1, 366, 0]).map(h => `BYSETPOS=${h.join(',')}`),
    fc.subarray([1, 100, -1, 367]).map(h => `BYYEARDAY=${h.join(',')}`),
    fc.subarray([1, 20, 53, -1, 54]).map(h => `BYWEEKNO=${h.join(',')}`),
    fc.constantFrom('WKST=SU', 'RSCALE=GREGORIAN', 'SKIP=FORWARD', 'X=Y', ';;', '=')
  )
  const rrule = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(freq, fc.array(rrulePart, { maxLength: 3 })).map(([f, parts]) => `RRULE:${[`FREQ=${f}`, ...parts].join(';')}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map(s => `RRULE:${s}`) }
  )
  const text = fc.string({ maxLength: 40 })
  const hugeLine = fc
    .tuple(
      fc.constantFrom('DESCRIPTION:', 'SUMMARY:', 'X-HUGE;P=', 'ATTENDEE;CN=', ''),
      fc.integer({ min: 1000, max: 20_000 }),
      fc.constantFrom('x', 'ä', ' ', ':', ';', '\\', ',', '"', '\u0000', '\u{1F600}')
    )
    .map(([p, n, c]) => p + c.repeat(n))
  const property = fc.oneof(
    { weight: 3, arbitrary: text.map(t => `SUMMARY:${t}`) },
    { weight: 2, arbitrary: dateProp('EXDATE') },
    { weight: 2, arbitrary: dateProp('RECURRENCE-ID') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'STATUS:CANCELLED',
        'STATUS:TENTATIVE',
        'STATUS:CONFIRMED',
        'DURATION:PT30M',
        'DURATION:P1D',
        'DURATION:garbage',
        'CATEGORIES:Video',
        'LOCATION:Video'
      )
    },
    { weight: 2, arbitrary: fc.tuple(text, fc.emailAddress()).map(([cn, e]) => `ATTENDEE;CN="${cn.replace(/"/g, '')}":mailto:${e}`) },
    { weight: 1, arbitrary: fc.constantFrom('ATTENDEE:mailto:', 'ATTENDEE:mailto:not-an-address', 'ORGANIZER:mailto:x@example.org') },
    { weight: 1, arbitrary: hugeLine },
    {
      weight: 1,
      arbitrary: fc.constantFrom(['BEGIN:VALARM', 'TRIGGER:-PT15M', 'END:VALARM'].join('\r\n'), 'BEGIN:VALARM', 'END:VALARM', 'BEGIN:X-NESTED', 'END:X-NESTED')
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }) }
  )
  const uid = fc.oneof(fc.constantFrom('a@praxis', 'b@praxis', 'c@praxis'), text)
  const event = fc
    .record({
      uid: fc.option(uid, { freq: 8 }),
      start: fc.option(dateProp('DTSTART'), { freq: 10 }),
      end: fc.option(dateProp('DTEND'), { freq: 3 }),
      rrule: fc.option(rrule, { freq: 3 }),
      props: fc.array(property, { maxLength: 5 }),
      terminated: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })
    })
    .map(e => [
      'BEGIN:VEVENT',
      ...(e.uid === null ? [] : [`UID:${e.uid}`]),
      ...(e.start ? [e.start] : []),
      ...(e.end ? [e.end] : []),
      ...(e.rrule ? [e.rrule] : []),
      ...e.props,
      ...(e.terminated ? ['END:VEVENT'] : [])
    ])
  const vtimezone = fc.constantFrom(
    [
      'BEGIN:VTIMEZONE',
      'TZID:W. Europe Standard Time',
      'BEGIN:STANDARD',
      'DTSTART:16010101T030000',
      'TZOFFSETFROM:+0200',
      'TZOFFSETTO:+0100',
      'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10',
      'END:STANDARD',
      'BEGIN:DAYLIGHT',
      'DTSTART:16010101T020000',
      'TZOFFSETFROM:+0100',
      'TZOFFSETTO:+0200',
      'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3',
      'END:DAYLIGHT',
      'END:VTIMEZONE'
    ],
    [
      'BEGIN:VTIMEZONE',
      'TZID:Customized Time Zone',
      'BEGIN:STANDARD',
      'DTSTART:16010101T000000',
      'TZOFFSETFROM:+0000',
      'TZOFFSETTO:+0100',
      'END:STANDARD',
      'END:VTIMEZONE'
    ],
    ['BEGIN:VTIMEZONE', 'TZID:Broken', 'BEGIN:STANDARD', 'TZOFFSETTO:+99', 'END:VTIMEZONE'],
    []
  )
  const calendar = fc
    .record({
      begin: fc.oneof(
        { weight: 12, arbitrary: fc.constant('BEGIN:VCALENDAR') },
        { weight: 1, arbitrary: fc.constantFrom('begin:vcalendar', '\uFEFFBEGIN:VCALENDAR', '  BEGIN:VCALENDAR', 'BEGIN:VCARD', '') }
      ),
      header: fc.array(
        fc.oneof(
          fc.constant('VERSION:2.0'),
          fc.constantFrom('X-WR-TIMEZONE:Europe/Berlin', 'X-WR-TIMEZONE:Mars/Olympus', 'TIMEZONE-ID:America/New_York', 'METHOD:PUBLISH'),
          property
        ),
        { maxLength: 3 }
      ),
      vtimezone,
      events: fc.array(event, { maxLength: 4 }),
      end: fc.oneof({ weight: 8, arbitrary: fc.constant('END:VCALENDAR') }, { weight: 1, arbitrary: fc.constantFrom('END:VCALENDAR\r\nEND:VCALENDAR', '') }),
      nest: fc.nat({ max: 30 }),
      noise: fc.array(
        fc.tuple(
          fc.nat(),
          fc.oneof(
            { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
            { weight: 1, arbitrary: fc.constantFrom('BEGIN:VEVENT', 'END:VEVENT', 'BEGIN:VCALENDAR', 'END:VCALENDAR', 'BEGIN:', 'END:', 'BEGIN:VTIMEZONE') }
          )
        ),
        { maxLength: 2 }
      ),
      drop: fc.array(fc.nat(), { maxLength: 2 }),
      fold: fc.constantFrom('none', 'rfc', 'random', 'broken'),
      eol: fc.constantFrom('\r\n', '\r\n', '\n', '\r')
    })
    .map(c => {
      let lines = [
        c.begin,
        ...c.header,
        ...c.vtimezone,
        ...c.events.flat(),
        ...(c.nest > 27 ? Array.from({ length: c.nest }, (_, i) => `BEGIN:X${i}`) : []),
        c.end
      ]
      // Noise and dropped lines after the first line, mostly (the first line decides whether it is a calendar at all).
      for (const [at, s] of c.noise) lines.splice(at % 50 === 0 ? 0 : 1 + (at % lines.length), 0, s)
      for (const at of c.drop) if (lines.length > 2) lines.splice(at % 50 === 0 ? 0 : 1 + (at % (lines.length - 1)), 1)
      if (c.fold === 'rfc') lines = lines.map(l => (l.length <= 75 ? l : l.match(/.{1,74}/gs).join('\r\n ')))
      else if (c.fold === 'random') lines = lines.map((l, i) => (l.length > 10 && i % 3 === 0 ? `${l.slice(0, 7)}${c.eol}\t${l.slice(7)}` : l))
      else if (c.fold === 'broken') lines = lines.map((l, i) => (i % 4 === 3 ? ` ${l}` : l))
      return lines.join(c.eol) + c.eol
    })
  return fc.oneof(
    { weight: 12, arbitrary: calendar },
    { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map(s => `BEGIN:VCALENDAR\r\n${s}`) }
  )
}

/** parseFeed either returns a well-formed result inside its limits or throws a FeedError; nothing else. */
export function parserProperty(from, to) {
  const options = {
    defaultZone: 'Europe/Berlin',
    from: new Date(from),
    to: new Date(to),
    maxInstancesPerSeries: 60,
    maxInstances: 400,
    budgetMs: 50,
    maxEvents: 1000
  }
  return fc.property(arbitraries(from), fc.integer({ min: 1, max: 60 }), (text, perSeries) => {
    const started = Date.now()
    let r
    try {
      r = parseFeed(text, { ...options, maxInstancesPerSeries: perSeries })
    } catch (err) {
      if (err instanceof FeedError && typeof err.message === 'string' && err.message.length > 0) return true
      // The stack is in the message already: fast-check prints the message, not a cause.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`not a FeedError: ${err?.stack ?? err}`)
    }
    const elapsed = Date.now() - started
    if (elapsed > options.budgetMs + 5000) throw new Error(`took ${elapsed} ms, budget ${options.budgetMs} ms`)
    if (!Array.isArray(r.instances) || !Array.isArray(r.skipped) || !(r.seenUids instanceof Set) || typeof r.complete !== 'boolean')
      throw new Error('malformed result')
    const perUid = new Map()
    for (const i of r.instances) {
      if (!(i.start instanceof Date) || Number.isNaN(i.start.getTime()) || !(i.end instanceof Date) || Number.isNaN(i.end.getTime()))
        throw new Error(`invalid date in ${i.key}`)
      if (i.end < i.start) throw new Error(`end before start in ${i.key}`)
      if (!r.seenUids.has(i.uid) || !i.key.startsWith(i.uid)) throw new Error(`instance ${i.key} of an unseen UID`)
      if (!['CONFIRMED', 'TENTATIVE', 'CANCELLED'].includes(i.status)) throw new Error('bad status')
      if (i.key.includes('|')) perUid.set(i.uid, (perUid.get(i.uid) ?? 0) + 1)
    }
    for (const s of r.skipped) if (typeof s.uid !== 'string' || typeof s.reason !== 'string' || !s.reason) throw new Error('malformed skipped entry')
    // Series stay within the per-series budget (plus RECURRENCE-ID overrides, at most one a line of the text).
    // Counted in the unfolded text: a folded "RECURRE\r\n\tNCE-ID" is an override too (seed 53361300).
    const overrides = (text.replace(/\r?\n[ \t]/g, '').match(/RECURRENCE-ID/gi) ?? []).length
    for (const [uid, n] of perUid) if (n > perSeries + overrides) throw new Error(`${n} instances of ${uid}, budget ${perSeries}`)
    if (r.instances.length > options.maxInstances + 60 + overrides) throw new Error(`${r.instances.length} instances, budget ${options.maxInstances}`)
    return true
  })
}

// Worker mode: run the parser property and report.
if (parentPort && workerData?.fuzz) {
  const { numRuns, seed, from, to } = workerData.fuzz
  const started = Date.now()
  const result = fc.check(parserProperty(from, to), { numRuns, seed, endOnFailure: true })
  parentPort.postMessage({
    numRuns: result.numRuns,
    failed: result.failed,
    seed: result.seed,
    ms: Date.now() - started,
    counterexample: result.failed ? JSON.stringify(result.counterexample).slice(0, 2000) : null,
    error: result.failed ? String(result.errorInstance?.message ?? result.error ?? '').slice(0, 2000) : null
  })
}
