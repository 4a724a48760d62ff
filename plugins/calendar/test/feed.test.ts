import t from 'tap'
import { calendarApp, provider, account, as, schedule, inMinutes, pathOf, eventsOf, uniqueEmail } from './helpers.js'

/** iCalendar times have whole seconds. */
const sec = (iso: string) => new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString()

t.test('a provider feed: stable UID, SEQUENCE, STATUS, UTC times, pseudonymised; 304; rotation', async t => {
  const { app, logs } = await calendarApp(t)
  const dr = await provider(app)
  const a = await schedule(app, dr, { start: inMinutes(60), end: inMinutes(90), title: 'Erstgespräch', emails: ['maria.mueller@example.org'] })
  const b = await schedule(app, dr, { start: inMinutes(24 * 60), end: inMinutes(24 * 60 + 50), title: 'Folgetermin' })
  const other = await provider(app, 'Praxis Andere')
  const foreign = await schedule(app, other, { start: inMinutes(120), end: inMinutes(150), title: 'Fremd' })

  const me = await as(app, dr)('GET', '/api/me/calendar-feed')
  t.equal(me.statusCode, 200)
  const url: string = me.json().url
  t.match(url, /^http:\/\/localhost:3000\/cal\/[A-Za-z0-9_-]{43}\.ics$/)
  t.equal((await as(app, dr)('GET', '/api/me/calendar-feed')).json().url, url, 'the same URL again')

  const res = await app.inject({ method: 'GET', url: pathOf(url) })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/calendar/)
  t.ok(res.headers.etag)
  t.ok(res.headers['last-modified'])
  const text = res.body
  t.notMatch(text, /maria|mueller|example\.org.*@|ATTENDEE/i, 'no client name or e-mail')
  t.notMatch(text, /X-WR-TIMEZONE|TZID/, 'no floating or zoned times: everything is UTC')
  t.notMatch(text, /Fremd/, "another practice's consultation is not in it")
  for (const line of text.split('\r\n')) t.ok(Buffer.byteLength(line) <= 75, 'lines are folded')
  const events = eventsOf(text)
  t.same(Object.keys(events).sort(), [`${a.id}@sprechzimmer`, `${b.id}@sprechzimmer`].sort())
  const ea = events[`${a.id}@sprechzimmer`]
  t.equal(ea.summary, 'Erstgespräch')
  t.equal(ea.status, 'CONFIRMED')
  t.equal(ea.start.toISOString(), sec(a.created.start))
  t.equal(ea.end.toISOString(), sec(a.created.end))
  t.match(text, /DTSTART:\d{8}T\d{6}Z/)
  const seq0 = Number(ea.sequence)

  // 304 for an unchanged feed, by ETag and by date.
  const etag = res.headers.etag as string
  const again = await app.inject({ method: 'GET', url: pathOf(url), headers: { 'if-none-match': etag } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
  const since = await app.inject({ method: 'GET', url: pathOf(url), headers: { 'if-modified-since': res.headers['last-modified'] as string } })
  t.equal(since.statusCode, 304)

  // Rescheduling: same UID, higher SEQUENCE, new times; the ETag changes.
  const newStart = inMinutes(180)
  const newEnd = inMinutes(210)
  t.equal((await as(app, dr)('PATCH', `/api/consultations/${a.id}`, { start: newStart, end: newEnd })).statusCode, 200)
  const changed = await app.inject({ method: 'GET', url: pathOf(url), headers: { 'if-none-match': etag } })
  t.equal(changed.statusCode, 200)
  t.not(changed.headers.etag, etag)
  const ea2 = eventsOf(changed.body)[`${a.id}@sprechzimmer`]
  t.ok(Number(ea2.sequence) > seq0, 'SEQUENCE rises')
  t.equal(ea2.start.toISOString(), sec(newStart))

  // Cancelling: STATUS:CANCELLED, still in the feed so calendars remove it.
  t.equal((await as(app, dr)('POST', `/api/consultations/${b.id}/cancel`)).statusCode, 200)
  const eb = eventsOf((await app.inject({ method: 'GET', url: pathOf(url) })).body)[`${b.id}@sprechzimmer`]
  t.equal(eb.status, 'CANCELLED')

  // Rotation: the old URL is gone at once.
  const rotated = await as(app, dr)('POST', '/api/me/calendar-feed/rotate')
  t.equal(rotated.statusCode, 200)
  const url2 = rotated.json().url
  t.not(url2, url)
  const old = await app.inject({ method: 'GET', url: pathOf(url) })
  t.equal(old.statusCode, 404)
  t.equal(old.json().code, 'SZ_NOT_FOUND')
  t.equal((await app.inject({ method: 'GET', url: pathOf(url2) })).statusCode, 200)
  t.equal((await as(app, dr)('GET', '/api/me/calendar-feed')).json().url, url2)

  // The other provider's own feed holds only their consultation.
  const otherUrl = (await as(app, other)('GET', '/api/me/calendar-feed')).json().url
  t.same(Object.keys(eventsOf((await app.inject({ method: 'GET', url: pathOf(otherUrl) })).body)), [`${foreign.id}@sprechzimmer`])

  const token = pathOf(url).slice(5, -4)
  t.notOk(
    logs.some(l => l.includes(token) || l.includes(pathOf(url2).slice(5, -4))),
    'logs hold no feed token'
  )
  t.notOk(
    logs.some(l => /maria/i.test(l)),
    'logs hold no client address'
  )
})

t.test('the practice-wide feed is for admins, scoped to the practice; client details only when switched on', async t => {
  const { app } = await calendarApp(t)
  const admin = await provider(app)
  const c = await schedule(app, admin, { start: inMinutes(30), end: inMinutes(60), emails: ['maria.mueller@example.org'] })
  const other = await provider(app, 'Praxis Andere')
  await schedule(app, other, { start: inMinutes(30), end: inMinutes(60), title: 'Fremd' })
  // A second provider of the same practice (core has no endpoint for it yet): a row like registration writes.
  await app.orm.em
    .fork()
    .getConnection()
    .execute(
      `insert into app_user (id, created_at, updated_at, kind, is_practice_admin, practice_id, email, password_hash, first_name, last_name)
     select gen_random_uuid(), now(), now(), 'provider', false, practice_id, ?, password_hash, 'Ben', 'Winter' from app_user where id = ?`,
      [uniqueEmail('colleague'), admin.userId]
    )
  const colleagueRow = (await app.orm.em.fork().getConnection().execute('select id from consultation where id = ?', [c.id]))[0]
  t.ok(colleagueRow)

  const res = await as(app, admin)('GET', '/api/practice/calendar-feed')
  t.equal(res.statusCode, 200)
  const url = res.json().url
  t.not(url, (await as(app, admin)('GET', '/api/me/calendar-feed')).json().url, 'a URL of its own')
  const feed = await app.inject({ method: 'GET', url: pathOf(url) })
  t.same(Object.keys(eventsOf(feed.body)), [`${c.id}@sprechzimmer`])
  t.notMatch(feed.body, /maria|ATTENDEE/i)

  t.equal((await as(app, admin)('GET', '/api/practice/calendar-settings')).json().includeClientDetails, false)
  const put = await as(app, admin)('PUT' as any, '/api/practice/calendar-settings', { includeClientDetails: true })
  t.equal(put.statusCode, 200)
  const named = await app.inject({ method: 'GET', url: pathOf(url), headers: { 'if-none-match': feed.headers.etag as string } })
  t.equal(named.statusCode, 200, 'the switch changes the ETag')
  const ev = eventsOf(named.body)[`${c.id}@sprechzimmer`]
  t.match(JSON.stringify(ev.attendee), /maria\.mueller@example\.org/)

  // Not an admin any more: no practice feed, and the old URL answers 404.
  await app.orm.em.fork().getConnection().execute('update app_user set is_practice_admin = false where id = ?', [admin.userId])
  const denied = await as(app, admin)('GET', '/api/practice/calendar-feed')
  t.equal(denied.statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: pathOf(url) })).statusCode, 404)
  t.equal((await as(app, admin)('PUT' as any, '/api/practice/calendar-settings', { includeClientDetails: false })).statusCode, 403)
})

