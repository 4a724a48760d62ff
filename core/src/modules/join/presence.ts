import type { EntityManager } from '@mikro-orm/postgresql'
import type { FastifyInstance } from 'fastify'
import { Participant } from './participant.entity.js'
import { participantView } from '../consultation/views.js'
import { lockedSeatsTaken } from './entrance-sql.js'

/**
 * Whether the link lets one more person in now (SZ_JOIN_LINK_PARTICIPANTS). Locks the link's row until
 * the transaction ends, so that entries through one link, on any instance, count one after the other.
 */
export async function hasFreeSeat(app: FastifyInstance, em: EntityManager, invitationId: string | null): Promise<boolean> {
  if (!invitationId) return true
  const taken = await lockedSeatsTaken(em, invitationId)
  return taken === null || taken < app.config.joinLinkParticipants
}

/** One who left is back where they were: admitted if they had been, else waiting. */
export function comeBack(p: Participant): void {
  p.status = p.admittedAt ? 'admitted' : 'waiting'
  p.leftAt = null
}

/** A participant came back (reconnect, reload): back to where they were before they left. */
export async function markPresent(app: FastifyInstance, em: EntityManager, participantId: string): Promise<void> {
  await em.transactional(async (tx: EntityManager) => {
    const p = await tx.findOne(Participant, { id: participantId })
    if (!p || p.status !== 'left' || !p.displayName) return
    const c = await app.consultationStates.lock(tx, { id: p.consultation })
    if (!c || !['waiting', 'live'].includes(c.state)) return
    // A full link keeps them out: the seat they left was taken in the meantime.
    if (!(await hasFreeSeat(app, tx, p.invitation ?? null))) return
    comeBack(p)
    if (p.admittedAt && c.emptySince) {
      c.emptySince = null
      await app.consultationStates.apply(tx, c)
    }
    await app.realtime.publish(tx, { practice: c.practice }, { type: 'participant.returned', consultationId: c.id, participant: participantView(p) })
  })
}

/** A participant left (button, closed tab): the provider sees it, and an empty live room starts its timer. */
export async function markLeft(app: FastifyInstance, em: EntityManager, participantId: string): Promise<void> {
  await em.transactional(async (tx: EntityManager) => {
    const p = await tx.findOne(Participant, { id: participantId })
    if (!p || p.status === 'left') return
    const c = await app.consultationStates.lock(tx, { id: p.consultation })
    if (!c) return
    p.status = 'left'
    p.leftAt = new Date()
    if (c.state === 'live') {
      const present = await tx.count(Participant, { consultation: c.id, status: 'admitted', id: { $ne: p.id } })
      if (present === 0) {
        c.emptySince = new Date()
        await app.consultationStates.apply(tx, c)
      }
    }
    await app.lifecycle.emit(tx, 'participant.left', c, { participantId: p.id })
    await app.realtime.publish(tx, { practice: c.practice }, { type: 'participant.left', consultationId: c.id, participant: participantView(p) })
  })
}
