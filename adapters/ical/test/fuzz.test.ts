import t from 'tap'
import { Worker } from 'node:worker_threads'
import fc from 'fast-check'
import { icalApp, provider, as, upload, local, crlf } from './helpers.js'

// Property-based fuzzing of the import path (issue 4). Two layers:
//  1. The parser path (parseFeed: unfolding, splitting, TZID conversion, node-ical, bounded RRULE expansion),
//     FUZZ_RUNS (10,000) runs in a worker thread with resourceLimits and a wall-clock budget, so a crash or
//     runaway allocation fails this test instead of taking the test process with it.
//  2. The whole import function (HTTP upload → parser thread → sync → database), FUZZ_E2E_RUNS (60) runs:
//     a sync report or a coded 4xx, never a 5xx, and the consultations that exist are never lost.
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000)
const E2E_RUNS = Number(process.env.FUZZ_E2E_RUNS ?? 60)
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 90_000)
// A fixed seed by default, so that `npm test` and CI judge the code and not the dice; FUZZ_SEED=random
// explores (a failing seed is printed and goes into docs/known-issues or a fix).
const seed = process.env.FUZZ_SEED === 'random' ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FUZZ_SEED ?? 20261129)
const moduleUrl = new URL('./fuzz-ics.mjs', import.meta.url)

t.test(`parser path: ${RUNS} runs in a resource-limited worker (seed ${seed})`, async t => {
  const from = Date.UTC(2027, 0, 4)
  const worker = new Worker(moduleUrl, {
    workerData: { fuzz: { numRuns: RUNS, seed, from, to: from + 90 * 86_400_000 } },
    resourceLimits: { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 48, stackSizeMb: 4 }
  })
  const started = Date.now()
  const outcome = await new Promise<any>(resolve => {
    const timer = setTimeout(() => {
      void worker.terminate()
      resolve({ timeout: true })
    }, BUDGET_MS)
    worker.once('message', m => {
      clearTimeout(timer)
      resolve(m)
    })
    worker.once('error', err => {
      clearTimeout(timer)
      resolve({ crashed: String((err as any)?.code ?? err) })
    })
    worker.once('exit', code => {
      clearTimeout(timer)
      resolve({ crashed: `exit ${code}` })
    })
  })
  await worker.terminate()
  t.notOk(outcome.timeout, `finished within the ${BUDGET_MS} ms budget`)
  t.notOk(outcome.crashed, `the worker did not crash (${outcome.crashed ?? 'ok'})`)
  t.equal(outcome.failed, false, outcome.failed ? `seed ${outcome.seed}: ${outcome.error}\n${outcome.counterexample}` : 'no counterexample')
  t.equal(outcome.numRuns, RUNS, `${RUNS} runs`)
  t.comment(`fuzz: ${outcome.numRuns} runs in ${Date.now() - started} ms (seed ${seed})`)
})

t.test(`import function: ${E2E_RUNS} hostile uploads into a source with consultations (seed ${seed})`, async t => {
  const { arbitraries } = (await import(moduleUrl.href)) as { arbitraries: (from: number) => fc.Arbitrary<string> }
  process.env.SZ_ICAL_MAX_INSTANCES_PER_SERIES = '5'
  process.env.SZ_ICAL_PARSE_TIMEOUT = '10s'
  t.teardown(() => {
    delete process.env.SZ_ICAL_MAX_INSTANCES_PER_SERIES
    delete process.env.SZ_ICAL_PARSE_TIMEOUT
  })
  const { app } = await icalApp(t)
  const dr = await provider(app)
  const base = [1, 2, 3].map(d => [
    'BEGIN:VEVENT',
    `UID:keep-${d}@praxis`,
    `DTSTART:${local(d, 10).icsUtc}Z`,
    `DTEND:${local(d, 10, 30).icsUtc}Z`,
    `SUMMARY:Video keep ${d}`,
    'END:VEVENT'
  ])
  // Source A holds three consultations that no upload to source B may touch; source B starts with its own.
  const a = await upload(app, dr, '/api/calendar-sources', crlf(['BEGIN:VCALENDAR', 'VERSION:2.0', ...base.flat(), 'END:VCALENDAR']))
  t.equal(a.statusCode, 201, a.body)
  const b = await upload(
    app,
    dr,
    '/api/calendar-sources',
    crlf([
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'BEGIN:VEVENT',
      'UID:b@praxis',
      `DTSTART:${local(4, 9).icsUtc}Z`,
      `DTEND:${local(4, 9, 30).icsUtc}Z`,
      'SUMMARY:Video b',
      'END:VEVENT',
      'END:VCALENDAR'
    ])
  )
  const bId = b.json().source.id
  const sql = app.orm.em.fork().getConnection()
  const snapshotA = async () =>
    await sql.execute("select c.id, c.state, c.start_at, c.version from consultation c where c.title like 'Video keep %' order by c.id")
  const keep = await snapshotA()
  t.equal(keep.length, 3)
  let reports = 0
  let refusals = 0
  await fc.assert(
    fc.asyncProperty(arbitraries(Date.now()), async text => {
      const before = (await sql.execute('select count(*)::int as n from consultation'))[0].n as number
      const res = await upload(app, dr, `/api/calendar-sources/${bId}/sync`, text)
      if (res.statusCode === 200) {
        const r = res.json()
        if (typeof r.created !== 'number' || !Array.isArray(r.skipped) || typeof r.complete !== 'boolean')
          throw new Error(`malformed report ${res.body.slice(0, 300)}`)
        reports++
      } else if (res.statusCode >= 400 && res.statusCode < 500 && /^SZ_/.test(res.json().code)) {
        refusals++
      } else {
        throw new Error(`status ${res.statusCode}: ${res.body.slice(0, 300)}`)
      }
      const after = (await sql.execute('select count(*)::int as n from consultation'))[0].n as number
      if (after < before) throw new Error('consultations were lost')
      const nowA = await snapshotA()
      if (JSON.stringify(nowA) !== JSON.stringify(keep)) throw new Error("another source's consultations changed")
    }),
    { numRuns: E2E_RUNS, seed }
  )
  t.ok(reports > 0 && refusals > 0, `${reports} reports, ${refusals} coded refusals`)
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the server still answers')
  t.equal((await as(app, dr)('GET', '/api/calendar-sources')).statusCode, 200)
})
