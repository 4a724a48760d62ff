import t from 'tap'
import pg from 'pg'
import { build, provider, as, schedule, inMinutes, inMs, eventually } from './helpers.js'

t.test('IP cut, names at the end and the purge write the deletion log; the practice report counts only its own', async t => {
  const { app, databaseUrl } = await build(t, { purgeAfter: 1500, ipAnonymizeAfter: 1000 })
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  t.teardown(() => db.end())
  const me = await provider(app)
  const other = await provider(app, 'Praxis Nebenan')
  const req = as(app, me)
  const since = new Date(Date.now() - 1000).toISOString()

  const {
    id,
    tokens: [token]
  } = await schedule(app, me, { start: inMs(300), end: inMinutes(30), emails: ['a@example.org', 'b@example.org'] })
  const theirs = await schedule(app, other, { start: inMs(300), end: inMinutes(30) })
  const joined = (await app.inject({ method: 'POST', url: `/api/join/${token}`, payload: { displayName: 'Maria' } })).json()
  const theirJoin = (await app.inject({ method: 'POST', url: `/api/join/${theirs.tokens[0]}`, payload: { displayName: 'Jonas' } })).json()
  t.ok(joined.participantId && theirJoin.participantId)

  const before = Object.fromEntries((await req('GET', '/api/practice/privacy-report')).json().map((r: any) => [r.category, r]))
  t.ok(before['waiting-room-name'].oldestHeldAt, 'a name is held while the consultation runs')
  t.ok(before.invitation.oldestHeldAt)
  t.notOk('access-ip' in before, 'access records belong to no practice: operator report only')

  // The call's room is made when the waiting room opens (a lifecycle notice handler); it is call data too.
  await eventually(async () => (await db.query('select media from consultation where id = $1', [id])).rows[0].media !== null)
  await req('POST', `/api/consultations/${id}/participants/${joined.participantId}/admit`)
  await req('POST', `/api/consultations/${id}/end`)
  await as(app, other)('POST', `/api/consultations/${theirs.id}/cancel`)
  await eventually(
    async () =>
      (await req('GET', `/api/consultations/${id}`)).json().state === 'purged' &&
      (await as(app, other)('GET', `/api/consultations/${theirs.id}`)).json().state === 'purged',
    20_000
  )
  await eventually(async () => (await db.query("select 1 from deletion_log where category = 'access-ip'")).rowCount! > 0)

  const rows = (await db.query('select category, count, practice_id from deletion_log order by id')).rows
  const mine = (category: string) => rows.filter(r => r.category === category && r.practice_id === me.practiceId).reduce((n, r) => n + r.count, 0)
  t.equal(mine('waiting-room-name'), 1, 'the name erased at the end')
  t.equal(mine('invitation'), 2, 'two invitations purged')
  t.equal(mine('call-data'), 2, 'one participant and the room record purged')
  t.ok(rows.filter(r => r.category === 'access-ip').every(r => r.practice_id === null))

  const report = await req('GET', `/api/practice/privacy-report?from=${encodeURIComponent(since)}`)
  t.equal(report.statusCode, 200)
  const byCategory = Object.fromEntries(report.json().map((r: any) => [r.category, r]))
  t.equal(byCategory.invitation.deletedInPeriod, 2, "the other practice's invitation is not counted")
  t.equal(byCategory['waiting-room-name'].deletedInPeriod, 1)
  t.equal(byCategory['waiting-room-name'].oldestHeldAt, null, 'no name is held any more')
  t.equal(byCategory.invitation.oldestHeldAt, null)
  t.equal(byCategory.invitation.deadline, '1,500 milliseconds after the end or cancellation', 'the deadline is the configured one')
  const empty = await req(
    'GET',
    `/api/practice/privacy-report?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}` +
      `&to=${encodeURIComponent(new Date(Date.now() + 120_000).toISOString())}`
  )
  t.ok(
    empty.json().every((r: any) => r.deletedInPeriod === 0),
    'nothing deleted in a future period'
  )
  const bad = await req('GET', '/api/practice/privacy-report?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z')
  t.equal(bad.statusCode, 400)
  t.equal((await req('GET', '/api/practice/privacy-report?from=yesterday')).statusCode, 400)
})
