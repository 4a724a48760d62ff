import autocannon from 'autocannon'
import pg from 'pg'
import { startServer } from './children.mjs'
import { freshDatabase } from './database.mjs'
import { round } from './stats.mjs'
import { cpuMeter } from './cpu.mjs'

const BODY = JSON.stringify({ displayName: 'Bench Client' })

/** One autocannon run of POST /api/join/<token> at `connections` for `duration` seconds. */
async function load(port, tokens, { connections, duration }) {
  let i = 0
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        setupRequest: request => ({ ...request, path: `/api/join/${tokens[i++ % tokens.length]}` })
      }
    ]
  })
  return {
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    rps: round(result['2xx'] / result.duration, 1),
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: round(result.latency.average) },
    statusCodes: result.statusCodeStats
  }
}

/**
 * When autocannon stops, the requests it had in flight are still being served. One more request
 * waits behind them (the server answers in about FIFO order), so the next run starts on an idle server.
 */
async function drain(port, token) {
  const res = await fetch(`http://127.0.0.1:${port}/api/join/${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
    signal: AbortSignal.timeout(60_000)
  })
  await res.arrayBuffer()
}

async function measure(name, server, tokens, settings, log) {
  if (settings.warmup > 0) {
    await load(server.port, tokens, { connections: settings.connections, duration: settings.warmup })
    await drain(server.port, tokens[0])
  }
  log(`  ${name}: ${settings.connections} connections for ${settings.duration} s …`)
  const cpu = cpuMeter(server.pid)
  const r = await load(server.port, tokens, settings)
  const usage = cpu.stop()
  await drain(server.port, tokens[0])
  log(
    `  ${name}: ${r.rps} req/s (2xx), p99 ${r.latency.p99} ms, server CPU ${usage.serverPercentOfOneCore}% of a core, machine ${usage.machinePercent}%` +
      (r.non2xx || r.errors ? `; ${r.non2xx} non-2xx, ${r.errors} errors ${JSON.stringify(r.statusCodes)}` : '')
  )
  return { name, ...r, cpu: usage }
}

/** A cookie-authenticated HTTP client for the set-up calls (register, login, schedule). */
export async function provider(base) {
  const email = `bench.${process.pid}.${Date.now()}@example.org`
  const password = 'correct horse battery staple'
  const post = (path, body, headers = {}) =>
    fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  const registered = await post('/api/auth/register', {
    kind: 'provider',
    email,
    password,
    title: 'Dr.',
    firstName: 'Anna',
    lastName: 'Sommer',
    practice: {
      name: 'Praxis Bench',
      type: 'Psychotherapie',
      street: 'Hauptstraße 1',
      postalCode: '10115',
      city: 'Berlin',
      country: 'DE',
      contactName: 'Anna Sommer',
      contactEmail: 'praxis@example.org',
      iban: 'DE89 3704 0044 0532 0130 00',
      accountHolder: 'Anna Sommer'
    }
  })
  if (registered.status !== 202) throw new Error(`register: ${registered.status} ${await registered.text()}`)
  const login = await post('/api/auth/login', { email, password })
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`)
  const { csrfToken } = await login.json()
  const cookie = login.headers
    .getSetCookie()
    .find(c => c.startsWith('APPSESSION='))
    .split(';')[0]
  return {
    /** Schedules a consultation whose waiting room is already open (start in 1 min, default opens 15 min before). */
    async schedule(title) {
      const res = await post(
        '/api/consultations',
        {
          title,
          start: new Date(Date.now() + 60_000).toISOString(),
          end: new Date(Date.now() + 2 * 3_600_000).toISOString(),
          participants: [{ email: 'client@example.org' }]
        },
        { cookie, 'x-csrf-token': csrfToken }
      )
      if (res.status !== 201) throw new Error(`schedule: ${res.status} ${await res.text()}`)
      return (await res.json()).invitations[0].joinUrl.split('/join/')[1]
    }
  }
}

/** Waits until the app has worked off the lifecycle notices of the last measurement, so that they do not load the next one. */
async function settle(admin) {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const {
      rows: [{ n }]
    } = await admin.query("SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'lifecycle.event' AND state < 'completed'")
    if (n === 0) return
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

const median = values => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]

/**
 * Part (a): the join route against bare Fastify, all on the same PostgreSQL server and at the same
 * load. Each server runs in its own child process; autocannon runs here. The baseline and the join
 * lines take turns for `settings.rounds` rounds, so that a drift of the machine (the baseline alone
 * swings by a fifth from run to run) hits both sides alike; each round gives its own ratios, and the
 * goals are judged on their medians.
 */
export async function throughput(serverUrl, settings, log) {
  const lines = []
  const dummy = ['x'.repeat(43)]

  log('baseline: bare Fastify, no database')
  let server = await startServer('baseline.mjs', { BENCH_MODE: 'hello' })
  try {
    lines.push(await measure('fastify (no db)', server, dummy, settings, log))
  } finally {
    await server.stop()
  }

  const db = await freshDatabase(serverUrl, 'join')
  const admin = new pg.Client({ connectionString: db.url })
  const servers = []
  try {
    await admin.connect()
    log(`baseline: bare Fastify + pg Pool (max ${settings.poolSize}) running SELECT 1; sprechzimmer: POST /api/join/:token (a participant per request)`)
    const baseline = await startServer('baseline.mjs', { BENCH_MODE: 'select1', BENCH_DB_URL: db.url, BENCH_POOL_SIZE: String(settings.poolSize) })
    servers.push(baseline)
    const app = await startServer('app.mjs', { BENCH_DB_URL: db.url })
    servers.push(app)
    const p = await provider(`http://127.0.0.1:${app.port}`)
    const one = [await p.schedule('Bench: one consultation')]
    const spread = []
    for (let i = 0; i < settings.spread; i++) spread.push(await p.schedule(`Bench: spread ${i}`))
    const rounds = []
    for (let r = 1; r <= settings.rounds; r++) {
      log(`round ${r} of ${settings.rounds}`)
      const measured = []
      await settle(admin)
      measured.push(await measure('fastify + SELECT 1', baseline, dummy, settings, log))
      measured.push(await measure('join (1 consultation)', app, one, settings, log))
      if (spread.length > 0) {
        await settle(admin)
        measured.push(await measure(`join (${spread.length} consultations)`, app, spread, settings, log))
      }
      rounds.push(measured.map(line => ({ ...line, round: r })))
    }
    lines.push(...rounds.flat())
  } finally {
    for (const s of servers) await s.stop()
    await admin.end().catch(() => {})
    await db.drop()
  }

  const ratios = []
  const joinNames = [...new Set(lines.filter(l => l.name.startsWith('join')).map(l => l.name))]
  for (const name of joinNames) {
    const perRound = lines
      .filter(l => l.name === name)
      .map(l => {
        const base = lines.find(b => b.name === 'fastify + SELECT 1' && b.round === l.round)
        return { round: l.round, rpsRatio: round(l.rps / base.rps, 3), p99Ratio: round(l.latency.p99 / base.latency.p99, 2) }
      })
    ratios.push({ name, rpsRatio: median(perRound.map(r => r.rpsRatio)), p99Ratio: median(perRound.map(r => r.p99Ratio)), rounds: perRound })
  }
  return { lines, ratios, goals: { rpsRatio: '>= 0.5', p99Ratio: '<= 2', judgedOn: `the median of ${settings.rounds} rounds` } }
}
