import { transition, initialTransition } from 'xstate'
import { LockMode } from '@mikro-orm/core'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import type { FastifyBaseLogger } from 'fastify'
import { consultationMachine, MACHINE_VERSION, type LifecycleEvent, type LifecycleContext } from './machine.js'
import { nextDeadline, type DeadlineDurations } from './deadlines.js'
import type { Lifecycle, LifecycleEventType } from './events.js'
import type { Jobs } from '../jobs.js'
import type { RealtimeHub } from '../realtime/hub.js'
import { Consultation, type ConsultationState } from '../modules/consultation/consultation.entity.js'
import { Participant } from '../modules/join/participant.entity.js'
import { Invitation } from '../modules/join/invitation.entity.js'
import { errors } from '../errors.js'
import { recordDeletion } from '../privacy/deletion-log.js'

export const DEADLINE_QUEUE = 'lifecycle.deadline'
const PRIORITY_EPOCH = Date.UTC(2025, 0, 1)

/** The lifecycle event each state announces when it is entered. */
const ENTERED: Partial<Record<ConsultationState, LifecycleEventType>> = {
  waiting: 'consultation.waiting',
  live: 'consultation.live',
  ended: 'consultation.ended',
  cancelled: 'consultation.cancelled',
  purged: 'consultation.purged'
}

export interface ConsultationStatesDeps {
  orm: MikroORM
  jobs: Jobs
  lifecycle: Lifecycle
  realtime: RealtimeHub
  durations: DeadlineDurations
  log: FastifyBaseLogger
}

/**
 * Applies lifecycle events to consultation rows: computes the transition with xstate's pure API,
 * persists the snapshot, runs the named side effects, arms the next deadline as a job and emits
 * lifecycle and realtime events — all on the caller's transaction, with the row locked.
 */
export class ConsultationStates {
  constructor(private readonly deps: ConsultationStatesDeps) {}

  initialSnapshot(): Pick<Consultation, 'state' | 'snapshot' | 'machineVersion'> {
    const [snapshot] = initialTransition(consultationMachine)
    return { state: snapshot.value as ConsultationState, snapshot: consultationMachine.getPersistedSnapshot(snapshot) as any, machineVersion: MACHINE_VERSION }
  }

