import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

/**
 * What was deleted, by whom never: a category of the deletion table, how many items and when.
 * `practiceId` lets a practice see its own deletions; it identifies a practice, not a person, and
 * has no foreign key so the log outlives a deleted practice.
 */
export const DeletionLog = defineEntity({
  name: 'DeletionLog',
  tableName: 'deletion_log',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    category: p.string().length(40),
    count: p.integer(),
    deletedAt: p
      .datetime()
      .onCreate(() => new Date())
      .index(),
    practiceId: p.uuid().nullable().index()
  }
})
export type DeletionLog = InferEntity<typeof DeletionLog>

/**
 * An account whose deletion was requested: the user row is anonymised at once and deleted by the
 * erasure job once its consultations are purged (their cancellation mails need the rows until then).
 */
export const AccountErasure = defineEntity({
  name: 'AccountErasure',
  tableName: 'account_erasure',
  properties: {
    /** app_user.id; the foreign key (ON DELETE CASCADE) lives in the migration. */
    user: p.uuid().primary().fieldName('user_id'),
    /** Set when this was the practice's last provider: the practice goes with the account. */
    practiceId: p.uuid().nullable(),
    requestedAt: p.datetime()
  }
})
export type AccountErasure = InferEntity<typeof AccountErasure>
