import t from 'tap'
import pg from 'pg'
import { sqlOn } from '../src/jobs.js'
import { build, eventually } from './helpers.js'

const COLUMNS =
  'name, data, priority, state, retry_limit, retry_delay, retry_backoff, singleton_key, expire_in, policy, dead_letter, ' +
  '(keep_until - start_after) AS kept, (start_after - created_on) AS delay'

t.test('jobs.insertStatement writes the rows boss.insert writes, inside a larger statement and its transaction', async t => {
  const { app, databaseUrl } = await build(t)
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  t.teardown(() => db.end())
  await app.jobs.createQueue('test.insert-statement')
  const job = (id: string) => ({ id, data: { n: 1 }, retryLimit: 10, retryDelay: 5, retryBackoff: true })
  const a = '00000000-0000-7000-8000-00000000000a'
  const b = '00000000-0000-7000-8000-00000000000b'
  await app.jobs.insert('test.insert-statement', [job(a)])
  const em = app.orm.em.fork()
  await em.transactional(async (tx: typeof em) => {
    const statement = app.jobs.insertStatement('test.insert-statement', [job(b)], 2)
    await sqlOn(tx).executeSql(`WITH jobs AS (${statement.sql}) SELECT $1::text AS first`, ['x', ...statement.values])
  })
  const rows = (await db.query(`SELECT id, ${COLUMNS} FROM pgboss.job WHERE name = 'test.insert-statement' ORDER BY id`)).rows
  t.equal(rows.length, 2)
  const [viaInsert, viaStatement] = rows.map(({ id, ...rest }) => rest)
  t.same(viaStatement, viaInsert, 'same columns as boss.insert')

  const c = '00000000-0000-7000-8000-00000000000c'
  await t.rejects(
    em.fork().transactional(async (tx: typeof em) => {
      const statement = app.jobs.insertStatement('test.insert-statement', [job(c)], 1)
      await sqlOn(tx).executeSql(`WITH jobs AS (${statement.sql}) SELECT 1`, statement.values)
      throw new Error('rolled back')
    })
  )
  t.equal((await db.query('SELECT count(*)::int AS n FROM pgboss.job WHERE id = $1', [c])).rows[0].n, 0, 'no job when the transaction rolls back')
})

t.test("jobs.unfinished tells the jobs that are not over, by pg-boss's states; unschedule ends a cron", async t => {
  const { app } = await build(t)
  const queue = 'test.unfinished'
  await app.jobs.createQueue(queue, { retryLimit: 0 })
  const [waiting, done, failed, unknown] = ['1', '2', '3', '4'].map(n => `00000000-0000-7000-8000-00000000000${n}`)
  await app.jobs.insert(queue, [
    { id: waiting, data: { run: false }, startAfter: new Date(Date.now() + 3_600_000) },
    { id: done, data: { run: true } },
    { id: failed, data: { run: true, fail: true } }
  ])
  const seen: string[] = []
  await app.jobs.work<{ fail?: boolean }>(queue, { batchSize: 5 }, async job => {
    seen.push(job.id)
    if (job.data.fail) throw new Error('fails on purpose')
  })
  await eventually(async () => seen.length === 2)
  await eventually(async () => (await app.jobs.unfinished(queue, [waiting, done, failed, unknown])).size === 1)
  t.same([...(await app.jobs.unfinished(queue, [waiting, done, failed, unknown]))], [waiting], 'only the job that waits for its start')
  t.same([...(await app.jobs.unfinished(queue, []))], [])

  await app.jobs.createQueue('test.cron')
  await app.jobs.schedule('test.cron', '0 3 * * *')
  const scheduled = async () =>
    (await app.orm.em.fork().getConnection().execute("SELECT count(*)::int AS n FROM pgboss.schedule WHERE name = 'test.cron'"))[0].n
  t.equal(await scheduled(), 1)
  await app.jobs.unschedule('test.cron')
  t.equal(await scheduled(), 0, 'the cron is gone')
  await app.jobs.unschedule('test.never-scheduled')
  t.pass('unscheduling what was never scheduled is harmless')
})
