import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { EntityManager } from '@mikro-orm/postgresql'
import { errors } from '../../errors.js'
import { errorResponses } from '../../http/schemas.js'
import { Consultation } from './consultation.entity.js'
import { Invitation } from '../join/invitation.entity.js'
import { Participant } from '../join/participant.entity.js'
import { User } from '../account/user.entity.js'
import { lockOwned } from './service.js'
import { consultationView, participantView } from './views.js'
import {
  ConsultationInput,
  ConsultationPatch,
  ConsultationView,
  ScheduledConsultation,
  CreatedInvitation,
  InvitationInput,
  ParticipantView,
  IdParams,
  ParticipantParams,
  RangeQuery
} from './schemas.js'

const routes: FastifyPluginAsyncTypebox = async app => {
  const opensBefore = app.config.waitingRoomOpensBefore
  const tags = ['consultations']
  app.addHook('onRequest', app.requireProvider)
  const practiceOf = (request: { account: { practice?: string | null } | null }) => request.account!.practice!

  app.post(
    '/api/consultations',
    {
      schema: {
        tags,
        summary: 'Schedule a consultation and invite clients; one join URL per invitation',
        body: ConsultationInput,
        response: { 201: ScheduledConsultation, ...errorResponses(400, 401, 403, 429) }
      }
    },
    async (request, reply) => {
      const { title, start, end, participants } = request.body
      const result = await request.em.transactional(
        async (em: EntityManager) =>
          await app.consultations.schedule(em, { practice: practiceOf(request), provider: request.account!.id, title, start, end, invitees: participants })
      )
      const c = result.consultation
      const mailHeld = request.account!.emailVerifiedAt == null
      return reply.code(201).send({
        id: c.id,
        title: c.title,
        start: c.startAt.toISOString(),
        end: c.endAt.toISOString(),
        state: c.state,
        invitations: result.invitations,
        mailHeld
      })
    }
  )

  app.get(
    '/api/consultations',
    {
      schema: {
        tags,
        summary: "The practice's consultations overlapping a time range",
        querystring: RangeQuery,
        response: { 200: Type.Array(ConsultationView), ...errorResponses(400, 401, 403) }
      }
    },
    async request => {
      const { from, to } = request.query
      const where: Record<string, unknown> = { practice: practiceOf(request) }
      if (from) where.endAt = { $gte: new Date(from) }
      if (to) where.startAt = { $lt: new Date(to) }
      const list = await request.em.find(Consultation, where, { orderBy: { startAt: 'asc' }, limit: 1000 })
      return list.map(c => consultationView(c, opensBefore))
    }
  )

  app.get(
    '/api/consultations/:id',
    {
      schema: {
        tags,
        summary: 'One consultation with its invitations',
        params: IdParams,
        response: { 200: ConsultationView, ...errorResponses(401, 403, 404) }
      }
    },
    async request => {
      const c = await request.em.findOne(Consultation, { id: request.params.id, practice: practiceOf(request) })
      if (!c) throw new errors.notFound('Consultation')
      const invitations = await request.em.find(Invitation, { consultation: c.id }, { orderBy: { createdAt: 'asc' } })
      return consultationView(c, opensBefore, invitations, app.joinLinks.urlFor)
    }
  )

  app.patch(
    '/api/consultations/:id',
    {
      schema: {
        tags,
        summary: 'Rename or reschedule',
        params: IdParams,
        body: ConsultationPatch,
        response: { 200: ConsultationView, ...errorResponses(400, 401, 403, 404, 409) }
      }
    },
    async request => {
      const c = await request.em.transactional(async (em: EntityManager) => {
        const c = await lockOwned(app, em, request.params.id, practiceOf(request))
        await app.consultations.change(em, c, request.body)
        return c
      })
      return consultationView(c, opensBefore)
    }
  )

  app.post(
    '/api/consultations/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a consultation that has not started',
        params: IdParams,
        response: { 200: ConsultationView, ...errorResponses(401, 403, 404, 409) }
      }
    },
    async request => {
      const c = await request.em.transactional(async (em: EntityManager) => {
        const c = await lockOwned(app, em, request.params.id, practiceOf(request))
        if ((await app.consultations.cancel(em, c)) !== 'cancelled') throw new errors.invalidTransition(c.state)
        return c
      })
      return consultationView(c, opensBefore)
    }
  )

  app.post(
    '/api/consultations/:id/end',
    {
      schema: { tags, summary: 'End the call', params: IdParams, response: { 200: ConsultationView, ...errorResponses(401, 403, 404, 409) } }
    },
    async request => {
      const c = await request.em.transactional(async (em: EntityManager) => {
        const c = await lockOwned(app, em, request.params.id, practiceOf(request))
        await app.consultations.end(em, c)
        return c
      })
      return consultationView(c, opensBefore)
    }
  )

  app.post(
    '/api/consultations/:id/invitations',
    {
      schema: {
        tags,
        summary: 'Invite one more client',
        params: IdParams,
        body: InvitationInput,
        response: { 201: CreatedInvitation, ...errorResponses(400, 401, 403, 404, 409, 429) }
      }
    },
    async (request, reply) => {
      const created = await request.em.transactional(async (em: EntityManager) => {
        const c = await lockOwned(app, em, request.params.id, practiceOf(request))
        const provider = c.provider === request.account!.id ? request.account! : await em.findOne(User, { id: c.provider }, { fields: ['emailVerifiedAt'] })
        return { ...(await app.consultations.invite(em, c, request.body)), mailHeld: provider?.emailVerifiedAt == null }
      })
      return reply.code(201).send(created)
    }
  )

  app.get(
    '/api/consultations/:id/participants',
    {
      schema: {
        tags,
        summary: 'Who is waiting, admitted or has left',
        params: IdParams,
        response: { 200: Type.Array(ParticipantView), ...errorResponses(401, 403, 404) }
      }
    },
    async request => {
      const c = await request.em.findOne(Consultation, { id: request.params.id, practice: practiceOf(request) }, { fields: ['id'] })
      if (!c) throw new errors.notFound('Consultation')
      const list = await request.em.find(Participant, { consultation: c.id }, { orderBy: { waitingSince: 'asc' } })
      return list.map(participantView)
    }
  )

  app.post(
    '/api/consultations/:id/participants/:pid/admit',
    {
      schema: {
        tags,
        summary: 'Admit a waiting participant into the call (exactly once)',
        params: ParticipantParams,
        response: { 200: ParticipantView, ...errorResponses(401, 403, 404, 409) }
      }
    },
    async request => {
      const participant = await request.em.transactional(async (em: EntityManager) => {
        // The row lock serialises racing admits: the second sees the participant admitted already.
        const c = await lockOwned(app, em, request.params.id, practiceOf(request))
        const participant = await em.findOne(Participant, { id: request.params.pid, consultation: c.id })
        if (!participant) throw new errors.notFound('Participant')
        await app.consultationStates.apply(em, c)
        if (participant.status !== 'waiting') throw new errors.alreadyAdmitted(participant.status)
        if (c.state !== 'waiting' && c.state !== 'live') throw new errors.invalidTransition(c.state)
        participant.status = 'admitted'
        participant.admittedAt = new Date()
        c.emptySince = null
        if (c.state === 'waiting') await app.consultationStates.apply(em, c, { type: 'ADMIT' })
        else await app.consultationStates.apply(em, c)
        await app.lifecycle.emit(em, 'participant.admitted', c, { participantId: participant.id })
        await app.realtime.publish(
          em,
          { practice: c.practice, participant: participant.id },
          { type: 'participant.admitted', consultationId: c.id, participant: participantView(participant) }
        )
        return participant
      })
      return participantView(participant)
    }
  )
}

export default routes
