import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { FastifyBaseLogger } from 'fastify'
import type { Jobs } from '../jobs.js'

export const LIFECYCLE_EVENTS = [
  'consultation.scheduled',
  'consultation.updated',
  'consultation.cancelled',
  'consultation.waiting',
  'consultation.live',
  'consultation.ended',
  'consultation.purged',
  'invitation.created',
  'participant.joined',
  'participant.admitted',
  'participant.left'
] as const
export type LifecycleEventType = (typeof LIFECYCLE_EVENTS)[number]

/**
 * What a lifecycle handler receives. It carries ids, states and times only — never names, e-mail
 * addresses or tokens — because the job queue keeps it for a while; handlers load what they need.
 */
export interface LifecycleNotice {
  id: string
  type: LifecycleEventType
  at: string
  practiceId: string
  consultationId: string
  data: Record<string, unknown>
}

export type LifecycleHandler = (notice: LifecycleNotice) => Promise<void>

/** Several notices of one transaction in one queued job (the batched waiting-room entrance). */
export interface LifecycleBatch {
  notices: LifecycleNotice[]
}
/** What a job of the lifecycle queue carries: one notice (`emit`) or a batch (`emitManyStatement`). */
export type LifecycleJob = LifecycleNotice | LifecycleBatch

/**
 * The one moment a join link exists in clear text is the transaction that creates it (only its hash
 * is stored). A plugin that must deliver the link (mail) gets it here and writes its own durable
 * outbox entry on the same transaction.
 */
export interface InvitationIssued {
  consultation: { id: string; practice: string; provider: string; title: string; startAt: Date; endAt: Date }
  invitation: { id: string; email: string; name?: string | null; locale?: string | null }
  joinUrl: string
}
export type InvitationHandler = (em: EntityManager, issued: InvitationIssued) => Promise<void>

type Locale = 'de' | 'en'

/**
 * What happens to accounts, each delivered to handlers INSIDE the transaction that makes it happen, so
 * that a plugin's mail exists exactly when the change commits. Ids only: handlers load the rest.
 */
export interface AccountEvents {
  /** A new account; `verificationId` is the link that proves its address (the welcome mail carries it). */
  registered: { userId: string; kind: 'provider' | 'client'; verificationId: string; locale?: Locale }
  /** Someone tried to register an address that has an account: its owner hears of it (at most hourly). */
  registrationAttempted: { userId: string; locale?: Locale }
  /** A new link to prove an address: a resend (`register`) or a new address waiting to replace the old one (`change`). */
  verificationIssued: { userId: string; verificationId: string; purpose: 'register' | 'change'; locale?: Locale }
  /** The address was proven (by a verification link or a password reset mailed to it): held mails may go. */
  emailVerified: { userId: string }
  /** The address changed; `undoId` is the link, mailed to the OLD address (kept in that row), that takes it back. */
  emailChanged: { userId: string; undoId: string; locale?: Locale }
  /** Failed sign-ins for the account's address reached the backoff: its owner is told (at most daily). */
  signInsSlowed: { userId: string; locale?: Locale }
  /** A practice admin (or the operator) added a provider: `resetId` is the link, mailed to the invitee, that sets a password. */
  providerInvited: { userId: string; invitedBy: string; practiceId: string; resetId: string; locale?: Locale }
  /** Someone asked for a new password: `resetId` is the link, mailed to the account's address, that sets one. */
  passwordResetRequested: { userId: string; resetId: string; locale?: Locale }
}
export type AccountEvent = keyof AccountEvents
export type AccountHandler<E extends AccountEvent> = (em: EntityManager, event: AccountEvents[E]) => Promise<void>
/** Names for the payloads that plugins written against the first contract import. */
export type AccountRegistered = AccountEvents['registered']
export type EmailChanged = AccountEvents['emailChanged']
export type ProviderInvited = AccountEvents['providerInvited']

export const LIFECYCLE_QUEUE = 'lifecycle.event'

let lastMs = 0
let sequence = 0
/**
 * A UUIDv7 that increases within this process. pg-boss hands out jobs by (created_on, id), and
 * created_on is the transaction's start time, so notices of one transaction keep their order by id.
 */
