// iCal fairness bench (security issue "Abuse limits", item 3): how long a trivial upload of practice B takes
// alone, and while two hostile uploads of practice A are being parsed. The hostile feed is the rule the fuzz
// test found (seed 771049561, see adapters/ical/README.md): it yields no occurrence, so rrule-temporal searches
// year after year inside one between() call that no cooperative budget can stop; only SZ_ICAL_PARSE_TIMEOUT
// ends it. The whole app runs in this process (uploads through inject(), real PostgreSQL), with the parser
// pool as configured: SZ_ICAL_PARSE_THREADS (2), SZ_ICAL_PARSE_TIMEOUT (30s). SZ_ICAL_PARSE_THREADS=1 shows
// the single parser thread of before.
//   npm run build && node bench/ical-fairness.mjs      (BENCH_ICAL_UPLOADS, 7: trivial uploads per line)
import { performance } from 'node:perf_hooks'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { build, provider } from '@sprechzimmer/core/testing'
import { databaseServer } from './lib/database.mjs'

const UPLOADS = Number(process.env.BENCH_ICAL_UPLOADS ?? 7)
const GOAL_MS = 2000
const HOSTILE_RULE = 'FREQ=YEARLY;BYSETPOS=366;BYMONTHDAY=1,15,31,-1,32,0'

const ics = date =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
const inDays = (days, hour) => {
  const d = new Date(Date.now() + days * 86_400_000)
  d.setUTCHours(hour, 0, 0, 0)
  return d
}
const calendar = events => ['BEGIN:VCALENDAR', 'VERSION:2.0', ...events.flat(), 'END:VCALENDAR'].join('\r\n') + '\r\n'
const trivial = i =>
  calendar([['BEGIN:VEVENT', `UID:trivial-${i}@bench`, `DTSTART:${ics(inDays(2, 8))}`, `DTEND:${ics(inDays(2, 9))}`, 'SUMMARY:Video', 'END:VEVENT']])
const hostile = calendar([
  ['BEGIN:VEVENT', 'UID:hostile@bench', `DTSTART:${ics(inDays(1, 10))}`, 'DURATION:PT1H', `RRULE:${HOSTILE_RULE}`, 'SUMMARY:x', 'END:VEVENT']
])
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const s = ms => (ms / 1000).toFixed(3)

const server = await databaseServer()
process.env.DATABASE_URL = server.url
const teardowns = []
const { app } = await build({ teardown: fn => teardowns.push(fn) }, { plugins: [fileURLToPath(new URL('../adapters/ical/dist/index.js', import.meta.url))] })
try {
  const a = await provider(app, 'Praxis A')
  const b = await provider(app, 'Praxis B')
  const send = (session, body) =>
    app.inject({
      method: 'POST',
      url: '/api/calendar-sources',
      payload: body,
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'text/calendar' }
    })
  const timedUpload = async i => {
    const t0 = performance.now()
    const res = await send(b, trivial(i))
    const ms = performance.now() - t0
    if (res.statusCode !== 201 || res.json().report.created !== 1) throw new Error(`trivial upload: ${res.statusCode} ${res.body.slice(0, 200)}`)
    return ms
  }
  const parsers = app.icalSources.parsers
  const { parseThreads, parseTimeoutMs } = app.icalSources.settings
  // Both threads started and JIT-warm (the app warms them in the background).
  await parsers.warm()
  for (let i = 0; i < 3; i++) await timedUpload(`warm-${i}`)

  const alone = []
  for (let i = 0; i < UPLOADS; i++) alone.push(await timedUpload(`alone-${i}`))

  const hostileStarted = performance.now()
  const hostileDone = []
  const hostileUploads = [0, 1].map(() =>
    send(a, hostile).then(res => {
      hostileDone.push({ ms: performance.now() - hostileStarted, status: res.statusCode, code: res.json().code })
    })
  )
  // Both of A's uploads are in the pool: one parsing, one waiting for A's turn (or, with one thread, queued).
  while (!(parsers.state(a.practiceId).running && parsers.state(a.practiceId).waiting === 1)) await new Promise(resolve => setTimeout(resolve, 10))
  const loaded = []
  for (let i = 0; i < UPLOADS; i++) loaded.push(await timedUpload(`loaded-${i}`))
  const hostileRunning = hostileDone.length
  await Promise.all(hostileUploads)

  const ratio = median(loaded) / median(alone)
  const worst = Math.max(...loaded)
  console.log(`${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, PostgreSQL (${server.kind})`)
  console.log(
    `SZ_ICAL_PARSE_THREADS=${parseThreads}, SZ_ICAL_PARSE_TIMEOUT=${parseTimeoutMs} ms; ${UPLOADS} trivial uploads of practice B per line (1 event each)`
  )
  console.log('')
  console.log('| line | median (s) | max (s) |')
  console.log('|---|---:|---:|')
  console.log(`| B alone | ${s(median(alone))} | ${s(Math.max(...alone))} |`)
  console.log(`| B while A's two hostile uploads are parsed | ${s(median(loaded))} | ${s(worst)} |`)
  console.log('')
  console.log(`ratio under hostile load / alone (medians): ${ratio.toFixed(2)}`)
  console.log(`goal: every trivial upload under hostile load within ${GOAL_MS / 1000} s: ${worst <= GOAL_MS ? 'ok' : 'MISSED'} (slowest ${s(worst)} s)`)
  console.log(
    `A's hostile uploads still unfinished when B's last one was done: ${2 - hostileRunning} of 2; ` +
      `they ended after ${hostileDone.map(h => `${s(h.ms)} s (${h.status} ${h.code ?? ''})`).join(', ')}`
  )
} finally {
  for (const fn of teardowns) await fn()
  await server.stop()
}
