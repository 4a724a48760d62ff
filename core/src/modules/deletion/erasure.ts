import { randomBytes } from 'node:crypto'
import { LockMode } from '@mikro-orm/core'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import type { FastifyBaseLogger } from 'fastify'
import type { Jobs } from '../../jobs.js'
import type { ConsultationStates } from '../../lifecycle/service.js'
import { recordDeletion } from '../../privacy/deletion-log.js'
import { User } from '../account/user.entity.js'
import { Practice } from '../practice/practice.entity.js'
import { EmailVerification } from '../account/email-verification.entity.js'
import { ServerSession } from '../session/session.entity.js'
import { Consultation } from '../consultation/consultation.entity.js'
import { AccountErasure } from './deletion.entity.js'
import type { Origin, SecurityTrail } from '../audit/trail.js'

export const ERASURE_QUEUE = 'privacy.erase-account'
export const ERASURE_SWEEP_QUEUE = 'privacy.erase-sweep'

/** An erased account's e-mail: unique, undeliverable (RFC 2606 `.invalid`), and no one's address. */
export const erasedEmail = (userId: string) => `deleted-${userId}@invalid`

export interface ErasureDeps {
  orm: MikroORM
  jobs: Jobs
  lifecycle: ConsultationStates
  log: FastifyBaseLogger
  audit: SecurityTrail
}

/**
 * Account deletion (Art. 17 GDPR) in two steps, both durable:
 * 1. `request`, on one transaction: sessions revoked, the user row anonymised (names, e-mail,
 *    password), the practice's bank details erased if this was its last provider, every future
 *    consultation cancelled through the lifecycle (so clients get the normal cancellation mail) and
 *    an erasure job queued.
 * 2. the job (`complete`): once every consultation concerned is purged — their mails are out or
 *    dropped by then, and mail jobs hold ids only — the user row goes (and with it, by ON DELETE
 *    CASCADE, everything that references it); the last provider takes the practice along.
 * See docs/adr/0003-account-deletion.md.
 */
export class AccountErasureService {
  private readonly requestedHandlers: Array<(em: EntityManager, userId: string) => Promise<void>> = []

  constructor(private readonly deps: ErasureDeps) {}

  /**
   * Lets another module erase what it holds of the account at once, on the request's transaction
   * (e.g. the profile picture); rows that reference app_user go anyway when the job deletes it.
   */
  onRequested(handler: (em: EntityManager, userId: string) => Promise<void>): void {
    this.requestedHandlers.push(handler)
  }

