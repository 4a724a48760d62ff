import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

/**
 * Failed sign-ins per address, kept for known and unknown addresses alike (so a slowed-down answer
 * tells nobody whether an account exists), keyed by a hash of the address; the row goes a day after
 * the last failure, or at the next successful sign-in.
 */
export const LoginBackoff = defineEntity({
  name: 'LoginBackoff',
  tableName: 'login_backoff',
  properties: {
    keyHash: p.string().length(64).primary(),
    failures: p.integer(),
    lastFailedAt: p.datetime().index(),
    blockedUntil: p.datetime().nullable(),
    /** When the owner was last told that sign-ins are slowed down (at most once a day). */
    notifiedAt: p.datetime().nullable()
  }
})
export type LoginBackoff = InferEntity<typeof LoginBackoff>
