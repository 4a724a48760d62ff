import fp from 'fastify-plugin'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'
import { cutIp } from '../../privacy/ip-cut.js'
import { recordDeletion } from '../../privacy/deletion-log.js'
import type { SecurityEventKind } from './security-event.entity.js'

export const AUDIT_CLEANUP_QUEUE = 'privacy.security-events'

export interface SecurityEventInput {
  kind: SecurityEventKind
  /** The account concerned; none for a failed sign-in of an address without an account, or the operator's practice commands. */
  userId?: string | null
  /** The practice whose admins may read the entry; left out, it is the user's practice (null for none). */
  practiceId?: string | null
  /** Who did it, when that is not the user (the admin who changed a colleague's role). */
  actorId?: string | null
}

/** Where a request came from; a FastifyRequest is one. Only the cut network of `ip` is kept. */
export interface Origin {
  ip: string
}

export interface SecurityEventView {
  id: string
  at: string
  kind: SecurityEventKind
  userId: string | null
  practiceId: string | null
  actorId: string | null
  network: string | null
}

/** The period asked for; either end open. A `from` after `to` is a mistake, answered 400 SZ_VALIDATION. */
export function trailPeriod(from?: string, to?: string): { from?: Date; to?: Date } {
  const period = { from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined }
  if (Number.isNaN(period.from?.getTime()) || Number.isNaN(period.to?.getTime())) throw new errors.validation('from and to must be ISO 8601 times')
  if (period.from && period.to && period.from > period.to) throw new errors.validation('from must not be after to')
  return period
}

export interface TrailQuery {
  practiceId?: string
  from?: Date
  to?: Date
  limit?: number
}

interface Row {
  id: string
  at: Date
  kind: SecurityEventKind
  user_id: string | null
  practice_id: string | null
  actor_id: string | null
  network: string | null
}

/**
 * The security audit trail (deletion table: `security-events`). Entries are written on the caller's
 * transaction, so an entry exists exactly when what it records committed; the hourly job deletes
 * those older than SZ_AUDIT_KEEP. Plugins write through `app.audit.record`, never into the table.
 */
export class SecurityTrail {
  constructor(private readonly keep: number) {}

  async record(em: EntityManager, event: SecurityEventInput, origin?: Origin): Promise<void> {
    const network = origin ? cutIp(origin.ip) : null
    const userId = event.userId ?? null
    // The practice of the user, read in the same statement, unless the caller says which.
    const practice = event.practiceId !== undefined || !userId ? '?' : '(select practice_id from app_user where id = ?)'
    await em
      .getConnection()
      .execute(
        `insert into security_event (at, user_id, practice_id, actor_id, kind, network) values (?, ?, ${practice}, ?, ?, ?)`,
        [new Date(), userId, event.practiceId !== undefined ? event.practiceId : userId, event.actorId ?? null, event.kind, network],
        'run',
        em.getTransactionContext()
      )
  }

  /** Entries newest first, of one practice or (for the operator) all. */
  async list(em: EntityManager, query: TrailQuery = {}): Promise<SecurityEventView[]> {
    const where: string[] = []
    const params: unknown[] = []
    if (query.practiceId) {
      where.push('practice_id = ?')
      params.push(query.practiceId)
    }
    if (query.from) {
      where.push('at >= ?')
      params.push(query.from)
    }
    if (query.to) {
      where.push('at < ?')
      params.push(query.to)
    }
    const limit = query.limit ? ` limit ${Math.floor(query.limit)}` : ''
    const rows = await em.getConnection().execute<Row[]>(
      `select id, at, kind, user_id, practice_id, actor_id, network from security_event
        ${where.length ? 'where ' + where.join(' and ') : ''} order by at desc, id desc${limit}`,
      params,
      'all',
      em.getTransactionContext()
    )
    return rows.map(r => ({
      id: String(r.id),
      at: new Date(r.at).toISOString(),
      kind: r.kind,
      userId: r.user_id,
      practiceId: r.practice_id,
      actorId: r.actor_id,
      network: r.network
    }))
  }

  /** Deletes the entries older than SZ_AUDIT_KEEP and writes the deletion log per practice; returns how many. */
  async deleteExpired(em: EntityManager): Promise<number> {
    const rows = await em.getConnection().execute<Array<{ practice_id: string | null; n: number }>>(
      `with gone as (delete from security_event where at < ? returning practice_id)
       select practice_id, count(*)::int as n from gone group by practice_id`,
      [new Date(Date.now() - this.keep)],
      'all',
      em.getTransactionContext()
    )
    for (const row of rows) await recordDeletion(em, 'security-events', row.n, row.practice_id)
    return rows.reduce((sum, row) => sum + row.n, 0)
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The security audit trail; see SecurityTrail. */
    audit: SecurityTrail
  }
}

export async function deleteExpiredEvents(orm: MikroORM, trail: SecurityTrail): Promise<number> {
  return await orm.em.fork().transactional(async (em: EntityManager) => await trail.deleteExpired(em))
}

/** Provides `app.audit` and the hourly job that deletes entries past SZ_AUDIT_KEEP. */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    const trail = new SecurityTrail(config.auditKeep)
    app.decorate('audit', trail)
    await app.jobs.createQueue(AUDIT_CLEANUP_QUEUE, { policy: 'short' })
    app.addHook('onReady', async () => {
      await app.jobs.work(AUDIT_CLEANUP_QUEUE, {}, async () => {
        await deleteExpiredEvents(app.orm, trail)
      })
      await app.jobs.schedule(AUDIT_CLEANUP_QUEUE, '41 * * * *')
    })
  },
  { fastify: '5.x', name: '@sprechzimmer/audit', dependencies: ['@sprechzimmer/runtime'] }
)
