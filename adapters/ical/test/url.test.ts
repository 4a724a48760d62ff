import t from 'tap'
import { createServer, type Server } from 'node:http'
import { icalApp, provider, as, local, crlf, eventually, fakeResolver as dns } from './helpers.js'
import { fetchFeed, FetchError } from '../src/fetch.js'
import { isPrivateAddress } from '../src/index.js'

async function serve(t: any, handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

const feed = () =>
  crlf([
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Praxis//EN',
    'BEGIN:VEVENT',
    'UID:url-1@praxis',
    `DTSTART:${local(6, 10).icsUtc}Z`,
    `DTEND:${local(6, 10, 30).icsUtc}Z`,
    'SUMMARY:Video',
    'ATTENDEE:mailto:p@example.org',
    'END:VEVENT',
    'END:VCALENDAR'
  ])

const count = async (app: any, sql: string, params: unknown[] = []) => (await app.orm.em.fork().getConnection().execute(sql, params))[0].n as number

t.test('a URL source on a local HTTP server: polled through its pg-boss job, re-armed at the interval; manual sync; size limit', async t => {
  const hits: string[] = []
  const base = await serve(t, (req, res) => {
    hits.push(req.url!)
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/feed.ics' })
      res.end()
      return
    }
    if (req.url === '/huge.ics') {
      res.writeHead(200, { 'content-type': 'text/calendar' })
      res.end('BEGIN:VCALENDAR\r\n' + 'X'.repeat(2_000_000))
      return
    }
    res.writeHead(200, { 'content-type': 'text/calendar' })
    res.end(feed())
  })
  process.env.SZ_ICAL_MAX_BYTES = '1000000'
  process.env.SZ_ICAL_POLL_INTERVAL = '1s'
  t.teardown(() => {
    delete process.env.SZ_ICAL_MAX_BYTES
    delete process.env.SZ_ICAL_POLL_INTERVAL
  })
  const { app } = await icalApp(t, { allowPrivateUrls: true })
  const dr = await provider(app)
  const created = await as(app, dr)('POST', '/api/calendar-sources', { url: `${base}/redirect` })
  t.equal(created.statusCode, 201, created.body)
  const id = created.json().source.id
  t.equal(created.json().source.pollIntervalMs, 1000, 'the configured interval (shortened for the test)')

  // The job syncs at once, then again after each interval: three downloads without any call from the test.
  await eventually(async () => hits.filter(h => h === '/feed.ics').length >= 3, 20_000)
  t.equal(await count(app, "select count(*)::int as n from consultation where title = 'Video'"), 1, 'created once, then unchanged')
  const jobs = await app.orm.em.fork().getConnection().execute("select state, singleton_key from pgboss.job where name = 'ical.poll-source'")
  t.ok(
    jobs.some((j: any) => j.state === 'completed' && j.singleton_key === id),
    'runs are durable pg-boss jobs'
  )
  t.ok(jobs.filter((j: any) => ['created', 'retry'].includes(j.state)).length <= 1, 'at most one queued job per source')
  const list = (await as(app, dr)('GET', '/api/calendar-sources')).json()
  t.ok(list[0].lastSyncAt)
  t.equal(list[0].lastError, null)

  // A manual sync reports.
  const report = await as(app, dr)('POST', `/api/calendar-sources/${id}/sync?force=true`)
  t.equal(report.statusCode, 200, report.body)
  t.match(report.json(), { created: 0, unchanged: 1, skipped: [] })

  // Deleting the source ends its chain of jobs.
  t.equal((await as(app, dr)('DELETE', `/api/calendar-sources/${id}`)).statusCode, 204)
  await new Promise(resolve => setTimeout(resolve, 1500))
  const after = hits.length
  await new Promise(resolve => setTimeout(resolve, 2500))
  t.equal(hits.length, after, 'no more downloads')

  const huge = await as(app, dr)('POST', '/api/calendar-sources', { url: `${base}/huge.ics`, pollInterval: '1h' })
  const tooBig = await as(app, dr)('POST', `/api/calendar-sources/${huge.json().source.id}/sync`)
  t.equal(tooBig.statusCode, 413)
  t.equal(tooBig.json().code, 'SZ_ICAL_TOO_LARGE')
  const sources = (await as(app, dr)('GET', '/api/calendar-sources')).json()
  t.match(sources.find((s: any) => s.id === huge.json().source.id).lastError, /SZ_ICAL_TOO_LARGE/)
})

