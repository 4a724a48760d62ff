// Purge benchmark: 10,000 ended consultations (each with one invitation and one participant) purged
// through the lifecycle (what the deadline workers do: lock, transition, delete, deletion log, notice)
// versus one SQL statement that deletes the same rows, in the same run on the same database.
//   npm run build && node bench/purge.mjs           (BENCH_PURGE_COUNT, BENCH_PURGE_CONCURRENCY)
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { buildApp, loadConfig } from '@sprechzimmer/core'
import { databaseServer, freshDatabase } from './lib/database.mjs'
import { overduePurgesSql } from '@sprechzimmer/core/testing'

const COUNT = Number(process.env.BENCH_PURGE_COUNT ?? 10_000)
const CONCURRENCY = Number(process.env.BENCH_PURGE_CONCURRENCY ?? 8)

async function seed(db, practiceId, providerId) {
  await db.query('delete from consultation')
  await db.query(overduePurgesSql(COUNT), [practiceId, providerId])
  await db.query('vacuum analyze consultation, invitation, participant')
  return (await db.query("select id from consultation where state = 'ended'")).rows.map(r => r.id)
}

/** Runs `work`, sampling this process's RSS and heap every 10 ms. */
async function measure(work) {
  global.gc?.()
  const before = process.memoryUsage()
  let peakRss = before.rss
  let peakHeap = before.heapUsed
  const timer = setInterval(() => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
  }, 10)
  const t0 = performance.now()
  await work()
  const ms = performance.now() - t0
  clearInterval(timer)
  return { ms, peakRssMb: peakRss / 2 ** 20, rssGrowthMb: (peakRss - before.rss) / 2 ** 20, heapGrowthMb: (peakHeap - before.heapUsed) / 2 ** 20 }
}

async function remaining(db) {
  const {
    rows: [r]
  } = await db.query(`select (select count(*) from invitation)::int as invitations, (select count(*) from participant)::int as participants,
                                                (select count(*) from consultation where state <> 'purged')::int as unpurged`)
  return r
}

const server = await databaseServer()
const database = await freshDatabase(server.url, 'purge')
const config = loadConfig({ LOG_LEVEL: 'silent' }, { sessionSecret: 'bench-secret-that-is-long-enough-for-hmac', dataDir: '/tmp/sz-bench-purge', plugins: [] })
const app = await buildApp({ config, databaseUrl: database.url, logger: false })
const db = new pg.Client({ connectionString: database.url })
await db.connect()
try {
  const registered = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: {
      kind: 'provider',
      email: 'bench@example.org',
      password: 'a long enough password',
      firstName: 'B',
      lastName: 'Ench',
      practice: {
        name: 'Praxis',
        type: 'Test',
        street: 'S 1',
        postalCode: '10115',
        city: 'Berlin',
        country: 'DE',
        contactName: 'B',
        contactEmail: 'p@example.org',
        iban: 'DE89370400440532013000',
        accountHolder: 'B'
      }
    }
  })
  if (registered.statusCode !== 202) throw new Error(`register: ${registered.statusCode} ${registered.body}`)
  const { user } = (
    await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'bench@example.org', password: 'a long enough password' } })
  ).json()
  const results = []

  // 1. Through the lifecycle, CONCURRENCY at a time (as the deadline workers run).
  let ids = await seed(db, user.practiceId, user.id)
  const lifecycle = await measure(async () => {
    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ids.length) await app.consultationStates.runDeadlines(ids[next++])
      })
    )
  })
  results.push({ line: `lifecycle purge (${CONCURRENCY} parallel)`, ...lifecycle, left: await remaining(db) })

  // 2. The same rows, one SQL statement.
  ids = await seed(db, user.practiceId, user.id)
  const sql = await measure(async () => {
    await db.query(
      `
      with p as (delete from participant where consultation_id = any($1::uuid[])),
           i as (delete from invitation where consultation_id = any($1::uuid[]))
      update consultation set state = 'purged', purged_at = now(), due_at = null, media = null where id = any($1::uuid[])`,
      [ids]
    )
  })
  results.push({ line: 'single SQL statement', ...sql, left: await remaining(db) })

  const fmt = n => n.toFixed(1)
  console.log(`purge of ${COUNT} ended consultations (1 invitation + 1 participant each), ${server.kind}`)
  console.log('| line | time (s) | per consultation (ms) | peak RSS (MB) | RSS growth (MB) | heap growth (MB) | left (inv/part/unpurged) |')
  console.log('|---|---|---|---|---|---|---|')
  for (const r of results) {
    console.log(
      `| ${r.line} | ${fmt(r.ms / 1000)} | ${(r.ms / COUNT).toFixed(2)} | ${fmt(r.peakRssMb)} | ${fmt(r.rssGrowthMb)} | ${fmt(r.heapGrowthMb)} ` +
        `| ${r.left.invitations}/${r.left.participants}/${r.left.unpurged} |`
    )
  }
  console.log(`ratio lifecycle ÷ SQL: time ${fmt(lifecycle.ms / sql.ms)}×`)
} finally {
  await db.end()
  await app.close()
  await database.drop()
  await server.stop()
}
