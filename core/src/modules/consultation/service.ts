import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { FastifyInstance } from 'fastify'
import { Consultation } from './consultation.entity.js'
import { Invitation } from '../join/invitation.entity.js'
import { errors } from '../../errors.js'
import { hashToken } from '../../secrets.js'
import { checkInvitationQuota } from './quotas.js'

const MAX_DURATION = 24 * 3_600_000

/** Checks an appointment's times: valid, end after start, not over, at most a day long. */
export function checkTimes (start: string | Date, end: string | Date): { startAt: Date, endAt: Date } {
  const startAt = new Date(start)
  const endAt = new Date(end)
  if (Number.isNaN(startAt.getTime()) || Number.isNaN(endAt.getTime())) throw new errors.validation('start and end must be ISO 8601 times with an offset')
  if (endAt <= startAt) throw new errors.validation('end must be after start')
  if (endAt.getTime() - startAt.getTime() > MAX_DURATION) throw new errors.validation('a consultation lasts at most 24 hours')
  if (endAt.getTime() <= Date.now()) throw new errors.validation('end must be in the future')
  return { startAt, endAt }
}

export interface InvitationInput { email: string, name?: string, locale?: string }

/** Creates an invitation with a 256-bit join token (see JoinLinks), of which only the hash is kept. */
export async function invite (app: FastifyInstance, em: EntityManager, consultation: Consultation, input: InvitationInput) {
  await checkInvitationQuota(em, consultation, app.config.quotas)
  const id = randomUUID()
  const token = app.joinLinks.tokenFor(id)
  const invitation = em.create(Invitation, {
    id, consultation: consultation.id, email: input.email.toLowerCase(), name: input.name ?? null, locale: input.locale ?? null, tokenHash: hashToken(token)
  })
  const joinUrl = app.joinLinks.urlFor(id)
  await app.lifecycle.invitationIssued(em, { consultation, invitation, joinUrl })
  return { id: invitation.id, email: invitation.email, joinUrl }
}

/** Loads a consultation of the caller's practice, locked for the transaction; other practices get 404. */
export async function lockOwned (app: FastifyInstance, em: EntityManager, id: string, practice: string): Promise<Consultation> {
  const consultation = await app.consultationLifecycle.lock(em, { id, practice })
  if (!consultation) throw new errors.notFound('Consultation')
  return consultation
}
