import t from 'tap'
import { createServer, type Server } from 'node:http'
import { icalApp, provider, as, local, crlf } from './helpers.js'
import { isPrivateAddress } from '../src/fetch.js'

async function serve (t: any, handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

const feed = () => crlf([
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Praxis//EN',
  'BEGIN:VEVENT', 'UID:url-1@praxis', `DTSTART:${local(6, 10).icsUtc}Z`, `DTEND:${local(6, 10, 30).icsUtc}Z`, 'SUMMARY:Video', 'ATTENDEE:mailto:p@example.org', 'END:VEVENT',
  'END:VCALENDAR'
])

t.test('a URL source on a local HTTP server: allowed with allowPrivateUrls, synced now and by the poller', async t => {
  let hits = 0
  const base = await serve(t, (req, res) => {
    hits++
    if (req.url === '/redirect') { res.writeHead(302, { location: '/feed.ics' }); res.end(); return }
    if (req.url === '/huge.ics') { res.writeHead(200, { 'content-type': 'text/calendar' }); res.end('BEGIN:VCALENDAR\r\n' + 'X'.repeat(2_000_000)); return }
    res.writeHead(200, { 'content-type': 'text/calendar', etag: '"v1"' })
    res.end(feed())
  })
  process.env.SZ_ICAL_MAX_BYTES = '1000000'
  t.teardown(() => { delete process.env.SZ_ICAL_MAX_BYTES })
  const { app } = await icalApp(t, { allowPrivateUrls: true })
  const dr = await provider(app)
  const created = await as(app, dr)('POST', '/api/calendar-sources', { url: `${base}/redirect`, pollInterval: '1m' })
  t.equal(created.statusCode, 201, created.body)
  const id = created.json().source.id
  const report = await as(app, dr)('POST', `/api/calendar-sources/${id}/sync`)
  t.equal(report.statusCode, 200, report.body)
  t.match(report.json(), { created: 1, skipped: [] })
  t.equal((await as(app, dr)('POST', `/api/calendar-sources/${id}/sync`)).json().unchanged, 1)

  // The poller: an overdue source is claimed once and synced.
  await app.orm.em.fork().getConnection().execute(`update ical_source set last_sync_at = now() - interval '1 hour' where id = ?`, [id])
  const before = hits
  t.equal(await app.icalSources.poll(), 1)
  t.ok(hits > before, 'fetched again')
  t.equal(await app.icalSources.poll(), 0, 'not due again yet')

  const huge = await as(app, dr)('POST', '/api/calendar-sources', { url: `${base}/huge.ics` })
  const tooBig = await as(app, dr)('POST', `/api/calendar-sources/${huge.json().source.id}/sync`)
  t.equal(tooBig.statusCode, 413)
  t.equal(tooBig.json().code, 'SZ_ICAL_TOO_LARGE')
  const list = (await as(app, dr)('GET', '/api/calendar-sources')).json()
  t.match(list.find((s: any) => s.id === huge.json().source.id).lastError, /SZ_ICAL_TOO_LARGE/)
})

t.test('without allowPrivateUrls, loopback and private targets are refused, also behind a redirect', async t => {
  const base = await serve(t, (_req, res) => { res.writeHead(200); res.end(feed()) })
  const { app } = await icalApp(t)
  const dr = await provider(app)
  for (const url of [`${base}/feed.ics`, 'http://10.1.2.3/x.ics', 'http://[::1]/x.ics', 'http://localhost/x.ics', 'http://169.254.169.254/latest']) {
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

t.test('isPrivateAddress', async t => {
  for (const a of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) t.ok(isPrivateAddress(a), a)
  for (const a of ['93.184.216.34', '2606:2800:220:1::248', '::ffff:93.184.216.34', '8.8.8.8']) t.notOk(isPrivateAddress(a), a)
})