export function orderedId(): string {
  const now = Date.now()
  // Past 4096 ids in one millisecond (or when the clock steps back), borrow from the next millisecond.
  if (now > lastMs) {
    lastMs = now
    sequence = 0
  } else if (++sequence > 0x0fff) {
    lastMs++
    sequence = 0
  }
  // randomUUID draws from a cached pool of entropy (randomBytes asks OpenSSL every time);
  // its variant bits are already v7's, so only the time and the version with the sequence are set.
  const random = randomUUID()
  const time = lastMs.toString(16).padStart(12, '0')
  const versionAndSequence = (0x7000 | sequence).toString(16)
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-${versionAndSequence}${random.slice(18)}`
}

const NOTICE_RETRIES = { retryLimit: 10, retryDelay: 5, retryBackoff: true }

/**
 * The plugin contract's `app.lifecycle`. `emit` enqueues the notice on the caller's transaction, so
 * handlers run only after the change commits, and at least once even across a crash or restart.
 * Handlers must therefore be idempotent (the notice id helps).
 */
export class Lifecycle {
  private readonly handlers = new Map<LifecycleEventType, LifecycleHandler[]>()
  private readonly invitationHandlers: InvitationHandler[] = []
  private readonly accountHandlers = new Map<AccountEvent, Array<AccountHandler<any>>>()

  constructor(
    private readonly jobs: Jobs,
    private readonly log: FastifyBaseLogger
  ) {}

  on(type: LifecycleEventType, handler: LifecycleHandler): void {
    if (!LIFECYCLE_EVENTS.includes(type)) throw new Error(`lifecycle.on: unknown event "${type}"`)
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler])
  }

  /** Runs inside the transaction that issues a join link; see InvitationIssued. */
  onInvitationIssued(handler: InvitationHandler): void {
    this.invitationHandlers.push(handler)
  }

  async invitationIssued(em: EntityManager, issued: InvitationIssued): Promise<void> {
    for (const handler of this.invitationHandlers) await handler(em, issued)
    await this.emit(em, 'invitation.created', issued.consultation, { invitationId: issued.invitation.id })
  }

  /** Runs `handler` inside every transaction that causes account event `event` (see AccountEvents). */
  onAccount<E extends AccountEvent>(event: E, handler: AccountHandler<E>): void {
    this.accountHandlers.set(event, [...(this.accountHandlers.get(event) ?? []), handler])
  }

  async account<E extends AccountEvent>(em: EntityManager, event: E, payload: AccountEvents[E]): Promise<void> {
    for (const handler of this.accountHandlers.get(event) ?? []) await handler(em, payload)
  }

  async emit(em: EntityManager, type: LifecycleEventType, consultation: { id: string; practice: string }, data: Record<string, unknown> = {}): Promise<void> {
    const notice = this.notice(type, consultation, data)
    await this.jobs.send(LIFECYCLE_QUEUE, notice, { em, id: notice.id, ...NOTICE_RETRIES })
  }

  /**
   * The notices `emit` would write for each of `events`, as one insert of ONE job that carries them all
   * (`LifecycleBatch`), for a larger statement (`jobs.insertStatement`, placeholders from `$first`); the
   * caller runs it on the transaction of the change they report. One job per batch instead of one per
   * notice: pg-boss writes each job four times (insert, fetch, complete, archive), and its fetch sorts
   * every queued job, which made the notices the largest cost of a busy waiting room.
   */
  emitManyStatement(
    type: LifecycleEventType,
    events: Array<{ consultation: { id: string; practice: string }; data?: Record<string, unknown> }>,
    first: number
  ): { sql: string; values: unknown[] } {
    const id = orderedId()
    const batch: LifecycleBatch = { notices: events.map(({ consultation, data }) => this.notice(type, consultation, data)) }
    return this.jobs.insertStatement(LIFECYCLE_QUEUE, [{ id, data: batch, ...NOTICE_RETRIES }], first)
  }

  private notice(type: LifecycleEventType, consultation: { id: string; practice: string }, data: Record<string, unknown> = {}): LifecycleNotice {
    return { id: orderedId(), type, at: new Date().toISOString(), practiceId: consultation.practice, consultationId: consultation.id, data }
  }

  /**
   * Runs the handlers of one queued job's notices, in order. Every notice of a batch is tried; if any
   * failed, the job fails and pg-boss retries it whole, which handlers tolerate because they are idempotent.
   */
  async dispatch(job: LifecycleJob): Promise<void> {
    const notices = 'notices' in job ? job.notices : [job]
    const failures: unknown[] = []
    for (const notice of notices) {
      const handlers = this.handlers.get(notice.type) ?? []
      try {
        for (const handler of handlers) await handler(notice)
      } catch (err) {
        failures.push(err)
        continue
      }
      this.log.debug({ event: notice.type, consultationId: notice.consultationId, handlers: handlers.length }, 'lifecycle event dispatched')
    }
    if (failures.length === 1) throw failures[0]
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} of ${notices.length} lifecycle notices failed`)
  }
}
