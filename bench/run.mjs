// Sprechzimmer benchmark: join throughput against a bare Fastify + PostgreSQL baseline (a), and the
// lateness of 10,000 waiting-room deadlines that fall within one minute (b). See README.md.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { settings } from './lib/env.mjs'
import { databaseServer, serverVersion } from './lib/database.mjs'
import { killChildren } from './lib/children.mjs'
import { throughput } from './lib/throughput.mjs'
import { deadlines } from './lib/deadlines.mjs'
import { table } from './lib/stats.mjs'
import { machineBusy } from './lib/cpu.mjs'

const started = Date.now()
const log = message => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`)

const watchdog = setTimeout(() => {
  console.error(`bench: gave up after ${settings.timeout} s (BENCH_TIMEOUT)`)
  killChildren()
  process.exit(2)
}, settings.timeout * 1000)

function report(results) {
  const out = []
  out.push(
    `${results.date}, Node ${results.node}, ${results.cpus} × ${results.cpuModel}, PostgreSQL ${results.database?.version} (${results.database?.kind}); ` +
      `machine ${results.machineBusyBeforeStartPercent}% busy before the start`
  )
  out.push('')
  if (results.throughput) {
    const { lines, ratios } = results.throughput
    out.push(`Join throughput: ${settings.connections} connections, ${settings.duration} s each, body {"displayName":"Bench Client"}`)
    out.push(
      table(
        ['round', 'server', 'req/s (2xx)', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'server CPU %', 'machine CPU %'],
        lines.map(l => [
          l.round ?? '',
          l.name,
          l.rps,
          l.latency.p50,
          l.latency.p99,
          l.latency.max,
          l.non2xx,
          l.errors + l.timeouts,
          l.cpu.serverPercentOfOneCore,
          l.cpu.machinePercent
        ])
      )
    )
    out.push('')
    out.push(
      table(
        [
          'ratio vs fastify + SELECT 1 (same round)',
          'rps ratio by round',
          'p99 ratio by round',
          'median rps ratio (goal ≥ 0.5)',
          'median p99 ratio (goal ≤ 2)'
        ],
        ratios.map(r => [
          r.name,
          r.rounds.map(x => x.rpsRatio).join(' '),
          r.rounds.map(x => x.p99Ratio).join(' '),
          `${r.rpsRatio} ${r.rpsRatio >= 0.5 ? 'ok' : 'MISSED'}`,
          `${r.p99Ratio} ${r.p99Ratio <= 2 ? 'ok' : 'MISSED'}`
        ])
      )
    )
  }
  if (results.deadlines) {
    const d = results.deadlines
    const l = d.latenessMs
    out.push('')
    out.push(
      `Deadlines: ${d.consultations} consultations, waiting rooms opening within ${d.windowSeconds} s (set-up ${d.setupSeconds} s, lead ${d.leadSeconds} s)`
    )
    out.push(table(['lateness (notice at − due)', 'min', 'p50', 'p95', 'p99', 'max'], [['ms', l.min, l.p50, l.p95, l.p99, l.max]]))
    out.push(
      table(
        ['due in window second', 'count', 'p50 ms', 'p99 ms', 'max ms'],
        d.latenessByDueTime.map(b => [`${b.dueFromSecond}–${b.dueFromSecond + 10}`, b.count, b.p50, b.p99, b.max])
      )
    )
    out.push(
      table(
        ['created (tenth of the set-up)', 'count', 'p50 ms', 'p99 ms', 'max ms'],
        d.latenessByCreationOrder.map(b => [b.tenth, b.count, b.p50, b.p99, b.max])
      )
    )
    out.push(`p99 goal < 2000 ms: ${l.p99 !== null && l.p99 < 2000 && d.missed === 0 ? 'ok' : 'MISSED'}`)
    out.push(
      `transitioned ${d.transitioned}/${d.consultations}, missed ${d.missed}, double transitions ${d.doubleTransitions}, ` +
        `unexpected version ${d.unexpectedVersion}, without notice ${d.transitionsWithoutNotice}`
    )
    out.push(
      `longest pause without a committed transition: ${d.longestPauseBetweenTransitions.ms} ms (at window second ${d.longestPauseBetweenTransitions.atSecond})`
    )
    out.push(`app process CPU during the wait ${d.cpu.serverPercentOfOneCore}% of a core, machine ${d.cpu.machinePercent}%`)
    out.push(
      `deadline job pick-up delay (started_on − start_after) ms: p50 ${d.jobPickupDelayMs.p50}, p99 ${d.jobPickupDelayMs.p99}, max ${d.jobPickupDelayMs.max}`
    )
    out.push(
      `consultation.waiting notices dispatched to handlers by the end: ${d.lifecycleNotices.dispatchedToHandlersDuringRun}; ` +
        `lifecycle.event jobs still queued: ${d.lifecycleNotices.stillQueuedAtEnd}`
    )
  }
  return out.join('\n')
}

let server
let exitCode = 0
const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  settings
}
try {
  results.machineBusyBeforeStartPercent = await machineBusy()
  if (results.machineBusyBeforeStartPercent > 15) {
    log(`WARNING: the machine is already ${results.machineBusyBeforeStartPercent}% busy before the bench starts; the figures will be distorted`)
  }
  server = await databaseServer()
  results.database = { kind: server.kind, version: await serverVersion(server.url) }
  log(`PostgreSQL ${results.database.version} (${server.kind}); ${results.cpus} CPUs`)
  if (settings.parts.includes('join')) {
    log('(a) join throughput')
    results.throughput = await throughput(server.url, settings, log)
  }
  if (settings.parts.includes('deadlines') && settings.deadlines > 0) {
    log(`(b) ${settings.deadlines} deadlines within ${settings.window} s`)
    results.deadlines = await deadlines(server.url, settings, log)
  }
} catch (err) {
  console.error(err)
  results.error = String(err?.stack ?? err)
  exitCode = 1
} finally {
  killChildren()
  await server?.stop().catch(() => {})
}
results.totalSeconds = Math.round((Date.now() - started) / 1000)
const dir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(dir, { recursive: true })
writeFileSync(dir + 'latest.json', JSON.stringify(results, null, 2) + '\n')
console.log('\n' + report(results))
console.log(`\n${results.totalSeconds} s in all; written to bench/results/latest.json`)
clearTimeout(watchdog)
process.exit(exitCode)
