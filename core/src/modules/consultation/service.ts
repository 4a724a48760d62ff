import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { FastifyInstance } from 'fastify'
import { Consultation } from './consultation.entity.js'
import { Invitation } from '../join/invitation.entity.js'
import { errors } from '../../errors.js'
import { hashToken } from '../../secrets.js'
import { checkInvitationQuota } from './quotas.js'

const MAX_DURATION = 24 * 3_600_000

/** Checks an appointment's times: valid, end after start, not over, at most a day long. */
export function checkTimes(start: string | Date, end: string | Date): { startAt: Date; endAt: Date } {
  const startAt = new Date(start)
  const endAt = new Date(end)
  if (Number.isNaN(startAt.getTime()) || Number.isNaN(endAt.getTime())) throw new errors.validation('start and end must be ISO 8601 times with an offset')
  if (endAt <= startAt) throw new errors.validation('end must be after start')
  if (endAt.getTime() - startAt.getTime() > MAX_DURATION) throw new errors.validation('a consultation lasts at most 24 hours')
  if (endAt.getTime() <= Date.now()) throw new errors.validation('end must be in the future')
  return { startAt, endAt }
}

export interface InvitationInput {
  email: string
  name?: string
  locale?: string
}
export interface IssuedInvitation {
  id: string
  email: string
  joinUrl: string
}

export interface ScheduleInput {
  /** Set by callers that must know the id before the consultation exists (the REST adapter's externalId claim). */
  id?: string
  practice: string
  provider: string
  title: string
  start: string | Date
  end: string | Date
  invitees: InvitationInput[]
}

export interface ConsultationChange {
  title?: string
  start?: string | Date
  end?: string | Date
}

/** Loads a consultation of the caller's practice, locked for the transaction; other practices get 404. */
export async function lockOwned(app: FastifyInstance, em: EntityManager, id: string, practice: string): Promise<Consultation> {
  const consultation = await app.consultationStates.lock(em, { id, practice })
  if (!consultation) throw new errors.notFound('Consultation')
  return consultation
}

/**
 * The consultation use cases, written once for every caller: the portal's routes, the practice API
 * and the calendar import are translations into these. Each runs in the caller's transaction, on a
 * consultation the caller locked (`lockOwned`), and first applies any deadline that is due, so that
 * it acts on the state the consultation has now.
 */
export class ConsultationService {
  constructor(private readonly app: FastifyInstance) {}

  /** A new consultation with one invitation (and join link) per invitee; mails go out through the outbox. */
  async schedule(em: EntityManager, input: ScheduleInput): Promise<{ consultation: Consultation; invitations: IssuedInvitation[] }> {
    const { lifecycle, consultationStates } = this.app
    const { startAt, endAt } = checkTimes(input.start, input.end)
    const consultation = em.create(Consultation, {
      id: input.id ?? randomUUID(),
      practice: input.practice,
      provider: input.provider,
      title: input.title,
      startAt,
      endAt,
      ...consultationStates.initialSnapshot()
    })
    await lifecycle.emit(em, 'consultation.scheduled', consultation)
    const invitations = []
    for (const invitee of input.invitees) invitations.push(await this.issue(em, consultation, invitee))
    await em.flush()
    await consultationStates.apply(em, consultation)
    await em.flush()
    return { consultation, invitations }
  }

  /**
   * Renames and moves a consultation. Moving is possible until the call starts; `moved` is true when
   * the times changed. Listeners hear `consultation.updated` either way.
   */
  async change(em: EntityManager, c: Consultation, change: ConsultationChange): Promise<{ moved: boolean }> {
    const { consultationStates } = this.app
    if (c.state === 'purged') throw new errors.invalidTransition(c.state)
    await consultationStates.apply(em, c)
    if (change.title !== undefined) c.title = change.title
    const times = change.start !== undefined || change.end !== undefined ? checkTimes(change.start ?? c.startAt, change.end ?? c.endAt) : null
    const moved = times !== null && (times.startAt.getTime() !== c.startAt.getTime() || times.endAt.getTime() !== c.endAt.getTime())
    if (moved) {
      if (!consultationStates.can(c, { type: 'RESCHEDULE' })) throw new errors.invalidTransition(c.state)
      Object.assign(c, times)
      await consultationStates.apply(em, c, { type: 'RESCHEDULE' })
    }
    await this.app.lifecycle.emit(em, 'consultation.updated', c, { rescheduled: moved })
    return { moved }
  }

