import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import type { EntityManager } from '@mikro-orm/postgresql'
import { LockMode } from '@mikro-orm/core'
import { errors } from '../../errors.js'
import { errorResponses, DateTime, Uuid } from '../../http/schemas.js'
import { hashToken } from '../../secrets.js'
import { waitingRoomOpensAt } from '../../lifecycle/deadlines.js'
import { Invitation } from './invitation.entity.js'
import { Participant } from './participant.entity.js'
import { Consultation } from '../consultation/consultation.entity.js'
import { User, displayNameOf } from '../account/user.entity.js'
import { Practice } from '../practice/practice.entity.js'
import { participantView } from '../consultation/views.js'
import { State } from '../consultation/schemas.js'
import { comeBack, hasFreeSeat, markLeft } from './presence.js'
import { WaitingRoomEntrance } from './entrance.js'
import { entryVerdict, linkGone } from './link-rules.js'

const TokenParams = Type.Object({ token: Type.String({ maxLength: 100 }) })
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

const JoinInfo = Type.Object({
  consultation: Type.Object({
    title: Type.String(),
    start: DateTime,
    end: DateTime,
    state: State,
    provider: Type.Object({ displayName: Type.String() }),
    practice: Type.Object({ name: Type.String() })
  }),
  waitingRoomOpen: Type.Boolean(),
  waitingRoomOpensAt: DateTime
})

const Entered = Type.Object({
  participantId: Uuid,
  consultationId: Uuid,
  status: Type.Union([Type.Literal('waiting'), Type.Literal('admitted'), Type.Literal('left')]),
  credential: Type.String({
    description: 'Participant credential for this one consultation: send as `Authorization: Bearer`, or rely on the SZ_PARTICIPANT cookie'
  }),
  expiresAt: DateTime
})

