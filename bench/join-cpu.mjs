// CPU per request: how many milliseconds of the server process's CPU, and of the PostgreSQL backends
// serving it, one POST /api/join/:token costs, next to the bare Fastify + SELECT 1 baseline. Unlike
// req/s, CPU per request hardly moves when other work shares the machine. See README.md.
//
//   npm run build && node bench/join-cpu.mjs     # BENCH_CPU_REQUESTS (20000), BENCH_CONNECTIONS (200), BENCH_SPREAD (200)
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import pg from 'pg'
import { startServer } from './lib/children.mjs'
import { databaseServer, freshDatabase } from './lib/database.mjs'
import { provider } from './lib/throughput.mjs'

const requests = Number(process.env.BENCH_CPU_REQUESTS ?? 20_000)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 200)
const spread = Number(process.env.BENCH_SPREAD ?? 200)
const BODY = JSON.stringify({ displayName: 'Bench Client' })
const TICK = 100 // USER_HZ on Linux

/** CPU seconds (user + system) of one process, 0 once it is gone. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICK
  } catch {
    return 0
  }
}

/** The backends connected to `database` (the app's pool and pg-boss), by pid. */
async function backends(admin, database) {
  const { rows } = await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database])
  return rows.map(r => r.pid)
}

async function load(port, tokens, amount) {
  let i = 0
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        setupRequest: r => ({ ...r, path: `/api/join/${tokens[i++ % tokens.length]}` })
      }
    ]
  })
  return {
    ok: result['2xx'],
    other: result.non2xx + result.errors + result.timeouts,
    rps: Math.round(result['2xx'] / result.duration),
    p99: result.latency.p99
  }
}

async function measure(name, server, tokens, admin, database) {
  await load(server.port, tokens, Math.min(5000, requests)) // warm-up: JIT, pools, caches
  await new Promise(resolve => setTimeout(resolve, 1000)) // let the queued lifecycle notices drain
  const pids = await backends(admin, database)
  const before = { server: cpuSeconds(server.pid), db: pids.reduce((s, pid) => s + cpuSeconds(pid), 0) }
  const r = await load(server.port, tokens, requests)
  // Work the requests left behind (lifecycle notices, IP job) belongs to them: wait until it is done.
  await new Promise(resolve => setTimeout(resolve, 2000))
  const later = new Set([...pids, ...(await backends(admin, database))])
  const after = { server: cpuSeconds(server.pid), db: [...later].reduce((s, pid) => s + cpuSeconds(pid), 0) }
  const line = {
    name,
    requests: r.ok,
    other: r.other,
    rps: r.rps,
    p99: r.p99,
    serverMsPerRequest: +((1000 * (after.server - before.server)) / r.ok).toFixed(3),
    dbMsPerRequest: +((1000 * (after.db - before.db)) / r.ok).toFixed(3)
  }
  console.log(
    `${name.padEnd(26)} ${String(line.requests).padStart(6)} × 2xx (${line.other} other), ${String(line.rps).padStart(5)} req/s, p99 ${line.p99} ms, ` +
      `server ${line.serverMsPerRequest.toFixed(3)} ms, PostgreSQL ${line.dbMsPerRequest.toFixed(3)} ms CPU per request`
  )
  return line
}

const dbServer = await databaseServer()
const db = await freshDatabase(dbServer.url, 'cpu')
const database = new URL(db.url).pathname.slice(1)
const admin = new pg.Client({ connectionString: dbServer.url })
await admin.connect()
console.log(
  `${new Date().toISOString()}, ${requests} requests a line at ${connections} connections; ` +
    `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`
)
const lines = []
try {
  let server = await startServer('baseline.mjs', { BENCH_MODE: 'select1', BENCH_DB_URL: db.url, BENCH_POOL_SIZE: '20' })
  try {
    lines.push(await measure('fastify + SELECT 1', server, ['x'.repeat(43)], admin, database))
  } finally {
    await server.stop()
  }
  server = await startServer('app.mjs', { BENCH_DB_URL: db.url })
  try {
    const p = await provider(`http://127.0.0.1:${server.port}`)
    lines.push(await measure('join (1 consultation)', server, [await p.schedule('Bench: one consultation')], admin, database))
    if (spread > 0) {
      const tokens = []
      for (let i = 0; i < spread; i++) tokens.push(await p.schedule(`Bench: spread ${i}`))
      lines.push(await measure(`join (${spread} consultations)`, server, tokens, admin, database))
    }
  } finally {
    await server.stop()
  }
} finally {
  await admin.end()
  await db.drop()
  await dbServer.stop()
}
const [base, ...joins] = lines
for (const j of joins) {
  console.log(
    `${j.name}: server CPU ×${(j.serverMsPerRequest / base.serverMsPerRequest).toFixed(1)}, ` +
      `PostgreSQL CPU ×${(j.dbMsPerRequest / base.dbMsPerRequest).toFixed(1)} of the baseline's per request`
  )
}
console.log(`load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
