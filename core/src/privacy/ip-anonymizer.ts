import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import type { FastifyRequest } from 'fastify'
import { sqlOn, type Jobs, type SqlRunner } from '../jobs.js'
import { AccessRecord, type AccessKind } from '../modules/access/access-record.entity.js'
import { recordDeletion } from './deletion-log.js'

export const IP_QUEUE = 'privacy.cut-ips'

/** Fastify reports IPv4 clients of a dual-stack socket as `::ffff:a.b.c.d`; store them as IPv4. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

export function accessRow(kind: AccessKind, request: FastifyRequest) {
  return { kind, ip: normalizeIp(request.ip), userAgent: request.headers['user-agent']?.slice(0, 300) ?? null, at: new Date(), anonymized: false }
}

/**
 * Keeps the access records of the deletion table: time, user agent and IP, with the IP cut to its
 * first two octets (IPv6: /32) after SZ_IP_ANONYMIZE_AFTER. One queued job at a time (pg-boss
 * `short` policy) stands for all records due; when it runs it re-arms itself for the oldest left.
 */
export class IpAnonymizer {
  /** When this process last queued the job; see `record`. */
  private armedAt = 0

  constructor(
    private readonly orm: MikroORM,
    private readonly jobs: Jobs,
    private readonly after: number
  ) {}

  async record(em: EntityManager, kind: AccessKind, request: FastifyRequest): Promise<void> {
    em.create(AccessRecord, accessRow(kind, request))
    await this.armSoon(sqlOn(em))
  }

  /** Arms the cut for records written by the caller on the transaction that `db` runs in (the batched waiting-room entrance). */
  async armSoon(db: SqlRunner): Promise<void> {
    // A job queued in the last second is due earlier than this record and re-arms itself for the
    // records left, so one insert a second is enough; the minute sweep catches a broken chain.
    if (Date.now() - this.armedAt < 1000) return
    await this.arm(db, new Date(Date.now() + this.after))
    this.armedAt = Date.now()
  }

  private async arm(db: SqlRunner | undefined, at: Date): Promise<void> {
    await this.jobs.send(IP_QUEUE, {}, { db, singletonKey: 'cut-ips', startAfter: at, retryLimit: 5, retryDelay: 5, retryBackoff: true })
  }

  /** Cuts every IP that is due, then arms the job for the next record that will be. Idempotent. */
  async run(): Promise<number> {
    const em = this.orm.em.fork()
    const cutoff = new Date(Date.now() - this.after)
    const cut = await em.transactional(async (tx: EntityManager) => {
      const result = await tx.getConnection().execute(
        `UPDATE access_record
            SET ip = host(network(set_masklen(ip::inet, CASE WHEN family(ip::inet) = 4 THEN 16 ELSE 32 END))), anonymized = true
          WHERE NOT anonymized AND at <= ?`,
        [cutoff],
        'run',
        tx.getTransactionContext()
      )
      await recordDeletion(tx, 'access-ip', (result as { affectedRows?: number }).affectedRows ?? 0)
      return result
    })
    const next = await em.findOne(AccessRecord, { anonymized: false }, { orderBy: { at: 'asc' }, fields: ['at'] })
    if (next) await this.arm(undefined, new Date(next.at.getTime() + this.after))
    return (cut as { affectedRows?: number }).affectedRows ?? 0
  }
}
