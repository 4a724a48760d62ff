import type { EntityManager } from '@mikro-orm/postgresql'

/**
 * Records a deletion on the caller's transaction, so the log says exactly what was committed.
 * Nothing is recorded for nothing deleted.
 */
export async function recordDeletion(em: EntityManager, category: string, count: number, practiceId: string | null = null): Promise<void> {
  if (!count) return
  await em
    .getConnection()
    .execute(
      'insert into deletion_log (category, count, deleted_at, practice_id) values (?, ?, now(), ?)',
      [category, count, practiceId],
      'run',
      em.getTransactionContext()
    )
}