  /** Locks the consultation row for the rest of the transaction. */
  async lock(em: EntityManager, where: { id: string; practice?: string }): Promise<Consultation | null> {
    return await em.findOne(Consultation, where, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
  }

  /**
   * Applies `event` (if given), then every deadline that is already overdue, then arms the next one.
   * Throws SZ_INVALID_STATE when the event is not possible in the current state.
   */
  async apply(em: EntityManager, consultation: Consultation, event?: LifecycleEvent): Promise<void> {
    const armed = consultation.dueAt?.getTime()
    if (event && !(await this.step(em, consultation, event))) throw new errors.invalidTransition(consultation.state)
    for (let guard = 0; guard < 10; guard++) {
      const due = nextDeadline(consultation, this.deps.durations)
      if (!due || due.at.getTime() > Date.now()) break
      if (!(await this.step(em, consultation, { type: due.event }))) break
    }
    const due = nextDeadline(consultation, this.deps.durations)
    consultation.dueAt = due?.at ?? null
    if (due && due.at.getTime() !== armed) {
      // pg-boss hands out jobs by priority, then creation: the earliest deadline first when workers lag.
      const priority = -Math.floor((due.at.getTime() - PRIORITY_EPOCH) / 1000)
      await this.deps.jobs.send(
        DEADLINE_QUEUE,
        { consultationId: consultation.id },
        { em, startAfter: due.at, priority, retryLimit: 5, retryDelay: 1, retryBackoff: true }
      )
    }
  }

  /** Whether `event` is possible in the consultation's current state. */
  can(consultation: Consultation, event: LifecycleEvent): boolean {
    return this.restore(consultation).can(event)
  }

  private restore(consultation: Consultation) {
    const context = (consultation.snapshot as { context?: LifecycleContext }).context
    return consultationMachine.resolveState({ value: consultation.state, context: context ?? { noShow: false, endReason: null } })
  }

  private async step(em: EntityManager, c: Consultation, event: LifecycleEvent): Promise<boolean> {
    const current = this.restore(c)
    if (!current.can(event)) return false
    const [next, actions] = transition(consultationMachine, current, event)
    const before = c.state
    const now = new Date()
    c.state = next.value as ConsultationState
    c.snapshot = consultationMachine.getPersistedSnapshot(next) as any
    c.machineVersion = MACHINE_VERSION
    if (c.state === 'live' && !c.liveAt) c.liveAt = now
    if (c.state === 'ended') {
      c.endedAt = now
      c.noShow = next.context.noShow
      c.emptySince = null
    }
    if (c.state === 'cancelled') c.cancelledAt = now
    if (c.state === 'purged') c.purgedAt = now

    const record = c.state === 'ended' ? await this.sessionRecord(em, c, next.context) : {}
    for (const action of actions) {
      if (action.type === 'eraseWaitingRoomNames') await this.eraseWaitingRoomNames(em, c)
      if (action.type === 'purgeCallData') await this.purgeCallData(em, c)
    }
    if (c.state !== before || event.type === 'RESCHEDULE') {
      const type = ENTERED[c.state]
      if (type) await this.deps.lifecycle.emit(em, type, c, { state: c.state, previousState: before, ...record })
      await this.deps.realtime.publish(em, { practice: c.practice, consultation: c.id }, { type: 'consultation.state', consultationId: c.id, state: c.state })
    }
    return true
  }

  /** What practice software needs for documentation and billing — and nothing of the content. */
  private async sessionRecord(em: EntityManager, c: Consultation, context: LifecycleContext): Promise<Record<string, unknown>> {
    const admitted = await em.count(Participant, { consultation: c.id, admittedAt: { $ne: null } })
    return {
      noShow: context.noShow,
      endReason: context.endReason,
      actualStart: c.liveAt?.toISOString() ?? null,
      actualEnd: c.endedAt?.toISOString() ?? null,
      durationSeconds: c.liveAt && c.endedAt ? Math.round((c.endedAt.getTime() - c.liveAt.getTime()) / 1000) : 0,
      participantsAdmitted: admitted,
      clientAdmitted: admitted > 0
    }
  }

  /** Deletion table: waiting-room names are kept until the consultation ends. */
  private async eraseWaitingRoomNames(em: EntityManager, c: Consultation): Promise<void> {
    const erased = await em.nativeUpdate(Participant, { consultation: c.id, displayName: { $ne: null } }, { displayName: null })
    await recordDeletion(em, 'waiting-room-name', erased, c.practice)
  }

  /** Deletion table: invitations, tokens, participants and technical call data go at purge. */
  private async purgeCallData(em: EntityManager, c: Consultation): Promise<void> {
    const participants = await em.nativeDelete(Participant, { consultation: c.id })
    const invitations = await em.nativeDelete(Invitation, { consultation: c.id })
    await recordDeletion(em, 'call-data', participants + (c.media ? 1 : 0), c.practice)
    await recordDeletion(em, 'invitation', invitations, c.practice)
    c.media = null
    c.emptySince = null
  }

  /** Job handler: runs whatever deadlines of this consultation are due. Idempotent. */
  async runDeadlines(consultationId: string): Promise<void> {
    await this.deps.orm.em.fork().transactional(async (em: EntityManager) => {
      const consultation = await this.lock(em, { id: consultationId })
      if (consultation) await this.apply(em, consultation)
    })
  }

  /** Catches up with overdue deadlines (after downtime, or a job that failed for good). */
  async reconcile(batch = 500): Promise<number> {
    const em = this.deps.orm.em.fork()
    const overdue = await em.find(Consultation, { dueAt: { $lte: new Date() } }, { fields: ['id'], limit: batch, orderBy: { dueAt: 'asc' } })
    for (const { id } of overdue) {
      try {
        await this.runDeadlines(id)
      } catch (err) {
        this.deps.log.error({ err, consultationId: id }, 'overdue deadline failed')
      }
    }
    return overdue.length
  }
}