t.test('a registered client has a feed of their own invitations, with their join link', async t => {
  const { app } = await calendarApp(t)
  const dr = await provider(app)
  const email = uniqueEmail('client')
  const client = await account(app, 'client', { email })
  const mine = await schedule(app, dr, { start: inMinutes(30), end: inMinutes(60), emails: [email] })
  await schedule(app, dr, { start: inMinutes(30), end: inMinutes(60), emails: ['someone.else@example.org'] })
  const url = (await as(app, client)('GET', '/api/me/calendar-feed')).json().url
  const feed = await app.inject({ method: 'GET', url: pathOf(url) })
  const events = eventsOf(feed.body)
  t.same(Object.keys(events), [`${mine.id}@sprechzimmer`])
  t.match(feed.body.replace(/\r\n /g, ''), `/join/${mine.tokens[0]}`)
  t.equal((await as(app, client)('GET', '/api/practice/calendar-feed')).statusCode, 403)
})

t.test('unknown or malformed feed URLs answer 404; the API needs a session', async t => {
  const { app } = await calendarApp(t)
  for (const url of ['/cal/abc.ics', `/cal/${'A'.repeat(43)}.ics`, `/cal/${'A'.repeat(43)}.txt`, '/cal/..%2f..%2fetc.ics']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 404, url)
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/me/calendar-feed' })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/api/me/calendar-feed/rotate' })).statusCode, 401)
})

