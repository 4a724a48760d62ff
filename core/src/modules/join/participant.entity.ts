import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { baseProperties } from '../../db/base.js'
import { Consultation } from '../consultation/consultation.entity.js'
import { Invitation } from './invitation.entity.js'

export const PARTICIPANT_STATUSES = ['waiting', 'admitted', 'left'] as const
export type ParticipantStatus = (typeof PARTICIPANT_STATUSES)[number]

/** Someone who entered the waiting room; the display name is erased when the consultation ends. */
export const Participant = defineEntity({
  name: 'Participant',
  tableName: 'participant',
  properties: {
    ...baseProperties,
    consultation: p.manyToOne(Consultation).mapToPk().deleteRule('cascade').index(),
    invitation: p.manyToOne(Invitation).mapToPk().nullable().deleteRule('set null'),
    displayName: p.string().length(100).nullable(),
    status: p.enum([...PARTICIPANT_STATUSES]),
    waitingSince: p.datetime(),
    admittedAt: p.datetime().nullable(),
    leftAt: p.datetime().nullable()
  }
})
export type Participant = InferEntity<typeof Participant>
