import t from 'tap'
import { ParserPool } from '../src/pool.js'
import { icalApp, provider, upload, local, crlf, eventually } from './helpers.js'

const options = {
  defaultZone: 'Europe/Berlin',
  from: new Date('2027-01-01T00:00:00Z'),
  to: new Date('2027-04-01T00:00:00Z'),
  maxInstancesPerSeries: 100,
  maxInstances: 20_000,
  budgetMs: 60_000,
  maxEvents: 50_000
}

const calendar = (events: string[][]) => crlf(['BEGIN:VCALENDAR', 'VERSION:2.0', ...events.flat(), 'END:VCALENDAR'])
const single = (uid: string, start = '20270104T080000Z', end = '20270104T083000Z') => [
  'BEGIN:VEVENT',
  `UID:${uid}`,
  `DTSTART:${start}`,
  `DTEND:${end}`,
  'SUMMARY:Video',
  'END:VEVENT'
]
/**
 * The rule the fuzz test found (seed 771049561): it yields no occurrence, so rrule-temporal searches year
 * after year inside one between() call, which no cooperative budget can interrupt (8–29 s here).
 */
const HOSTILE_RULE = 'FREQ=YEARLY;BYSETPOS=366;BYMONTHDAY=1,15,31,-1,32,0'
const hostile = (uid: string, start = '20261201T100000Z') =>
  calendar([['BEGIN:VEVENT', `UID:${uid}`, `DTSTART:${start}`, 'DURATION:PT1H', `RRULE:${HOSTILE_RULE}`, 'SUMMARY:x', 'END:VEVENT']])

/** Resolves (or rejects) `promise` and notes its name in `order` when it settles. */
const noted = async <T>(order: string[], name: string, promise: PromiseLike<T>): Promise<T> =>
  await Promise.resolve(promise).then(
    v => {
      order.push(name)
      return v
    },
    e => {
      order.push(name)
      throw e
    }
  )

t.test('while two hostile parses of practice A run, practice B gets the other thread and finishes first', async t => {
  const pool = new ParserPool({ threads: 2, heapMb: 128, timeoutMs: 120_000 })
  t.teardown(() => pool.close())
  await pool.warm()
  const order: string[] = []
  const a1 = noted(order, 'A1', pool.parse('practice-a', hostile('a1'), options))
  const a2 = noted(order, 'A2', pool.parse('practice-a', hostile('a2'), options))
  a1.catch(() => {})
  a2.catch(() => {})
  t.same(pool.state('practice-a'), { running: true, waiting: 1 }, 'A holds one thread; its second parse waits for its own turn')
  const b = await noted(order, 'B', pool.parse('practice-b', calendar([single('b')]), options))
  t.equal(b.instances.length, 1)
  t.same(order, ['B'], "B finished while both of A's parses were still running or waiting")
  t.same(pool.state('practice-a'), { running: true, waiting: 1 })
  // Closing ends A's parses (the running one with its thread, the waiting one unstarted).
  await pool.close()
  await t.rejects(a1)
  await t.rejects(a2, { message: 'parser pool closed' })
  t.equal(order[0], 'B')
})

t.test('a free thread goes to the practices in turn; one practice never runs two parses at once', async t => {
  const pool = new ParserPool({ threads: 1, heapMb: 64, timeoutMs: 60_000 })
  t.teardown(() => pool.close())
  await pool.warm()
  const order: string[] = []
  const small = (uid: string) => calendar([single(uid)])
  const all = [
    noted(order, 'A1', pool.parse('a', small('a1'), options)),
    noted(order, 'A2', pool.parse('a', small('a2'), options)),
    noted(order, 'A3', pool.parse('a', small('a3'), options)),
    noted(order, 'B1', pool.parse('b', small('b1'), options)),
    noted(order, 'C1', pool.parse('c', small('c1'), options)),
    noted(order, 'B2', pool.parse('b', small('b2'), options))
  ]
  // A has one parse running and two waiting: a fourth is refused (its text is not held), B's are not.
  await t.rejects(pool.parse('a', small('a4'), options), { name: 'ParserBusyError', code: 'SZ_ICAL_BUSY', statusCode: 429 })
  await Promise.all(all)
  t.same(order, ['A1', 'B1', 'C1', 'A2', 'B2', 'A3'], 'round robin over practices, each one in its own order')
  t.equal((await pool.parse('a', small('a5'), options)).instances.length, 1, 'once its parses are done, A is served again')

  const two = new ParserPool({ threads: 2, heapMb: 64, timeoutMs: 60_000 })
  t.teardown(() => two.close())
  const p = two.parse('a', small('x'), options)
  t.same(two.state('a'), { running: true, waiting: 0 })
  const q = two.parse('a', small('y'), options)
  t.same(two.state('a'), { running: true, waiting: 1 }, 'a second thread is free, but A already has one')
  await Promise.all([p, q])
  t.same(two.state('a'), { running: false, waiting: 0 })
})

