import t from 'tap'
import { as, build, provider, realtime } from './helpers.js'

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

t.test('a session unused for SZ_SESSION_IDLE ends with 401 SZ_SESSION_IDLE; each request moves the deadline', async t => {
  const { app, logs } = await build(t, { sessionIdle: 600 })
  const s = await provider(app)
  const me = () => as(app, s)('GET', '/api/me')
  const lastSeen = async () => {
    const [row] = await app.orm.em
      .fork()
      .getConnection()
      .execute('select extract(epoch from last_seen_at) * 1000 as ms from server_session where user_id = ?', [s.userId])
    return row ? Number(row.ms) : undefined
  }

  // Requests every 350 ms keep it alive well past 600 ms after the login.
  for (let i = 0; i < 4; i++) {
    await sleep(350)
    t.equal((await me()).statusCode, 200, `request ${i + 1}, ${(i + 1) * 350} ms after the login`)
  }
  const slid = await lastSeen()
  t.ok(slid && Date.now() - slid < 400, 'the last request moved last_seen_at')

  await sleep(900)
  const idle = await me()
  t.equal(idle.statusCode, 401)
  t.match(idle.json(), { statusCode: 401, code: 'SZ_SESSION_IDLE' })
  t.equal(await lastSeen(), undefined, 'the idle session is deleted on the server')
  const again = await me()
  t.equal(again.statusCode, 401)
  t.equal(again.json().code, 'SZ_UNAUTHORIZED', 'and stays ended')
  const write = await as(app, s)('POST', '/api/tasks', { title: 'nach der Pause' })
  t.equal(write.statusCode, 401, 'writes too')
  t.notOk(
    logs.some(line => line.includes(s.email)),
    'no e-mail address in the logs'
  )
})

t.test('sliding is cheap: requests within the same minute do not write', async t => {
  const { app } = await build(t)
  t.equal(app.config.sessionIdle, 3_600_000, 'the default: 1h')
  const s = await provider(app)
  const row = async () => {
    const [r] = await app.orm.em
      .fork()
      .getConnection()
      .execute(
        'select extract(epoch from last_seen_at) * 1000 as seen, extract(epoch from updated_at) * 1000 as updated from server_session where user_id = ?',
        [s.userId]
      )
    return { seen: Number(r.seen), updated: Number(r.updated) }
  }
  const before = await row()
  for (let i = 0; i < 5; i++) t.equal((await as(app, s)('GET', '/api/me')).statusCode, 200)
  t.equal((await as(app, s)('POST', '/api/tasks', { title: 'Rückruf' })).statusCode, 201)
  const after = await row()
  t.equal(after.seen, before.seen, 'last_seen_at unchanged within a minute')
  t.equal(after.updated, before.updated, 'and the row was not written at all')
  // A minute later (moved back in the database instead of waiting), the next request slides it.
  await app.orm.em.fork().getConnection().execute("update server_session set last_seen_at = now() - interval '61 seconds' where user_id = ?", [s.userId])
  t.equal((await as(app, s)('GET', '/api/me')).statusCode, 200)
  t.ok(Math.abs(Date.now() - (await row()).seen) < 5_000, 'then one write moves it to now')
  // The absolute limit still holds however active the session is.
  await app.orm.em.fork().getConnection().execute("update server_session set expires_at = now() - interval '1 second' where user_id = ?", [s.userId])
  t.equal((await as(app, s)('GET', '/api/me')).json().code, 'SZ_UNAUTHORIZED', 'past SZ_SESSION_TTL: 401')
})

t.test('an idle session cannot open the realtime socket', async t => {
  const { app } = await build(t, { sessionIdle: 300 })
  const s = await provider(app)
  await sleep(500)
  const socket = await realtime(app, { cookie: s.cookie, origin: 'http://localhost:3000' })
  const { code } = await socket.closed
  t.not(code, 1000, `closed as unauthorized (${code})`)
})
