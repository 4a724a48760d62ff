// The Sprechzimmer server under test, run as a child process so that autocannon (in the parent)
// does not share its event loop.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp, loadConfig } from '@sprechzimmer/core'

const dataDir = mkdtempSync(join(tmpdir(), 'sz-bench-data-'))
const config = loadConfig(
  { ...process.env, LOG_LEVEL: 'silent' },
  {
    sessionSecret: 'x'.repeat(40),
    dataDir,
    host: '127.0.0.1',
    port: 0,
    joinRateLimit: 1_000_000_000,
    // The throughput bench sends many entries through each link: seats per link are not what it measures.
    joinLinkParticipants: 1_000_000,
    loginRateLimit: 1_000_000,
    // The bench schedules hundreds of consultations at once: the abuse quotas are not what it measures.
    quotas: { invitationsPerHour: 1_000_000, invitationsPerDay: 10_000_000, recipientsPerConsultation: 1000 }
  }
)
const app = await buildApp({ config, databaseUrl: process.env.BENCH_DB_URL, logger: false })
await app.listen({ port: 0, host: '127.0.0.1' })

async function stop(code) {
  try {
    await app.close()
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
    process.exit(code)
  }
}
process.send({ ready: true, port: app.server.address().port })
process.on('message', message => {
  if (message?.stop) void stop(0)
})
process.on('disconnect', () => void stop(0))
