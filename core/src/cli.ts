import { loadConfig, ConfigError } from './config.js'
import { buildApp } from './app.js'
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded.js'
import { loggerOptions } from './http/logging.js'
import { User } from './modules/account/user.entity.js'
import { reportRange } from './modules/deletion/routes.js'
import { privacyReport } from './privacy/report.js'
import type { EntityManager } from '@mikro-orm/postgresql'

const USAGE = `Usage: npm run cli -- <command>
  delete-account <email>                       delete an account as POST /api/me/deletion does (Art. 17 GDPR)
  privacy-report [--from ISO] [--to ISO] [--practice <id>]
                                               per deletion-table category: deadline, deleted in the period, oldest item held`

function option (args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  if (i < 0) return undefined
  const value = args[i + 1]
  if (!value || value.startsWith('--')) throw new ConfigError(`${name} needs a value`)
  return value
}

/** Operator commands on the configured database (the same environment as the server). */
async function main (args: string[]): Promise<number> {
  const [command, ...rest] = args
  if (command !== 'delete-account' && command !== 'privacy-report') {
    console.error(USAGE)
    return 2
  }
  const config = loadConfig()
  let embedded: EmbeddedDatabase | undefined
  let databaseUrl = config.databaseUrl
  if (!databaseUrl) {
    embedded = await startEmbeddedDatabase(config.dataDir)
    databaseUrl = embedded.url
  }
  // Logs go to stderr so that stdout is the command's answer; jobs run in the server, not here.
  const app = await buildApp({ config: { ...config, plugins: [] }, databaseUrl, logger: { ...(loggerOptions('warn') as object), stream: process.stderr } })
  try {
    if (command === 'delete-account') {
      const email = rest[0]?.toLowerCase()
      if (!email) { console.error(USAGE); return 2 }
      const user = await app.orm.em.fork().findOne(User, { email })
      if (!user) { console.error('No account with this e-mail address.'); return 1 }
      await app.orm.em.fork().transactional(async (em: EntityManager) => { await app.accountErasure.request(em, user.id) })
      console.log(JSON.stringify({ deleted: true, userId: user.id, note: 'sessions revoked, data anonymised; the erasure job removes the rows once the consultations are purged' }))
      return 0
    }
    const range = reportRange(option(rest, '--from'), option(rest, '--to'))
    const report = await privacyReport(app.orm.em.fork(), config, range, { practiceId: option(rest, '--practice') ?? null })
    console.log(JSON.stringify({ from: range.from.toISOString(), to: range.to.toISOString(), categories: report }, null, 2))
    return 0
  } finally {
    await app.close()
    await embedded?.stop()
  }
}

main(process.argv.slice(2)).then(code => process.exit(code), err => {
  if (err instanceof ConfigError || err?.code === 'SZ_VALIDATION') console.error(err.message)
  else console.error(err)
  process.exit(1)
})