  /** Cancels a consultation whose call has not started; says what it found when it could not. */
  async cancel(em: EntityManager, c: Consultation): Promise<'cancelled' | 'cancelled already' | 'too late'> {
    const { consultationStates } = this.app
    await consultationStates.apply(em, c)
    if (c.state === 'cancelled') return 'cancelled already'
    if (!consultationStates.can(c, { type: 'CANCEL' })) return 'too late'
    await consultationStates.apply(em, c, { type: 'CANCEL' })
    return 'cancelled'
  }

  /** Ends the call (or closes the waiting room); SZ_INVALID_STATE when there is nothing to end. */
  async end(em: EntityManager, c: Consultation): Promise<void> {
    await this.app.consultationStates.apply(em, c)
    await this.app.consultationStates.apply(em, c, { type: 'END' })
  }

  /**
   * Records that the client did not come: possible while nobody was ever admitted. A waiting room
   * past its start is closed (its `consultation.ended` notice then reads as a no-show); an ended one is
   * marked and announced by `consultation.updated`. Marking twice changes nothing.
   */
  async noShow(em: EntityManager, c: Consultation): Promise<void> {
    const { consultationStates } = this.app
    if (c.state !== 'purged') await consultationStates.apply(em, c)
    if (c.noShow) return
    if (c.liveAt) throw new errors.clientWasAdmitted()
    if (c.state === 'waiting') {
      if (Date.now() < c.startAt.getTime()) throw new errors.invalidTransition('waiting for its start time')
      await consultationStates.apply(em, c, { type: 'END' })
      c.noShow = true
    } else if (c.state === 'ended' || c.state === 'purged') {
      c.noShow = true
      await this.app.lifecycle.emit(em, 'consultation.updated', c, { noShow: true })
    } else {
      throw new errors.invalidTransition(c.state)
    }
  }

  /** Invites one more client, until the call is over. */
  async invite(em: EntityManager, c: Consultation, input: InvitationInput): Promise<IssuedInvitation> {
    await this.app.consultationStates.apply(em, c)
    if (!['scheduled', 'waiting', 'live'].includes(c.state)) throw new errors.invalidTransition(c.state)
    return await this.issue(em, c, input)
  }

  /** An invitation with a 256-bit join token (see JoinLinks), of which only the hash is kept; within the quotas. */
  private async issue(em: EntityManager, consultation: Consultation, input: InvitationInput): Promise<IssuedInvitation> {
    const { app } = this
    await checkInvitationQuota(em, consultation, app.config.quotas)
    const id = randomUUID()
    const token = app.joinLinks.tokenFor(id)
    const invitation = em.create(Invitation, {
      id,
      consultation: consultation.id,
      email: input.email.toLowerCase(),
      name: input.name ?? null,
      locale: input.locale ?? null,
      tokenHash: hashToken(token)
    })
    const joinUrl = app.joinLinks.urlFor(id)
    await app.lifecycle.invitationIssued(em, { consultation, invitation, joinUrl })
    return { id: invitation.id, email: invitation.email, joinUrl }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The consultation use cases; see ConsultationService. */
    consultations: ConsultationService
  }
}

/** Provides `app.consultations`. */
export default fp(
  async app => {
    app.decorate('consultations', new ConsultationService(app))
  },
  { fastify: '5.x', name: '@sprechzimmer/consultations', dependencies: ['@sprechzimmer/runtime', '@sprechzimmer/accounts'] }
)
