import type { EntityManager } from '@mikro-orm/postgresql'
import type { Config } from '../../config.js'
import { errors } from '../../errors.js'

/**
 * The practice's invitation limits, checked before each invitation on the caller's transaction. The
 * practice row is locked (NO KEY UPDATE: foreign keys to it still pass) so that concurrent requests of
 * one practice, on any instance, count one after the other; a refusal undoes the whole request.
 */
export async function checkInvitationQuota(em: EntityManager, consultation: { id: string; practice: string }, quotas: Config['quotas']): Promise<void> {
  // Invitations created earlier in this transaction must be counted too.
  await em.flush()
  await em.execute('select 1 from practice where id = ? for no key update', [consultation.practice])
  const [counts] = await em.execute<Array<{ consultation: number; hour: number; day: number }>>(
    `select (select count(*) from invitation where consultation_id = ?)::int as consultation,
            count(*) filter (where i.created_at > now() - interval '1 hour')::int as hour,
            count(*)::int as day
       from invitation i join consultation c on c.id = i.consultation_id
      where c.practice_id = ? and i.created_at > now() - interval '1 day'`,
    [consultation.id, consultation.practice]
  )
  const refuse = (what: string, limit: number) => Object.assign(new errors.quotaExceeded(what), { details: { quota: what, limit } })
  if (counts.consultation >= quotas.recipientsPerConsultation) throw refuse('recipients per consultation', quotas.recipientsPerConsultation)
  if (counts.hour >= quotas.invitationsPerHour) throw refuse('invitations per hour', quotas.invitationsPerHour)
  if (counts.day >= quotas.invitationsPerDay) throw refuse('invitations per day', quotas.invitationsPerDay)
}
