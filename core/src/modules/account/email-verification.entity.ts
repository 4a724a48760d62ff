import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { createdAtProperty, idProperty } from '../../db/base.js'
import { userReference } from '../../db/references.js'

export const VERIFICATION_PURPOSES = ['register', 'change', 'undo', 'reset'] as const
export type VerificationPurpose = (typeof VERIFICATION_PURPOSES)[number]

/**
 * A one-time link mailed to an address: `register` proves the account's address, `change` proves a new
 * address before it replaces the old one, `undo` lets the OLD address take a change back, `reset` sets a
 * new password (a forgotten one, or an invited colleague's first). The token is derived from the id
 * (HMAC under SESSION_SECRET, so the mail can be written again after a retry) and only its hash is kept.
 * `email` is the address the link was sent to; the row goes once it expired.
 */
export const EmailVerification = defineEntity({
  name: 'EmailVerification',
  tableName: 'email_verification',
  properties: {
    id: idProperty,
    user: userReference().index(),
    purpose: p.enum([...VERIFICATION_PURPOSES]),
    email: p.string().length(254),
    tokenHash: p.string().length(64).unique(),
    createdAt: createdAtProperty,
    expiresAt: p.datetime().index(),
    /** Set when the link was opened: a second use answers 410 SZ_VERIFICATION_USED instead of "unknown". */
    usedAt: p.datetime().nullable()
  }
})
export type EmailVerification = InferEntity<typeof EmailVerification>
