import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { baseProperties } from '../../db/base.js'
import { userReference } from '../../db/references.js'

export const CONSENT_KINDS = ['profile_picture'] as const
export type ConsentKind = (typeof CONSENT_KINDS)[number]

/**
 * A consent a user gave (Art. 7 GDPR): which text version and when; a revocation sets revokedAt and
 * the row stays as history (it is in the export) until the account is deleted.
 */
export const Consent = defineEntity({
  name: 'Consent',
  tableName: 'consent',
  properties: {
    ...baseProperties,
    user: userReference().index(),
    kind: p.enum([...CONSENT_KINDS]),
    textVersion: p.string().length(50),
    givenAt: p.datetime(),
    revokedAt: p.datetime().nullable()
  }
})
export type Consent = InferEntity<typeof Consent>

/** The picture's bytes, kept only while a profile_picture consent is live (one per user). */
export const ProfilePicture = defineEntity({
  name: 'ProfilePicture',
  tableName: 'profile_picture',
  properties: {
    ...baseProperties,
    user: userReference().unique(),
    contentType: p.string().length(20),
    data: p.blob()
  }
})
export type ProfilePicture = InferEntity<typeof ProfilePicture>
