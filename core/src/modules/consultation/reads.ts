import type { EntityManager } from '@mikro-orm/postgresql'

/**
 * Typed reads of core data for plugins (calendar feeds, exports): plugins call these and never name a
 * core table or column. They are plain SQL because a feed reads thousands of rows on every poll, and the
 * ORM's hydration would cost more than the query; the column names live here and nowhere else.
 */

/** One consultation as a calendar shows it. `invitationId` is set when read for an invited client. */
export interface ScheduledConsultation {
  id: string
  /** Rises with every change of the row (iCal SEQUENCE, cache keys). */
  version: number
  title: string
  startAt: Date
  endAt: Date
  cancelled: boolean
  updatedAt: Date
  invitationId?: string
}

/** Consultations that end after `from` and start before `to`, in start order, at most `limit`. */
export interface TimeWindow {
  from: Date
  to: Date
  limit: number
}

export interface AccountStanding {
  kind: 'provider' | 'client'
  email: string
  emailVerified: boolean
  practiceId: string | null
  isPracticeAdmin: boolean
}

interface ConsultationRow {
  id: string
  version: number
  title: string
  start_at: Date | string
  end_at: Date | string
  state: string
  cancelled_at: Date | string | null
  updated_at: Date | string
  invitation_id?: string
}

const COLUMNS = 'c.id, c.version, c.title, c.start_at, c.end_at, c.state, c.cancelled_at, c.updated_at'

// The raw driver may hand timestamps back as strings.
const scheduled = (row: ConsultationRow): ScheduledConsultation => ({
  id: row.id,
  version: row.version,
  title: row.title,
  startAt: new Date(row.start_at),
  endAt: new Date(row.end_at),
  cancelled: row.state === 'cancelled' || row.cancelled_at != null,
  updatedAt: new Date(row.updated_at),
  ...(row.invitation_id ? { invitationId: row.invitation_id } : {})
})

/** Who an account is, for a plugin that must check a stored grant (a feed URL) against today's roles. */
export async function accountStanding(em: EntityManager, userId: string): Promise<AccountStanding | null> {
  const [row] = await em.execute<
    Array<{ kind: 'provider' | 'client'; email: string; verified: boolean; practice_id: string | null; is_practice_admin: boolean }>
  >('select kind, email, email_verified_at is not null as verified, practice_id, is_practice_admin from app_user where id = ?', [userId])
  return row ? { kind: row.kind, email: row.email, emailVerified: row.verified, practiceId: row.practice_id, isPracticeAdmin: row.is_practice_admin } : null
}

/** A practice's consultations in the window, or only one provider's. */
export async function practiceConsultations(
  em: EntityManager,
  scope: { practiceId: string; providerId?: string },
  window: TimeWindow
): Promise<ScheduledConsultation[]> {
  const rows = await em.execute<ConsultationRow[]>(
    `select ${COLUMNS} from consultation c where c.practice_id = ?${scope.providerId ? ' and c.provider_id = ?' : ''}
       and c.end_at >= ? and c.start_at < ? order by c.start_at, c.id limit ?`,
    [scope.practiceId, ...(scope.providerId ? [scope.providerId] : []), window.from, window.to, window.limit]
  )
  return rows.map(scheduled)
}

/**
 * The consultations an address is invited to, with the invitation's id. Only for an account that proved
 * the address: invitations to an address are its owner's, and nobody else's.
 */
export async function invitedConsultations(em: EntityManager, provenEmail: string, window: TimeWindow): Promise<ScheduledConsultation[]> {
  const rows = await em.execute<ConsultationRow[]>(
    `select ${COLUMNS}, i.id as invitation_id from consultation c join invitation i on i.consultation_id = c.id
       where i.email = ? and c.end_at >= ? and c.start_at < ? order by c.start_at, c.id limit ?`,
    [provenEmail.toLowerCase(), window.from, window.to, window.limit]
  )
  return rows.map(scheduled)
}

/** The invitees (address and name) of a practice's, or one provider's, consultations in the window, by consultation. */
export async function inviteesByConsultation(
  em: EntityManager,
  scope: { practiceId: string; providerId?: string },
  window: Omit<TimeWindow, 'limit'>
): Promise<Map<string, Array<{ email: string; name: string | null }>>> {
  const rows = await em.execute<Array<{ consultation_id: string; email: string; name: string | null }>>(
    `select i.consultation_id, i.email, i.name from invitation i join consultation c on c.id = i.consultation_id
       where c.practice_id = ?${scope.providerId ? ' and c.provider_id = ?' : ''} and c.end_at >= ? and c.start_at < ? order by i.created_at, i.id`,
    [scope.practiceId, ...(scope.providerId ? [scope.providerId] : []), window.from, window.to]
  )
  const byConsultation = new Map<string, Array<{ email: string; name: string | null }>>()
  for (const r of rows) byConsultation.set(r.consultation_id, [...(byConsultation.get(r.consultation_id) ?? []), { email: r.email, name: r.name }])
  return byConsultation
}