t.test('conditional re-sync: If-None-Match / If-Modified-Since from the last successful sync; 304 writes nothing', async t => {
  let version = 'v1'
  const seen: Array<{ inm?: string; ims?: string }> = []
  const lastModified = 'Sat, 28 Nov 2026 10:00:00 GMT'
  const base = await serve(t, (req, res) => {
    seen.push({ inm: req.headers['if-none-match'] as string | undefined, ims: req.headers['if-modified-since'] as string | undefined })
    const etag = `"${version}"`
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag })
      res.end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/calendar', etag, 'last-modified': lastModified })
    res.end(feed())
  })
  const { app } = await icalApp(t, { allowPrivateUrls: true })
  const dr = await provider(app)
  const created = await as(app, dr)('POST', '/api/calendar-sources', { url: `${base}/feed.ics`, pollInterval: '1h' })
  const id = created.json().source.id
  // The job's first run downloads in full.
  await eventually(async () => (await as(app, dr)('GET', '/api/calendar-sources')).json()[0].lastSyncAt)
  t.same(seen[0], { inm: undefined, ims: undefined })
  t.equal(await count(app, 'select count(*)::int as n from ical_imported_event'), 1)

  const writes = async () => (await app.orm.em.fork().getConnection().execute('select count(*)::int as n, max(updated_at) as m from consultation'))[0]
  const before = await writes()
  const res = await as(app, dr)('POST', `/api/calendar-sources/${id}/sync`)
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), { created: 0, updated: 0, cancelled: 0, unchanged: 0, skipped: [], withoutInvitation: [], complete: true, notModified: true })
  t.same(seen.at(-1), { inm: '"v1"', ims: lastModified }, 'both validators sent')
  t.same(await writes(), before, 'nothing written')

  // The feed changes: a full download; the new ETag is stored and sent next time.
  version = 'v2'
  const changed = await as(app, dr)('POST', `/api/calendar-sources/${id}/sync`)
  t.equal(changed.json().notModified, undefined)
  t.equal(changed.json().unchanged, 1)
  await as(app, dr)('POST', `/api/calendar-sources/${id}/sync`)
  t.equal(seen.at(-1)!.inm, '"v2"')
  // force=true downloads without validators.
  await as(app, dr)('POST', `/api/calendar-sources/${id}/sync?force=true`)
  t.same(seen.at(-1), { inm: undefined, ims: undefined })
})

t.test('without allowPrivateUrls, loopback and private targets are refused, also behind a redirect', async t => {
  const base = await serve(t, (_req, res) => {
    res.writeHead(200)
    res.end(feed())
  })
  const { app } = await icalApp(t)
  const dr = await provider(app)
  for (const url of [
    `${base}/feed.ics`,
    'http://10.1.2.3/x.ics',
    'http://[::1]/x.ics',
    'http://localhost/x.ics',
    'http://169.254.169.254/latest',
    // what this adapter's own guard let through before core's guard replaced it
    'http://[2002:7f00:1::1]/x.ics',
    'http://[fec0::1]/x.ics',
    'http://203.0.113.5/x.ics',
    'http://2130706433/x.ics',
    'http://0177.0.0.1/x.ics',
    'webcal://0x7f.1/x.ics',
    'http://0.0.0.0/x.ics',
    'http://100.64.0.1/x.ics',
    'http://[::ffff:7f00:1]/x.ics',
    'http://[64:ff9b::a9fe:a9fe]/latest'
  ]) {
    const res = await as(app, dr)('POST', '/api/calendar-sources', { url })
    t.equal(res.statusCode, 400, url)
    t.equal(res.json().code, 'SZ_ICAL_URL_PRIVATE', url)
  }
  for (const url of ['ftp://example.org/x.ics', 'not a url', 'http://user:pw@example.org/x.ics']) {
    const res = await as(app, dr)('POST', '/api/calendar-sources', { url })
    t.equal(res.statusCode, 400, url)
    t.equal(res.json().code, 'SZ_ICAL_URL_INVALID', url)
  }
})

t.test("isPrivateAddress is core's classifier", async t => {
  for (const a of [
    '127.0.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.1.1',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '2002:7f00:1::1',
    'fec0::1',
    '203.0.113.5'
  ])
    t.ok(isPrivateAddress(a), a)
  for (const a of ['93.184.216.34', '2606:2800:220:1::248', '::ffff:93.184.216.34', '8.8.8.8']) t.notOk(isPrivateAddress(a), a)
})

