import type { Static } from 'typebox'
import type { Consultation } from './consultation.entity.js'
import type { Invitation } from '../join/invitation.entity.js'
import type { Participant } from '../join/participant.entity.js'
import { waitingRoomOpensAt } from '../../lifecycle/deadlines.js'
import type { ConsultationView, ParticipantView } from './schemas.js'

export function consultationView(
  c: Consultation,
  opensBefore: number,
  invitations?: Invitation[],
  urlFor?: (invitationId: string) => string
): Static<typeof ConsultationView> {
  const base = { id: c.id, title: c.title, start: c.startAt.toISOString(), end: c.endAt.toISOString(), state: c.state }
  // The appointment stays the practice's record after purge; everything about participants and the call is gone.
  if (c.state === 'purged') return base
  return {
    ...base,
    providerId: c.provider,
    noShow: c.noShow,
    waitingRoomOpensAt: waitingRoomOpensAt(c, { waitingRoomOpensBefore: opensBefore }).toISOString(),
    liveAt: c.liveAt?.toISOString() ?? null,
    endedAt: c.endedAt?.toISOString() ?? null,
    cancelledAt: c.cancelledAt?.toISOString() ?? null,
    ...(invitations
      ? {
          invitations: invitations.map(i => ({
            id: i.id,
            email: i.email,
            joinUrl: urlFor!(i.id),
            name: i.name ?? null,
            locale: i.locale ?? null,
            createdAt: i.createdAt.toISOString()
          }))
        }
      : {})
  }
}

export function participantView(p: Participant): Static<typeof ParticipantView> {
  return {
    id: p.id,
    displayName: p.displayName ?? null,
    status: p.status,
    waitingSince: p.waitingSince.toISOString(),
    admittedAt: p.admittedAt?.toISOString() ?? null
  }
}
