import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { baseProperties } from '../../db/base.js'
import { Consultation } from '../consultation/consultation.entity.js'

/** An invited client's e-mail and the hash of their join token; deleted when the consultation is purged. */
export const Invitation = defineEntity({
  name: 'Invitation',
  tableName: 'invitation',
  properties: {
    ...baseProperties,
    consultation: p.manyToOne(Consultation).mapToPk().deleteRule('cascade').index(),
    email: p.string().length(254),
    name: p.string().length(200).nullable(),
    locale: p.string().length(2).nullable(),
    tokenHash: p.string().length(64).unique(),
    /** Participants of this link who are not `left`; kept by the `participant_seats_*` triggers, never written here. */
    presentParticipants: p.integer().default(0)
  }
})
export type Invitation = InferEntity<typeof Invitation>
