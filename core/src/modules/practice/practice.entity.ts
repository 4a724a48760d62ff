import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { baseProperties } from '../../db/base.js'

export const Practice = defineEntity({
  name: 'Practice',
  tableName: 'practice',
  properties: {
    ...baseProperties,
    name: p.string().length(200),
    type: p.string().length(100),
    street: p.string().length(200),
    postalCode: p.string().length(20),
    city: p.string().length(100),
    country: p.string().length(2),
    contactName: p.string().length(200),
    contactEmail: p.string().length(254),
    iban: p.string().length(34),
    bic: p.string().length(11).nullable(),
    accountHolder: p.string().length(200),
    timeZone: p.string().length(64),
    locale: p.string().length(2),
    /** Every call through the media server (when one is configured), not only calls of three or more. */
    callsThroughMediaServer: p.boolean().default(false),
    /** Null while the operator has not approved the practice (SZ_REGISTRATION=approval). */
    approvedAt: p.datetime().nullable(),
    /** Set while the operator has suspended the practice: nobody of it signs in to it, no key works. */
    suspendedAt: p.datetime().nullable()
  }
})
export type Practice = InferEntity<typeof Practice>

export type PracticeStanding = 'active' | 'awaiting-approval' | 'suspended'

export function standingOf(practice: Pick<Practice, 'approvedAt' | 'suspendedAt'>): PracticeStanding {
  if (practice.suspendedAt) return 'suspended'
  return practice.approvedAt ? 'active' : 'awaiting-approval'
}
