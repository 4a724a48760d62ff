import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

/** What a security event says happened; a fixed list, so that no free text (and no name) can enter the trail. */
export const SECURITY_EVENT_KINDS = [
  'login',
  'login-failed',
  'login-backoff',
  'logout',
  'password-changed',
  'password-reset',
  'email-change-requested',
  'email-changed',
  'email-change-undone',
  'email-verified',
  'api-key-created',
  'api-key-revoked',
  'role-changed',
  'provider-added',
  'provider-deactivated',
  'provider-activated',
  'practice-approved',
  'practice-suspended',
  'practice-resumed',
  'account-deleted'
] as const
export type SecurityEventKind = (typeof SECURITY_EVENT_KINDS)[number]

/**
 * The security audit trail: who (a user id), when, from which network (the IP cut to /16, IPv6 /32,
 * before it is written) and what (a code). Never a name, an address or a token. The ids reference no
 * table on purpose: an account's deletion must not erase the trail of what happened to it (see
 * docs/adr/0009-security-events.md); every row goes after SZ_AUDIT_KEEP.
 */
export const SecurityEvent = defineEntity({
  name: 'SecurityEvent',
  tableName: 'security_event',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    at: p.datetime().index(),
    userId: p.uuid().nullable(),
    practiceId: p.uuid().nullable(),
    /** Who did it when that is someone else than `userId` (an admin changing a colleague's role). */
    actorId: p.uuid().nullable(),
    kind: p.enum([...SECURITY_EVENT_KINDS]),
    /** The client's network (`203.0.0.0`, `2001:db8::`); null for the operator's CLI. */
    network: p.string().length(45).nullable()
  }
})
export type SecurityEvent = InferEntity<typeof SecurityEvent>
