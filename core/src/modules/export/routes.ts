import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { Config } from '../../config.js'
import type { DeclaredDeletion } from '../../plugins/contract.js'
import { errorResponses } from '../../http/schemas.js'
import type { User } from '../account/user.entity.js'
import { practiceView } from '../account/routes.js'
import { Practice } from '../practice/practice.entity.js'
import { Consultation } from '../consultation/consultation.entity.js'
import { Invitation } from '../join/invitation.entity.js'
import { ServerSession } from '../session/session.entity.js'
import { Task } from '../task/task.entity.js'
import { taskView } from '../task/routes.js'
import { Consent, ProfilePicture } from '../profile/consent.entity.js'
import { consentView, personNames } from '../profile/views.js'

export const EXPORT_FORMAT = 'sprechzimmer.export/1'

const human = (ms: number): string => {
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's']
  ]
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`
  return `${ms} ms`
}

/** The deletion table of the privacy policy (README "Privacy and deletion"), with this server's configured deadlines. */
export function retentionList(config: Config, declared: readonly DeclaredDeletion[] = []): Array<{ category: string; deadline: string }> {
  return [
    {
      category: 'access record (time, kind, user agent, IP address)',
      deadline: `IP address cut to two octets (IPv6: /32) ${human(config.ipAnonymizeAfter)} after the request`
    },
    {
      category: 'session (APPSESSION cookie and server session)',
      deadline: `end of the browser session; the server session ends at logout, password change or at the latest after ${human(config.sessionTtl)}`
    },
    { category: 'provider account and practice data (address, name, type, contact person, bank details)', deadline: 'account deletion' },
    { category: 'client account (salutation, title, names, e-mail, password hash)', deadline: 'account deletion' },
    { category: 'invitation (client e-mail, join-token hash)', deadline: `consultation purged, ${human(config.purgeAfter)} after its end or cancellation` },
    { category: 'waiting-room name', deadline: 'consultation ended or cancelled' },
    { category: 'chat and pre-admission messages', deadline: 'never stored; gone when the consultation ends' },
    { category: 'documents, audio and video of a call', deadline: 'never stored by the server' },
    { category: 'technical call data (room ids, participant rows)', deadline: `purged ${human(config.purgeAfter)} after the end` },
    { category: 'profile picture', deadline: 'consent revoked or account deleted; the consent record (time, text version) is kept until account deletion' },
    { category: 'tasks', deadline: 'deleted by you, or account deletion' },
    ...declared.map(d => ({ category: d.data.en, deadline: d.deadline }))
  ]
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null)

/**
 * Everything held about the signed-in user, as one JSON document (Art. 15 and 20 GDPR). It holds the
 * caller's own account and records only: no other user's account, no password or token hashes.
 */
export async function exportFor(
  em: EntityManager,
  user: User,
  config: Config,
  declared: readonly DeclaredDeletion[] = []
): Promise<{ format: typeof EXPORT_FORMAT } & Record<string, unknown>> {
  const account = {
    id: user.id,
    kind: user.kind,
    email: user.email,
    ...personNames(user),
    locale: user.locale ?? null,
    isPracticeAdmin: user.isPracticeAdmin,
    active: user.active,
    emailVerifiedAt: iso(user.emailVerifiedAt),
    createdAt: iso(user.createdAt),
    updatedAt: iso(user.updatedAt)
  }
  const practice = user.kind === 'provider' && user.practice ? await em.findOne(Practice, { id: user.practice }) : null

  let consultations: unknown[]
  if (user.kind === 'provider' && user.practice) {
    // The provider's own consultations with their invitations: the practice's record of whom it invited.
    const own = await em.find(Consultation, { provider: user.id, practice: user.practice }, { orderBy: { startAt: 'asc' } })
    const invitations = own.length ? await em.find(Invitation, { consultation: { $in: own.map(c => c.id) } }, { orderBy: { createdAt: 'asc' } }) : []
    consultations = own.map(c => ({
      id: c.id,
      title: c.title,
      startAt: iso(c.startAt),
      endAt: iso(c.endAt),
      state: c.state,
      createdAt: iso(c.createdAt),
      endedAt: iso(c.endedAt),
      cancelledAt: iso(c.cancelledAt),
      invitations: invitations
        .filter(i => i.consultation === c.id)
        .map(i => ({ id: i.id, email: i.email, name: i.name ?? null, locale: i.locale ?? null, createdAt: iso(i.createdAt) }))
    }))
  } else {
    // A client: the consultations their own address was invited to (only their own invitation), and
    // nothing until they proved that address: anyone can register someone else's.
    const invitations = user.emailVerifiedAt ? await em.find(Invitation, { email: user.email }, { orderBy: { createdAt: 'asc' } }) : []
    const held = invitations.length ? await em.find(Consultation, { id: { $in: [...new Set(invitations.map(i => i.consultation))] } }) : []
    const practices = held.length ? await em.find(Practice, { id: { $in: [...new Set(held.map(c => c.practice))] } }) : []
    consultations = invitations.flatMap(i => {
      const c = held.find(x => x.id === i.consultation)
      if (!c) return []
      const p = practices.find(x => x.id === c.practice)
      return [
        {
          id: c.id,
          title: c.title,
          startAt: iso(c.startAt),
          endAt: iso(c.endAt),
          state: c.state,
          practice: p ? { name: p.name, contactEmail: p.contactEmail } : null,
          invitation: { id: i.id, email: i.email, name: i.name ?? null, locale: i.locale ?? null, createdAt: iso(i.createdAt) }
        }
      ]
    })
  }

  const consents = await em.find(Consent, { user: user.id }, { orderBy: { givenAt: 'asc', id: 'asc' } })
  const picture = await em.findOne(ProfilePicture, { user: user.id })
  const tasks = await em.find(Task, { user: user.id }, { orderBy: { createdAt: 'asc' } })
  const sessions = await em.find(ServerSession, { user: user.id }, { orderBy: { createdAt: 'asc' } })

  return {
    format: EXPORT_FORMAT as typeof EXPORT_FORMAT,
    exportedAt: new Date().toISOString(),
    account,
    ...(practice ? { practice: practiceView(practice) } : {}),
    consultations,
    consents: consents.map(consentView),
    profilePicture: picture
      ? { contentType: picture.contentType, updatedAt: iso(picture.updatedAt), base64: Buffer.from(picture.data).toString('base64') }
      : null,
    tasks: tasks.map(taskView),
    sessions: sessions.map(s => ({ loginAt: iso(s.createdAt), expiresAt: iso(s.expiresAt) })),
    retention: retentionList(config, declared)
  }
}

const routes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.get(
    '/api/me/export',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['privacy'],
        summary: 'Download everything held about you as one JSON document (Art. 15 and 20 GDPR)',
        response: { 200: Type.Object({ format: Type.Literal(EXPORT_FORMAT) }, { additionalProperties: true }), ...errorResponses(401) }
      }
    },
    async (request, reply) => {
      const document = await exportFor(request.em, request.account!, config, app.declaredDeletions)
      const day = new Date().toISOString().slice(0, 10)
      return reply.header('content-disposition', `attachment; filename="sprechzimmer-export-${day}.json"`).header('cache-control', 'no-store').send(document)
    }
  )
}

export default routes