const routes: FastifyPluginAsyncTypebox = async app => {
  const { config } = app
  const tags = ['join']
  const entrance = new WaitingRoomEntrance(app)

  /** The link's invitation and consultation; 404 for unknown links, 410 once they no longer work. */
  async function resolve(em: EntityManager, token: string, lock = false) {
    if (!TOKEN_SHAPE.test(token)) throw new errors.joinLinkInvalid()
    const invitation = await em.findOne(Invitation, { tokenHash: hashToken(token) })
    if (!invitation) throw new errors.joinLinkInvalid()
    const consultation = lock
      ? await app.consultationStates.lock(em, { id: invitation.consultation })
      : await em.findOne(Consultation, { id: invitation.consultation })
    if (!consultation) throw new errors.joinLinkInvalid()
    const gone = linkGone(consultation, Date.now())
    if (gone) throw gone
    return { invitation, consultation }
  }

  app.get(
    '/api/join/:token',
    {
      schema: {
        tags,
        summary: 'What the join link is for, and whether the waiting room is open',
        params: TokenParams,
        response: { 200: JoinInfo, ...errorResponses(404, 410) }
      }
    },
    async request => {
      const { consultation } = await resolve(request.em, request.params.token)
      const [provider, practice] = await Promise.all([
        request.em.findOneOrFail(User, { id: consultation.provider }),
        request.em.findOneOrFail(Practice, { id: consultation.practice })
      ])
      const opensAt = waitingRoomOpensAt(consultation, config)
      return {
        consultation: {
          title: consultation.title,
          start: consultation.startAt.toISOString(),
          end: consultation.endAt.toISOString(),
          state: consultation.state,
          provider: { displayName: displayNameOf(provider) },
          practice: { name: practice.name }
        },
        waitingRoomOpen: opensAt.getTime() <= Date.now(),
        waitingRoomOpensAt: opensAt.toISOString()
      }
    }
  )

  app.post(
    '/api/join/:token',
    {
      config: { rateLimit: { max: config.joinRateLimit, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary: 'Enter the waiting room with a name; returns a credential for this consultation',
        params: TokenParams,
        body: Type.Object({ displayName: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }) }, { additionalProperties: false }),
        response: { 200: Entered, ...errorResponses(400, 404, 409, 410, 425, 429) }
      }
    },
    async (request, reply) => {
      const displayName = request.body.displayName.trim()
      const returning = await app.participantFrom(request)
      if (!returning) {
        if (!TOKEN_SHAPE.test(request.params.token)) throw new errors.joinLinkInvalid()
        const entry = await entrance.enter({ tokenHash: hashToken(request.params.token), displayName, request })
        if (entry.kind === 'refused') throw entry.error
        if (entry.kind === 'entered') return answer(entry.participant, entry.consultationEndAt, reply)
      }
      // A returning client, or a consultation with a deadline due but not yet applied (the job is a
      // moment late): entering changes no state, so it needs no exclusive lock; only the deadline is
      // caught up first, under the row lock.
      const resolved = await resolve(request.em, request.params.token)
      const { invitation } = resolved
      let { consultation } = resolved
      if (consultation.dueAt && consultation.dueAt.getTime() <= Date.now()) {
        consultation = await request.em.fork().transactional(async (em: EntityManager) => {
          const locked = (await resolve(em, request.params.token, true)).consultation
          await app.consultationStates.apply(em, locked)
          return locked
        })
      }
      // The same rules as the batched entrance; a deadline still due here is the job's to apply.
      const verdict = entryVerdict({ ...consultation, dueAt: null }, Date.now(), config)
      if (verdict?.kind === 'refused') throw verdict.error
      const participant = await request.em.transactional(async (em: EntityManager) => {
        // A shared lock: joins do not wait for each other, but an END waits for them (and they for it),
        // so a name can never be written after the names of an ended consultation were erased.
        const current = await em.findOne(Consultation, { id: consultation.id }, { lockMode: LockMode.PESSIMISTIC_READ, refresh: true })
        if (!current || (current.state !== 'waiting' && current.state !== 'live')) throw new errors.joinLinkExpired()
        let participant = returning?.consultation === consultation.id ? await em.findOne(Participant, { id: returning.id }) : null
        if ((!participant || participant.status === 'left') && !(await hasFreeSeat(app, em, participant?.invitation ?? invitation.id))) {
          throw new errors.joinLinkFull(config.joinLinkParticipants)
        }
        if (participant) {
          participant.displayName = displayName
          if (participant.status === 'left') comeBack(participant)
        } else {
          participant = em.create(Participant, {
            id: randomUUID(),
            consultation: consultation.id,
            invitation: invitation.id,
            displayName,
            status: 'waiting',
            waitingSince: new Date()
          })
        }
        await app.ipAnonymizer.record(em, 'join', request)
        await em.flush()
        await app.lifecycle.emit(em, 'participant.joined', consultation, { participantId: participant.id })
        await app.realtime.publish(
          em,
          { practice: consultation.practice },
          { type: 'participant.waiting', consultationId: consultation.id, participant: participantView(participant) }
        )
        return participant
      })
      return answer(participant, consultation.endAt, reply)
    }
  )

  function answer(participant: Participant, consultationEndAt: Date, reply: FastifyReply) {
    const expiresAt = new Date(consultationEndAt.getTime() + config.liveGrace)
    const credential = app.sessions.issueParticipantCredential(participant, expiresAt, reply)
    return {
      participantId: participant.id,
      consultationId: participant.consultation,
      status: participant.status,
      credential,
      expiresAt: expiresAt.toISOString()
    }
  }

  app.get(
    '/api/participant',
    {
      onRequest: app.requireParticipant,
      schema: {
        tags,
        summary: "The participant's own status (after a reconnect)",
        response: {
          200: Type.Object({ participantId: Uuid, consultationId: Uuid, status: Entered.properties.status, consultationState: State }),
          ...errorResponses(401)
        }
      }
    },
    async request => {
      const p = request.participant!
      const c = await request.em.findOneOrFail(Consultation, { id: p.consultation }, { fields: ['state'] })
      return { participantId: p.id, consultationId: p.consultation, status: p.status, consultationState: c.state }
    }
  )

  app.post(
    '/api/participant/leave',
    {
      onRequest: app.requireParticipant,
      schema: { tags, summary: 'Leave the waiting room or the call', response: { 204: Type.Null(), ...errorResponses(401) } }
    },
    async (request, reply) => {
      await markLeft(app, request.em, request.participant!.id)
      return reply.code(204).send(null)
    }
  )
}

export default routes
