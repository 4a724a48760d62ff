// Bench for the REST adapter (adapters/rest), run with `node bench/rest.mjs` after `npm run build`:
//  1. POST /api/v1/appointments throughput, against a bare Fastify that parses the same body and runs one
//     `SELECT 1` on the same PostgreSQL (the baseline of the spine's bench), in the same run.
//  2. Webhook fan-out: 1,000 lifecycle events (appointments booked) to 10 endpoints on loopback; time
//     until all 10,000 deliveries have arrived.
// Servers run as child processes (this file forks itself) so that autocannon does not share their event loop.
// Settings: BENCH_DURATION (s, 10), BENCH_CONNECTIONS (20), BENCH_EVENTS (1000), BENCH_ENDPOINTS (10), DATABASE_URL.
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROLE = process.env.BENCH_REST_ROLE
const here = fileURLToPath(import.meta.url)

if (ROLE === 'baseline') {
  const { default: Fastify } = await import('fastify')
  const { default: pg } = await import('pg')
  const pool = new pg.Pool({ connectionString: process.env.BENCH_DB_URL, max: 20 })
  const app = Fastify({ logger: false })
  app.post('/api/v1/appointments', async (request, reply) => {
    await pool.query('SELECT 1')
    return reply.code(201).send({ ok: true, title: request.body?.title?.length ?? 0 })
  })
  app.addHook('onClose', async () => {
    await pool.end()
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  serve(app, async () => {})
} else if (ROLE === 'app') {
  const { buildApp, loadConfig } = await import('@sprechzimmer/core')
  const dataDir = mkdtempSync(join(tmpdir(), 'sz-bench-rest-'))
  const config = loadConfig(
    { ...process.env, LOG_LEVEL: 'silent' },
    {
      sessionSecret: 'x'.repeat(40),
      dataDir,
      host: '127.0.0.1',
      port: 0,
      allowPrivateUrls: true,
      loginRateLimit: 1_000_000,
      plugins: [fileURLToPath(new URL('../adapters/rest/dist/index.js', import.meta.url))]
    }
  )
  const app = await buildApp({ config, databaseUrl: process.env.BENCH_DB_URL, logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  serve(app, async () => rmSync(dataDir, { recursive: true, force: true }))
} else {
  await main()
}

function serve(app, cleanup) {
  process.send({ port: app.server.address().port })
  const stop = async () => {
    try {
      await app.close()
      await cleanup()
    } finally {
      process.exit(0)
    }
  }
  process.on('message', m => {
    if (m?.stop) void stop()
  })
  process.on('disconnect', () => void stop())
}

async function start(role, env) {
  const child = fork(here, [], { env: { ...process.env, ...env, BENCH_REST_ROLE: role }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = new Promise(resolve => child.once('exit', resolve))
  const port = await new Promise((resolve, reject) => {
    child.once('message', m => resolve(m.port))
    exited.then(code => reject(new Error(`${role} exited with ${code}`)))
  })
  return {
    port,
    async stop() {
      if (child.exitCode !== null) return
      child.send({ stop: true })
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    }
  }
}

async function main() {
  const { default: autocannon } = await import('autocannon')
  const { databaseServer, freshDatabase } = await import('./lib/database.mjs')
  const duration = Number(process.env.BENCH_DURATION ?? 10)
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)
  const events = Number(process.env.BENCH_EVENTS ?? 1000)
  const endpointCount = Number(process.env.BENCH_ENDPOINTS ?? 10)
  const server = await databaseServer()
  const children = []
  const dbs = []
  const results = { database: server.kind, duration, connections }
  try {
    const inHours = h => new Date(Date.now() + h * 3_600_000).toISOString()
    const body = (i = 0) =>
      JSON.stringify({
        title: 'Bench',
        start: inHours(24 + (i % 100)),
        end: inHours(24.5 + (i % 100)),
        providerEmail: 'bench@example.org',
        clients: [{ email: 'client@example.org' }]
      })

    const run = async (port, headers) => {
      const r = await autocannon({
        url: `http://127.0.0.1:${port}/api/v1/appointments`,
        method: 'POST',
        connections,
        duration,
        headers: { 'content-type': 'application/json', ...headers },
        body: body()
      })
      return { rps: Math.round(r['2xx'] / r.duration), ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, p50: r.latency.p50, p99: r.latency.p99 }
    }

    // Baseline: bare Fastify + SELECT 1.
    const baseDb = await freshDatabase(server.url, 'restbase')
    dbs.push(baseDb)
    const baseline = await start('baseline', { BENCH_DB_URL: baseDb.url })
    children.push(baseline)
    await run(baseline.port, {}) // warm-up
    results.baseline = await run(baseline.port, {})
    await baseline.stop()
    console.log(`baseline (Fastify + SELECT 1): ${results.baseline.rps} req/s, p99 ${results.baseline.p99} ms`)

    // The app with the REST adapter.
    const appDb = await freshDatabase(server.url, 'restapp')
    dbs.push(appDb)
    const app = await start('app', {
      BENCH_DB_URL: appDb.url,
      SZ_REST_RATE_LIMIT: '10000000',
      SZ_WEBHOOK_CONCURRENCY: process.env.SZ_WEBHOOK_CONCURRENCY ?? '20',
      SZ_MAIL_REMINDERS: 'none'
    })
    children.push(app)
    const base = `http://127.0.0.1:${app.port}`
    const json = { 'content-type': 'application/json' }
    const password = 'bench password long enough'
    const reg = await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        kind: 'provider',
        email: 'bench@example.org',
        password,
        firstName: 'B',
        lastName: 'B',
        practice: {
          name: 'Bench',
          type: 'x',
          street: 'x',
          postalCode: '1',
          city: 'x',
          country: 'DE',
          contactName: 'x',
          contactEmail: 'x@example.org',
          iban: 'DE89370400440532013000',
          accountHolder: 'x'
        }
      })
    })
    if (reg.status !== 202) throw new Error(`register: ${reg.status} ${await reg.text()}`)
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'bench@example.org', password }) })
    const cookie = login.headers.get('set-cookie').split(';')[0]
    const { csrfToken } = await login.json()
    const keyRes = await fetch(`${base}/api/practice/api-keys`, {
      method: 'POST',
      headers: { ...json, cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({ name: 'bench', scopes: ['appointments:read', 'appointments:write', 'webhooks'] })
    })
    const { key } = await keyRes.json()
    const auth = { authorization: `Bearer ${key}` }

    await run(app.port, auth) // warm-up
    results.appointments = await run(app.port, auth)
    results.ratioToBaseline = Math.round((results.appointments.rps / results.baseline.rps) * 1000) / 1000
    console.log(`POST /api/v1/appointments: ${results.appointments.rps} req/s, p99 ${results.appointments.p99} ms (${results.ratioToBaseline} of the baseline)`)

    // Fan-out: endpoints on loopback in this process.
    let delivered = 0
    let done
    const allDelivered = new Promise(resolve => {
      done = resolve
    })
    const total = events * endpointCount
    const receivers = []
    for (let i = 0; i < endpointCount; i++) {
      const s = createServer((req, res) => {
        req.resume()
        req.on('end', () => {
          res.writeHead(204).end()
          if (++delivered === total) done()
        })
      })
      await new Promise(resolve => s.listen(0, '127.0.0.1', resolve))
      receivers.push(s)
    }
    for (const s of receivers) {
      const r = await fetch(`${base}/api/v1/webhooks`, {
        method: 'POST',
        headers: { ...json, ...auth },
        body: JSON.stringify({ url: `http://127.0.0.1:${s.address().port}/hook`, events: ['consultation.scheduled'] })
      })
      if (r.status !== 201) throw new Error(`webhook: ${r.status} ${await r.text()}`)
    }
    const t0 = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < events) {
          const i = next++
          const r = await fetch(`${base}/api/v1/appointments`, { method: 'POST', headers: { ...json, ...auth }, body: body(i) })
          if (r.status !== 201) throw new Error(`appointment: ${r.status}`)
          await r.arrayBuffer()
        }
      })
    )
    const booked = performance.now() - t0
    const timeout = setTimeout(() => done(), 300_000)
    await allDelivered
    clearTimeout(timeout)
    const all = performance.now() - t0
    results.fanout = {
      events,
      endpoints: endpointCount,
      deliveries: delivered,
      bookedMs: Math.round(booked),
      allDeliveredMs: Math.round(all),
      deliveriesPerSecond: Math.round(delivered / (all / 1000))
    }
    console.log(
      `fan-out: ${events} events to ${endpointCount} endpoints: ${delivered}/${total} delivered in ${results.fanout.allDeliveredMs} ms ` +
        `(bookings took ${results.fanout.bookedMs} ms; ${results.fanout.deliveriesPerSecond} deliveries/s)`
    )
    for (const s of receivers) s.close()
    console.log(JSON.stringify(results))
  } finally {
    for (const c of children) await c.stop().catch(() => {})
    for (const d of dbs) await d.drop().catch(() => {})
    await server.stop()
  }
}