t.test('fetchFeed: a name that is public first and private second, rebinding, and every redirect hop through the guard', async t => {
  const options = { maxBytes: 1_000_000, timeoutMs: 5000 }
  // Refused: one answer with a public and a private address; nothing is downloaded.
  const mixed = await fetchFeed('https://calendar.practice.example/feed.ics', {
    ...options,
    allowPrivate: false,
    resolve: dns(['93.184.216.34', '10.0.0.7'])
  }).catch(e => e)
  t.ok(mixed instanceof FetchError)
  t.equal(mixed.code, 'SZ_ICAL_URL_PRIVATE')

  const hits: string[] = []
  const base = await serve(t, (req, res) => {
    hits.push(`${req.headers.host}${req.url}`)
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://other.practice.test:${req.socket.localPort}/feed.ics` })
      res.end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/calendar' })
    res.end(feed())
  })
  const port = new URL(base).port
  // Rebinding: the second answer (127.0.0.2, where nothing listens) would fail the download if the
  // connection asked DNS again; it goes to the checked 127.0.0.1. allowPrivate, so that a local server can stand in.
  const resolve = dns(['127.0.0.1'], ['127.0.0.2'])
  const fetched = await fetchFeed(`http://calendar.practice.test:${port}/feed.ics`, { ...options, allowPrivate: true, resolve })
  t.equal(fetched.status, 200)
  t.same(resolve.calls, ['calendar.practice.test'], 'resolved once, connected to the checked address')

  // A redirect to another name is resolved and checked again through the guard.
  const hops = dns(['127.0.0.1'])
  await fetchFeed(`http://calendar.practice.test:${port}/redirect`, { ...options, allowPrivate: true, resolve: hops })
  t.same(hops.calls, ['calendar.practice.test', 'other.practice.test'], 'each hop resolved by the guard')
  t.same(hits.slice(-2), [`calendar.practice.test:${port}/redirect`, `other.practice.test:${port}/feed.ics`], 'the Host header keeps the name')
  // …and a refusal by the guard on the second hop stops the download there.
  const before = hits.length
  const byHost = Object.assign(async (host: string) => (host === 'other.practice.test' ? [] : [{ address: '127.0.0.1', family: 4 as const }]), {})
  const stopped = await fetchFeed(`http://calendar.practice.test:${port}/redirect`, { ...options, allowPrivate: true, resolve: byHost }).catch(e => e)
  t.equal(stopped.code, 'SZ_ICAL_URL_UNREACHABLE', 'the redirect target is refused')
  t.equal(hits.length, before + 1, 'only the first hop was requested')
})

t.test('a practice chooses a poll interval from 1m to 1d; outside that, 400 (never a database error)', async t => {
  const { app, logs } = await icalApp(t, { allowPrivateUrls: true })
  const dr = await provider(app)
  const url = 'http://127.0.0.1:9/feed.ics'
  for (const [pollInterval, status, ms] of [
    ['1m', 201, 60_000],
    ['1d', 201, 86_400_000],
    ['24h', 201, 86_400_000],
    ['59s', 400],
    ['25d', 400],
    ['1441m', 400],
    ['99999999999999999999d', 400]
  ] as const) {
    const res = await as(app, dr)('POST', '/api/calendar-sources', { url, pollInterval })
    t.equal(res.statusCode, status, `${pollInterval}: ${res.body}`)
    if (status === 201) t.equal(res.json().source.pollIntervalMs, ms, `${pollInterval} is stored as ${ms} ms`)
    else t.equal(res.json().code, 'SZ_VALIDATION', `${pollInterval}: coded`)
  }
  t.notOk(
    logs.some(line => /"level":50/.test(line)),
    'no server error was logged'
  )
})

t.test('SZ_ICAL_POLL_INTERVAL beyond 1d stops the server with a message that names it', async t => {
  const { icalSettings } = await import('../src/index.js')
  t.throws(() => icalSettings({ SZ_ICAL_POLL_INTERVAL: '25d' }), /SZ_ICAL_POLL_INTERVAL/)
  t.equal(icalSettings({ SZ_ICAL_POLL_INTERVAL: '1d' }).pollIntervalMs, 86_400_000)
})

t.test('registering a source without any body, or with a body of another type: 4xx, not 500', async t => {
  const { app, logs } = await icalApp(t, { allowPrivateUrls: true })
  const dr = await provider(app)
  const headers = { cookie: dr.cookie, 'x-csrf-token': dr.csrf }
  const none = await app.inject({ method: 'POST', url: '/api/calendar-sources', headers })
  t.equal(none.statusCode, 400, none.body)
  t.equal(none.json().code, 'SZ_VALIDATION')
  const empty = await app.inject({ method: 'POST', url: '/api/calendar-sources', headers: { ...headers, 'content-type': 'application/json' }, payload: '' })
  t.equal(empty.statusCode, 400, empty.body)
  const text = await app.inject({
    method: 'POST',
    url: '/api/calendar-sources',
    headers: { ...headers, 'content-type': 'text/plain' },
    payload: 'http://127.0.0.1:9/x'
  })
  t.equal(text.statusCode, 415, text.body)
  t.notOk(
    logs.some(line => /"level":50/.test(line)),
    'no server error was logged'
  )
})