t.test('Last-Modified moves with the ETag when an event only leaves the window (injected clock)', async t => {
  const { app } = await calendarApp(t)
  const dr = await provider(app)
  const soon = await schedule(app, dr, { start: inMinutes(60), end: inMinutes(90), title: 'Bald' })
  await schedule(app, dr, { start: inMinutes(3 * 24 * 60), end: inMinutes(3 * 24 * 60 + 30), title: 'Später' })
  const path = pathOf((await as(app, dr)('GET', '/api/me/calendar-feed')).json().url)
  const first = await app.inject({ method: 'GET', url: path })
  t.equal(first.statusCode, 200)
  t.match(first.body, /Bald/)
  const lm1 = first.headers['last-modified'] as string
  t.equal((await app.inject({ method: 'GET', url: path, headers: { 'if-modified-since': lm1 } })).statusCode, 304)

  // 29 days on (past window 28d): "Bald" has left the feed, nothing about any consultation changed.
  const later = new Date(Date.now() + 29 * 86_400_000)
  app.calendarFeeds.clock.now = () => later
  const second = await app.inject({ method: 'GET', url: path, headers: { 'if-modified-since': lm1 } })
  t.equal(second.statusCode, 200, 'not 304: the feed changed')
  t.notMatch(second.body, /Bald/)
  t.match(second.body, /Später/)
  t.not(second.headers.etag, first.headers.etag)
  const lm2 = second.headers['last-modified'] as string
  t.ok(Date.parse(lm2) > Date.parse(lm1), `Last-Modified moved: ${lm1} -> ${lm2}`)
  t.equal(Date.parse(lm2), Math.floor(later.getTime() / 1000) * 1000, 'to the time the new ETag was first served')
  t.ok(soon.id)

  // Served again unchanged: the same validators, 304 by either.
  const third = await app.inject({ method: 'GET', url: path })
  t.equal(third.headers['last-modified'], lm2)
  t.equal(third.headers.etag, second.headers.etag)
  t.equal((await app.inject({ method: 'GET', url: path, headers: { 'if-modified-since': lm2 } })).statusCode, 304)
  t.equal((await app.inject({ method: 'GET', url: path, headers: { 'if-none-match': second.headers.etag as string } })).statusCode, 304)
})
