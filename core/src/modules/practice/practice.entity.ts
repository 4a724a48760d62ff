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
    callsThroughMediaServer: p.boolean().default(false)
  }
})
export type Practice = InferEntity<typeof Practice>
