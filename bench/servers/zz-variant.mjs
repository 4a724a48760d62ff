import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LockMode } from '@mikro-orm/core'
import { buildApp, loadConfig, Consultation } from '@sprechzimmer/core'
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' }, { sessionSecret: 'x'.repeat(40), dataDir: mkdtempSync(join(tmpdir(), 'szv-')), joinRateLimit: 1e9, loginRateLimit: 1e6 })
const app = await buildApp({ config, databaseUrl: process.env.BENCH_DB_URL, logger: false })
const v = (process.env.VARIANT ?? '').split(',')
if (v.includes('no-ip-arm')) app.ipAnonymizer.arm = async () => {}
if (v.includes('share-lock')) app.consultationLifecycle.lock = (em, where) => em.findOne(Consultation, where, { lockMode: LockMode.PESSIMISTIC_READ, refresh: true })
if (v.includes('no-notice')) { const emit = app.lifecycle.emit.bind(app.lifecycle); app.lifecycle.emit = async (em, type, ...rest) => { if (type !== 'participant.joined') await emit(em, type, ...rest) } }
await app.listen({ port: 0, host: '127.0.0.1' })
process.send({ ready: true, port: app.server.address().port })
process.on('message', async m => { if (m?.stop) { await app.close(); process.exit(0) } })
process.on('disconnect', () => process.exit(0))
