import { isDeepStrictEqual } from 'node:util'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { EntityManager } from '@mikro-orm/postgresql'
import { errors } from '../errors.js'
import { errorResponses } from '../http/schemas.js'
import { Consultation } from '../modules/consultation/consultation.entity.js'
import { Participant } from '../modules/join/participant.entity.js'
import { Practice } from '../modules/practice/practice.entity.js'
import { IdParams } from '../modules/consultation/schemas.js'
import type { LifecycleNotice } from '../lifecycle/events.js'
import { iceServersFor } from './ice.js'
import type { CallHolder } from '../plugins/contract.js'

const OPEN = new Set(['waiting', 'live'])

const CallInfo = Type.Object(
  {
    provider: Type.String({ description: 'Which media provider runs the call: `p2p` (browser to browser) or `janus`' }),
    self: Type.Object(
      { kind: Type.Union([Type.Literal('provider'), Type.Literal('participant')]), id: Type.String() },
      { description: 'Who the caller is in the call: the id others address signals to' }
    ),
    iceServers: Type.Array(
      Type.Object({
        urls: Type.Array(Type.String()),
        username: Type.Optional(Type.String()),
        credential: Type.Optional(Type.String())
      })
    )
  },
  { additionalProperties: true, description: "What the browser needs to connect; the provider's own fields (room, pin, token, url) come with it" }
)

/**
 * Connects the lifecycle to the active media provider (`app.media`), and hands connection data only to
 * the practice's providers and to admitted participants. The provider's room work runs from lifecycle
 * notices (durable jobs, at least once) and again on demand, so every step must be idempotent.
 */
export default fp(
  async (appRaw: FastifyInstance) => {
    const app = appRaw.withTypeProvider<TypeBoxTypeProvider>()
    const tags = ['call']

    /** The consultation with its room, created on first need under the row lock. */
    async function withRoom(em: EntityManager, id: string): Promise<Consultation | null> {
      const found = await em.findOne(Consultation, { id })
      if (!found || found.media || !OPEN.has(found.state)) return found
      return await em.fork().transactional(async (tx: EntityManager) => {
        const c = await app.consultationStates.lock(tx, { id })
        if (c && !c.media && OPEN.has(c.state)) c.media = await app.media.createRoom(c)
        return c
      })
    }

    /**
     * Lets the holder into the provider's room. When the provider moves the call (its answer differs from
     * the stored room record), the new record is stored under the row lock and everyone in the call is
     * told to fetch their connection data again (`call.changed`), after the commit.
     */
    async function enter(c: Consultation, holder: CallHolder): Promise<Consultation> {
      if (!app.media.admit) return c
      const em = app.orm.em.fork()
      const [admitted, practice] = await Promise.all([
        em.count(Participant, { consultation: c.id, status: 'admitted' }),
        em.findOne(Practice, { id: c.practice }, { fields: ['callsThroughMediaServer'] })
      ])
      const moved = await app.media.admit({ id: c.id, media: c.media, people: 1 + admitted, throughServer: practice?.callsThroughMediaServer === true }, holder)
      if (!moved || isDeepStrictEqual(moved, c.media)) return c
      return await app.orm.em.fork().transactional(async (tx: EntityManager) => {
        const locked = await app.consultationStates.lock(tx, { id: c.id })
        if (!locked || !OPEN.has(locked.state) || isDeepStrictEqual(moved, locked.media)) return locked ?? c
        locked.media = moved
        await app.realtime.publish(tx, { practice: locked.practice, consultation: locked.id }, { type: 'call.changed', consultationId: locked.id })
        return locked
      })
    }

    async function callInfo(found: Consultation, holder: CallHolder) {
      try {
        const c = await enter(found, holder)
        const info = await app.media.joinInfo(c, holder)
        // A provider may run some calls itself and leave others to the browsers (`provider` in its answer).
        return { provider: app.media.name, ...info, self: holder, iceServers: iceServersFor(app.config, holder.id) }
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode) throw err
        app.log.error({ err, consultationId: found.id }, 'media provider failed')
        throw new errors.mediaUnavailable()
      }
    }

    app.get(
      '/api/participant/media',
      {
        onRequest: app.requireParticipant,
        schema: { tags, summary: 'Connection data for the call, for an admitted participant', response: { 200: CallInfo, ...errorResponses(401, 403, 503) } }
      },
      async request => {
        const participant = request.participant!
        const c = participant.status === 'admitted' ? await withRoom(request.em, participant.consultation) : null
        if (!c || c.state !== 'live') throw new errors.notAdmitted()
        return await callInfo(c, { id: participant.id, kind: 'participant' })
      }
    )

    app.get(
      '/api/consultations/:id/media',
      {
        onRequest: app.requireProvider,
        schema: {
          tags,
          summary: "Connection data for the call, for the practice's providers",
          params: IdParams,
          response: { 200: CallInfo, ...errorResponses(401, 403, 404, 409, 503) }
        }
      },
      async request => {
        const owned = await request.em.findOne(Consultation, { id: request.params.id, practice: request.account!.practice! }, { fields: ['id'] })
        if (!owned) throw new errors.notFound('Consultation')
        const c = await withRoom(request.em, owned.id)
        if (!c || !OPEN.has(c.state)) throw new errors.invalidTransition(c?.state ?? 'gone')
        return await callInfo(c, { id: request.account!.id, kind: 'provider' })
      }
    )

    const load = (notice: LifecycleNotice) => app.orm.em.fork().findOne(Consultation, { id: notice.consultationId })
    app.lifecycle.on('consultation.waiting', async notice => {
      await withRoom(app.orm.em.fork(), notice.consultationId)
    })
    app.lifecycle.on('participant.admitted', async notice => {
      const em = app.orm.em.fork()
      const c = await withRoom(em, notice.consultationId)
      // A late notice must not let back in someone who has left since.
      const participant = await em.findOne(Participant, { id: String(notice.data.participantId) }, { fields: ['status'] })
      if (c?.media && OPEN.has(c.state) && participant?.status === 'admitted') await enter(c, { id: participant.id, kind: 'participant' })
    })
    app.lifecycle.on('participant.left', async notice => {
      const c = await load(notice)
      if (c?.media) await app.media.leave?.(c, { id: String(notice.data.participantId), kind: 'participant' })
    })
    for (const type of ['consultation.ended', 'consultation.cancelled'] as const) {
      app.lifecycle.on(type, async notice => {
        const c = await load(notice)
        if (c?.media) await app.media.destroyRoom(c)
      })
    }
  },
  { fastify: '5.x', name: '@sprechzimmer/call', dependencies: ['@sprechzimmer/auth', '@sprechzimmer/runtime'] }
)
