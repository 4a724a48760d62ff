import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { testDatabase, practiceInput, eventually, overduePurgesSql } from './helpers.js'

/**
 * kill -9 in the middle of a purge sweep: the built server (core/dist/server.js) starts with many
 * consultations overdue for purge, is killed with SIGKILL while its start-up sweep runs, and starts
 * again. Every consultation must end up purged exactly once: one `consultation.purged` notice each,
 * and the deletion log counting each invitation and participant once.
 */
const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url))
const COUNT = 400

t.test('a purge sweep killed with SIGKILL resumes after a restart and purges everything exactly once', async t => {
  const databaseUrl = await testDatabase(t)
  const dataDir = mkdtempSync(join(tmpdir(), 'sz-kill-'))
  const port = 40_000 + Math.floor(Math.random() * 20_000)
  const start = () => {
    const child = spawn(process.execPath, [SERVER], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        DATA_DIR: dataDir,
        PORT: String(port),
        SPRECHZIMMER_PLUGINS: '',
        LOG_LEVEL: 'warn',
        SZ_PURGE_AFTER: '1m',
        SESSION_SECRET: 'test-secret-that-is-long-enough-for-hmac-use'
      },
      stdio: ['ignore', 'ignore', 'inherit']
    })
    const exited = new Promise<NodeJS.Signals | number | null>(resolve => child.once('exit', (code, signal) => resolve(signal ?? code)))
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
    })
    return { child, exited }
  }
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  t.teardown(() => db.end())

  // First start: schema and queues; a provider registered over HTTP.
  const first = start()
  await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok, 30_000, 100)
  const registered = await fetch(`http://127.0.0.1:${port}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'provider',
      email: 'kill@example.org',
      password: 'a long enough password',
      firstName: 'K',
      lastName: 'Nine',
      practice: practiceInput()
    })
  })
  t.equal(registered.status, 202)
  const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'kill@example.org', password: 'a long enough password' })
  })
  const { user } = (await login.json()) as { user: { id: string; practiceId: string } }
  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0)

  // COUNT ended consultations, overdue for purge, each with an invitation and a participant.
  await db.query(overduePurgesSql(COUNT), [user.practiceId, user.id])
  const purged = async () => Number((await db.query("select count(*) from consultation where state = 'purged'")).rows[0].count)

  // Second start: the start-up sweep purges one consultation after another; kill it mid-way.
  const second = start()
  const seen = await eventually(
    async () => {
      const n = await purged()
      return n >= 20 && n
    },
    60_000,
    5
  )
  second.child.kill('SIGKILL')
  t.equal(await second.exited, 'SIGKILL')
  const atKill = await purged()
  t.ok(atKill < COUNT, `killed mid-sweep (${seen} purged when seen, ${atKill} at the kill)`)
  t.equal(
    Number((await db.query("select count(*) from invitation i join consultation c on c.id = i.consultation_id where c.state = 'purged'")).rows[0].count),
    0,
    'no consultation is half purged: a purge commits with its row or not at all'
  )

  // Third start: the sweep resumes.
  const third = start()
  await eventually(async () => (await purged()) === COUNT, 60_000, 100)
  await eventually(
    async () =>
      Number((await db.query('select count(*) from invitation')).rows[0].count) === 0 &&
      Number((await db.query('select count(*) from participant')).rows[0].count) === 0,
    10_000
  )
  const notices = await db.query(`
    select data->>'consultationId' as id, count(*)::int as n
      from (select data from pgboss.job where name = 'lifecycle.event' union all select data from pgboss.archive where name = 'lifecycle.event') j
     where data->>'type' = 'consultation.purged' group by 1`)
  t.equal(notices.rowCount, COUNT, 'every consultation announced its purge')
  t.ok(
    notices.rows.every(r => r.n === 1),
    'exactly once each'
  )
  const log = Object.fromEntries(
    (await db.query("select category, sum(count)::int as n from deletion_log where category in ('invitation', 'call-data') group by category")).rows.map(r => [
      r.category,
      r.n
    ])
  )
  t.same(log, { invitation: COUNT, 'call-data': COUNT }, 'the deletion log counts every item once')
  third.child.kill('SIGTERM')
  t.equal(await third.exited, 0)
})