t.test('each thread keeps its timeout; the one that was ended is replaced and parses the next feed', async t => {
  const pool = new ParserPool({ threads: 2, heapMb: 128, timeoutMs: 300 })
  t.teardown(() => pool.close())
  await pool.warm()
  await t.rejects(pool.parse('a', hostile('a1'), options), { name: 'TooComplexError', code: 'SZ_ICAL_TOO_COMPLEX' })
  const results = await Promise.all([pool.parse('a', calendar([single('a2')]), options), pool.parse('b', calendar([single('b1')]), options)])
  t.same(
    results.map(r => r.instances.length),
    [1, 1]
  )
  t.throws(() => new ParserPool({ threads: 0, heapMb: 64, timeoutMs: 1000 }), /threads/)
})

t.test('over HTTP: hostile uploads of practice A do not hold up a trivial upload of practice B; too many are refused', async t => {
  process.env.SZ_ICAL_PARSE_TIMEOUT = '3s'
  t.teardown(() => {
    delete process.env.SZ_ICAL_PARSE_TIMEOUT
  })
  const { app } = await icalApp(t)
  const a = await provider(app, 'Praxis A')
  const b = await provider(app, 'Praxis B')
  const order: string[] = []
  type Answer = { statusCode: number; body: string; json(): any }
  const send = async (session: typeof a, body: string): Promise<Answer> => await upload(app, session, '/api/calendar-sources', body)
  const hostileNow = hostile('bomb', `${local(1, 10).icsUtc}Z`)
  const a1 = noted(order, 'A1', send(a, hostileNow))
  const a2 = noted(order, 'A2', send(a, hostileNow))
  // Both of A's uploads have reached the parser pool: one runs, one waits for A's turn.
  await eventually(
    async () => {
      const s = app.icalSources.parsers.state(a.practiceId!)
      return s.running && s.waiting === 1
    },
    20_000,
    20
  )
  // A third may wait too; a fourth is refused at once with a coded 429, not queued, not a 5xx.
  const a3 = send(a, hostileNow)
  await eventually(async () => app.icalSources.parsers.state(a.practiceId!).waiting === 2, 20_000, 20)
  const a4 = await send(a, hostileNow)
  t.equal(a4.statusCode, 429, a4.body)
  t.equal(a4.json().code, 'SZ_ICAL_BUSY')
  const trivial = calendar([single('b-1', `${local(2, 10).icsUtc}Z`, `${local(2, 10, 30).icsUtc}Z`)])
  const res = await noted(order, 'B', send(b, trivial))
  t.equal(res.statusCode, 201, res.body)
  t.equal(res.json().report.created, 1)
  t.same(order, ['B'], "B's upload is done while A's two are not")
  const [r1, r2, r3] = await Promise.all([a1, a2, a3])
  for (const r of [r1, r2, r3]) {
    t.equal(r.statusCode, 422, 'the hostile feed ends at SZ_ICAL_PARSE_TIMEOUT')
    t.equal(r.json().code, 'SZ_ICAL_TOO_COMPLEX')
  }
  t.equal(order.length, 3)
  t.equal(order[0], 'B')
})
