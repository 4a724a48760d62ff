import type { EntityManager } from '@mikro-orm/postgresql'
import type { Config } from '../config.js'
import { DELETION_CATEGORIES, deletionTable, type DeletionCategory, type DeletionRow } from './deletion-table.js'

export interface PrivacyReportRow {
  category: DeletionCategory
  deadline: string
  /** Items of this category deleted (or anonymised) in [from, to), from the deletion log. */
  deletedInPeriod: number
  /** When the oldest item of this category still held was created; null when none is held. */
  oldestHeldAt: string | null
}

type Scope = { practiceId: string | null }

/** Categories a practice can see for itself; the operator (CLI) sees more. */
const PRACTICE_CATEGORIES: DeletionCategory[] = [
  'session',
  'provider-account',
  'practice',
  'invitation',
  'waiting-room-name',
  'chat',
  'documents',
  'call-data',
  'security-events'
]
/**
 * Every core category except the profile picture, which this report leaves out even though the
 * profile module writes its deletions to the deletion log; plugins' categories are not reported either.
 */
const OPERATOR_CATEGORIES: DeletionCategory[] = DELETION_CATEGORIES.filter(c => c !== 'profile-picture')

/** SQL for the oldest item still held, per category; `$P` is the practice filter (or true). */
const OLDEST: Partial<Record<DeletionCategory, (p: string) => string>> = {
  'access-ip': () => 'select min(at) as at from access_record where not anonymized',
  session: p => `select min(s.created_at) as at from server_session s join app_user u on u.id = s.user_id where ${p.replace('$', 'u.practice_id')}`,
  'provider-account': p => `select min(created_at) as at from app_user where kind = 'provider' and ${p.replace('$', 'practice_id')}`,
  'client-account': () => "select min(created_at) as at from app_user where kind = 'client'",
  'email-verification': () => 'select min(created_at) as at from email_verification',
  'security-events': p => `select min(at) as at from security_event where ${p.replace('$', 'practice_id')}`,
  'sign-in-failures': () => 'select min(last_failed_at) as at from login_backoff',
  practice: p => `select min(created_at) as at from practice where ${p.replace('$', 'id')}`,
  invitation: p => `select min(i.created_at) as at from invitation i join consultation c on c.id = i.consultation_id where ${p.replace('$', 'c.practice_id')}`,
  'waiting-room-name': p =>
    `select min(pt.created_at) as at from participant pt join consultation c on c.id = pt.consultation_id
      where pt.display_name is not null and ${p.replace('$', 'c.practice_id')}`,
  'call-data': p => `select least(
      (select min(pt.created_at) from participant pt join consultation c on c.id = pt.consultation_id where ${p.replace('$', 'c.practice_id')}),
      (select min(c.created_at) from consultation c where c.media is not null and ${p.replace('$', 'c.practice_id')})) as at`
}

/**
 * Per category of the deletion table: its deadline, how many items were deleted in the period and
 * the oldest item still held — for a practice (only its own items) or for the whole server.
 */
export async function privacyReport(em: EntityManager, config: Config, range: { from: Date; to: Date }, scope: Scope): Promise<PrivacyReportRow[]> {
  const connection = em.getConnection()
  const filter = scope.practiceId ? '$ = ?' : 'true'
  const params = (sql: string) => (scope.practiceId ? Array((sql.match(/\?/g) ?? []).length).fill(scope.practiceId) : [])
  const deleted = await connection.execute<Array<{ category: string; n: string }>>(
    `select category, sum(count) as n from deletion_log
      where deleted_at >= ? and deleted_at < ?${scope.practiceId ? ' and practice_id = ?' : ''} group by category`,
    [range.from, range.to, ...(scope.practiceId ? [scope.practiceId] : [])]
  )
  const counts = new Map(deleted.map(r => [r.category, Number(r.n)]))
  const categories = scope.practiceId ? PRACTICE_CATEGORIES : OPERATOR_CATEGORIES
  const rows: PrivacyReportRow[] = []
  for (const row of deletionTable(config, 'en').filter((r): r is DeletionRow & { category: DeletionCategory } =>
    (categories as string[]).includes(r.category)
  )) {
    let oldest: Date | null = null
    const query = OLDEST[row.category]
    if (query) {
      const sql = query(filter)
      const [result] = await connection.execute<Array<{ at: Date | null }>>(sql, params(sql))
      oldest = result?.at ? new Date(result.at) : null
    }
    rows.push({ category: row.category, deadline: row.deadline, deletedInPeriod: counts.get(row.category) ?? 0, oldestHeldAt: oldest?.toISOString() ?? null })
  }
  return rows
}
