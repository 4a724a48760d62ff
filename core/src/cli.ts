import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { Errors } from 'typebox/value'
import { loadConfig, ConfigError } from './config.js'
import { buildApp, type App } from './app.js'
import { Practice, standingOf } from './modules/practice/practice.entity.js'
import { RegisterBody } from './modules/account/schemas.js'
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded.js'
import { loggerOptions } from './http/logging.js'
import { User } from './modules/account/user.entity.js'
import { reportRange } from './modules/deletion/routes.js'
import { privacyReport } from './privacy/report.js'
import { trailPeriod } from './modules/audit/trail.js'
import type { EntityManager } from '@mikro-orm/postgresql'

const USAGE = `Usage: npm run cli -- <command>
  practices [list]                             every practice: id, name, standing, providers, created
  practices approve|suspend|resume <id>        approve a practice (SZ_REGISTRATION=approval), suspend it, or lift a suspension
  practices create <file.json>                 create a practice (also when SZ_REGISTRATION=closed): the file is the body of
                                               POST /api/auth/register without password; the admin gets a link to set one
  delete-account <email>                       delete an account as POST /api/me/deletion does (Art. 17 GDPR)
  privacy-report [--from ISO] [--to ISO] [--practice <id>]
                                               per deletion-table category: deadline, deleted in the period, oldest item held
  security-events [--practice <id>] [--from ISO] [--to ISO] [--json]
                                               the security audit trail, newest first, one JSON object a line
                                               (--json: one JSON array); ids, times, cut networks and codes only`

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  if (i < 0) return undefined
  const value = args[i + 1]
  if (!value || value.startsWith('--')) throw new ConfigError(`${name} needs a value`)
  return value
}

/** The operator's view of the practices, and approval, suspension and creation (SZ_REGISTRATION). */
async function practices(app: App, [action = 'list', arg]: string[]): Promise<number> {
  const em = app.orm.em.fork()
  if (action === 'list') {
    const rows = await em.execute<
      Array<{ id: string; name: string; approved_at: Date | null; suspended_at: Date | null; created_at: Date; providers: number }>
    >(
      `select p.id, p.name, p.approved_at, p.suspended_at, p.created_at, (select count(*)::int from app_user u where u.practice_id = p.id) as providers
         from practice p order by p.created_at`
    )
    console.log(
      JSON.stringify(
        rows.map(r => ({
          id: r.id,
          name: r.name,
          standing: standingOf({ approvedAt: r.approved_at, suspendedAt: r.suspended_at }),
          providers: r.providers,
          createdAt: new Date(r.created_at).toISOString()
        })),
        null,
        2
      )
    )
    return 0
  }
  if (action === 'create') {
    if (!arg) {
      console.error(USAGE)
      return 2
    }
    const body = { ...JSON.parse(readFileSync(arg, 'utf8')), kind: 'provider', password: randomBytes(32).toString('base64url') }
    const errors = Errors(RegisterBody, body).map(e => `${e.instancePath || '/'} ${e.message}`)
    if (errors.length) {
      console.error(`${arg}: ${errors.slice(0, 5).join('; ')}`)
      return 1
    }
    const created = await em.transactional(async (tx: EntityManager) => await app.accounts.createPractice(tx, body))
    if (!created) {
      console.error('An account with this e-mail address exists already.')
      return 1
    }
    console.log(JSON.stringify({ created: true, ...created, note: 'the administrator gets a mail with a link to set a password (with the mail plugin)' }))
    return 0
  }
  if (!['approve', 'suspend', 'resume'].includes(action) || !arg || !/^[0-9a-f-]{36}$/i.test(arg)) {
    console.error(USAGE)
    return 2
  }
  const change = action === 'approve' ? { approvedAt: new Date() } : action === 'suspend' ? { suspendedAt: new Date() } : { suspendedAt: null }
  const kind = action === 'approve' ? 'practice-approved' : action === 'suspend' ? 'practice-suspended' : 'practice-resumed'
  const updated = await em.transactional(async (tx: EntityManager) => {
    const updated = await tx.nativeUpdate(Practice, { id: arg, ...(action === 'approve' ? { approvedAt: null } : {}) }, change)
    // Suspension ends every session of the practice at once, not only at the next request.
    if (action === 'suspend') await tx.execute('delete from server_session where user_id in (select id from app_user where practice_id = ?)', [arg])
    // The operator acts without an account: no user, no actor, no network.
    if (updated) await app.audit.record(tx, { kind, practiceId: arg })
    return updated
  })
  const practice = await em.findOne(Practice, { id: arg })
  if (!practice) {
    console.error('No practice with this id.')
    return 1
  }
  console.log(JSON.stringify({ id: practice.id, standing: standingOf(practice), changed: updated > 0 }))
  return 0
}

/** The operator reads the whole security audit trail (or one practice's). */
async function securityEvents(app: App, args: string[]): Promise<number> {
  const practiceId = option(args, '--practice')
  if (practiceId && !/^[0-9a-f-]{36}$/i.test(practiceId)) {
    console.error('--practice needs a practice id')
    return 2
  }
  const period = trailPeriod(option(args, '--from'), option(args, '--to'))
  const events = await app.audit.list(app.orm.em.fork(), { practiceId, ...period })
  if (args.includes('--json')) console.log(JSON.stringify(events, null, 2))
  else for (const event of events) console.log(JSON.stringify(event))
  return 0
}

/** Operator commands on the configured database (the same environment as the server). */
async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args
  if (command === '--help' || command === 'help') {
    console.log(USAGE)
    return 0
  }
  if (!['delete-account', 'privacy-report', 'practices', 'security-events'].includes(command)) {
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
    if (command === 'practices') return await practices(app, rest)
    if (command === 'delete-account') {
      const email = rest[0]?.toLowerCase()
      if (!email) {
        console.error(USAGE)
        return 2
      }
      const user = await app.orm.em.fork().findOne(User, { email })
      if (!user) {
        console.error('No account with this e-mail address.')
        return 1
      }
      await app.orm.em.fork().transactional(async (em: EntityManager) => {
        await app.accountErasure.request(em, user.id)
      })
      console.log(
        JSON.stringify({
          deleted: true,
          userId: user.id,
          note: 'sessions revoked, data anonymised; the erasure job removes the rows once the consultations are purged'
        })
      )
      return 0
    }
    if (command === 'security-events') return await securityEvents(app, rest)
    const range = reportRange(option(rest, '--from'), option(rest, '--to'))
    const report = await privacyReport(app.orm.em.fork(), config, range, { practiceId: option(rest, '--practice') ?? null })
    console.log(JSON.stringify({ from: range.from.toISOString(), to: range.to.toISOString(), categories: report }, null, 2))
    return 0
  } finally {
    await app.close()
    await embedded?.stop()
  }
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  err => {
    if (err instanceof ConfigError || err?.code === 'SZ_VALIDATION') console.error(err.message)
    else console.error(err)
    process.exit(1)
  }
)