  /** Starts the deletion of `userId` on the caller's transaction. Idempotent. `origin`: the owner's request (none from the CLI). */
  async request(em: EntityManager, userId: string, origin?: Origin): Promise<void> {
    const user = await em.findOne(User, { id: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
    if (!user || (await em.count(AccountErasure, { user: userId }))) return
    let lastOfPractice: string | null = null
    if (user.practice) {
      // Other providers of the practice, oldest first, not themselves on their way out.
      const others = await em.getConnection().execute<Array<{ id: string; is_practice_admin: boolean }>>(
        `select u.id, u.is_practice_admin from app_user u
          where u.practice_id = ? and u.id <> ? and not exists (select 1 from account_erasure e where e.user_id = u.id)
          order by u.created_at, u.id for update of u`,
        [user.practice, user.id],
        'all',
        em.getTransactionContext()
      )
      if (others.length === 0) {
        lastOfPractice = user.practice
        await em.nativeUpdate(Practice, { id: user.practice }, { iban: '', bic: null, accountHolder: '' })
      } else if (user.isPracticeAdmin && !others.some(o => o.is_practice_admin)) {
        // A practice must keep an administrator: the longest-standing provider becomes one.
        await em.nativeUpdate(User, { id: others[0].id }, { isPracticeAdmin: true })
        await this.deps.audit.record(em, { kind: 'role-changed', userId: others[0].id, practiceId: user.practice, actorId: null })
      }
    }
    const sessions = await em.nativeDelete(ServerSession, { user: user.id })
    await recordDeletion(em, 'session', sessions, user.practice ?? null)
    // Links hold addresses (an undo link the old one): they go with the account, not at their expiry.
    await recordDeletion(em, 'email-verification', await em.nativeDelete(EmailVerification, { user: user.id }), user.practice ?? null)
    await em.nativeUpdate(
      User,
      { id: user.id },
      {
        email: erasedEmail(user.id),
        passwordHash: `erased$${randomBytes(32).toString('base64url')}`,
        salutation: null,
        title: null,
        firstName: '',
        lastName: '—',
        isPracticeAdmin: false
      }
    )
    em.create(AccountErasure, { user: user.id, practiceId: lastOfPractice, requestedAt: new Date() })
    // The id stays in the trail after the row is gone: it then identifies nobody (ADR 0009).
    await this.deps.audit.record(em, { kind: 'account-deleted', userId: user.id, practiceId: user.practice ?? null }, origin)
    await em.flush()
    for (const handler of this.requestedHandlers) await handler(em, user.id)
    await this.settle(em, user.id, lastOfPractice)
    await this.deps.jobs.send(ERASURE_QUEUE, { userId: user.id }, { em, singletonKey: `erase-${user.id}`, retryLimit: 10, retryDelay: 5, retryBackoff: true })
  }

  /** Ends what is running and cancels what is planned; returns the consultations not yet purged. */
  private async settle(em: EntityManager, userId: string, practiceId: string | null): Promise<Consultation[]> {
    const where = practiceId ? { practice: practiceId } : { provider: userId }
    const open = await em.find(Consultation, { ...where, state: { $ne: 'purged' } }, { fields: ['id'], orderBy: { startAt: 'asc' } })
    const pending: Consultation[] = []
    for (const { id } of open) {
      const c = await this.deps.lifecycle.lock(em, { id })
      if (!c) continue
      await this.deps.lifecycle.apply(em, c)
      if (this.deps.lifecycle.can(c, { type: 'CANCEL' })) await this.deps.lifecycle.apply(em, c, { type: 'CANCEL' })
      else if (this.deps.lifecycle.can(c, { type: 'END' })) await this.deps.lifecycle.apply(em, c, { type: 'END' })
      if (c.state !== 'purged') pending.push(c)
    }
    await em.flush()
    return pending
  }

  /**
   * Job handler: deletes the account once its consultations are purged; otherwise re-arms itself
   * for just after the last purge is due. Idempotent: a second run finds no erasure row.
   */
  async complete(userId: string): Promise<'erased' | 'waiting' | 'gone'> {
    return await this.deps.orm.em.fork().transactional(async (em: EntityManager) => {
      const erasure = await em.findOne(AccountErasure, { user: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
      if (!erasure) return 'gone'
      const user = await em.findOne(User, { id: userId })
      if (!user) return 'gone'
      const pending = await this.settle(em, userId, erasure.practiceId ?? null)
      if (pending.length) {
        const last = Math.max(...pending.map(c => c.dueAt?.getTime() ?? Date.now()))
        await this.deps.jobs.send(
          ERASURE_QUEUE,
          { userId },
          { em, startAfter: new Date(Math.max(last, Date.now()) + 1000), retryLimit: 10, retryDelay: 5, retryBackoff: true }
        )
        return 'waiting'
      }
      const practiceId = user.practice ?? null
      if (erasure.practiceId) {
        // Nobody joined the practice since (only an admin could have added them, and there was none left)?
        const staying = await em.getConnection().execute<Array<{ n: string }>>(
          `select count(*) as n from app_user u where u.practice_id = ? and u.id <> ?
              and not exists (select 1 from account_erasure e where e.user_id = u.id)`,
          [erasure.practiceId, userId],
          'all',
          em.getTransactionContext()
        )
        if (Number(staying[0].n) === 0) {
          const accounts = await em.count(User, { practice: erasure.practiceId })
          // The practice takes every account, consultation and setting of it along (ON DELETE CASCADE).
          const gone = await em.getConnection().execute('delete from practice where id = ?', [erasure.practiceId], 'run', em.getTransactionContext())
          await recordDeletion(em, 'practice', (gone as { affectedRows?: number }).affectedRows ?? 0, erasure.practiceId)
          await recordDeletion(em, 'provider-account', accounts, erasure.practiceId)
          return 'erased'
        }
      }
      await em.getConnection().execute('delete from app_user where id = ?', [userId], 'run', em.getTransactionContext())
      await recordDeletion(em, user.kind === 'provider' ? 'provider-account' : 'client-account', 1, practiceId)
      return 'erased'
    })
  }

  /** Catches erasures whose job was lost; the job's own checks make a second run harmless. */
  async reconcile(): Promise<number> {
    const pending = await this.deps.orm.em.fork().find(AccountErasure, {}, { fields: ['user'], limit: 200, orderBy: { requestedAt: 'asc' } })
    let erased = 0
    for (const { user } of pending) {
      try {
        if ((await this.complete(user)) === 'erased') erased++
      } catch (err) {
        this.deps.log.error({ err }, 'account erasure failed')
      }
    }
    return erased
  }
}
