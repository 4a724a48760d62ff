import { createHmac, randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Static } from 'typebox'
import type { EntityManager } from '@mikro-orm/postgresql'
import { Consultation, Invitation, User, consultationView, errors, lockOwned } from '@sprechzimmer/core'
import { AppointmentLink } from './entities.js'
import { restErrors } from './errors.js'
import {
  Appointment,
  AppointmentInput,
  AppointmentList,
  AppointmentParams,
  AppointmentPatch,
  IdempotencyHeaders,
  ListQuery,
  errorResponses
} from './schemas.js'

type AppointmentBody = Static<typeof Appointment>
type ClientBody = NonNullable<AppointmentBody['clients']>[number]

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** JSON with sorted keys, so that the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map(k => `${JSON.stringify(k)}:${canonical((value as any)[k])}`)
      .join(',')}}`
  return JSON.stringify(value ?? null)
}

/**
 * Core's consultation view (the same rule for what a purged consultation still shows), in the REST
 * API's words: liveAt and endedAt are actualStart and actualEnd, and the practice software's externalId
 * and the updatedAt it syncs by are added.
 */
export function appointmentView(c: Consultation, externalId: string | null, opensBefore: number, clients?: ClientBody[]): AppointmentBody {
  const { liveAt, endedAt, ...view } = consultationView(c, opensBefore)
  const base = { ...view, externalId, updatedAt: c.updatedAt.toISOString() }
  if (c.state === 'purged') return base
  return { ...base, actualStart: liveAt ?? null, actualEnd: endedAt ?? null, ...(clients ? { clients } : {}) }
}

/** A stored first answer: the body without the clients' addresses and links, which are rebuilt from the invitations. */
interface StoredAnswer {
  status: number
  body: Omit<AppointmentBody, 'clients'>
  clientIds: string[]
}

class Replay extends Error {
  constructor(
    readonly kind: 'idempotency' | 'externalId',
    readonly requestHash: string,
    readonly answer: StoredAnswer | null
  ) {
    super('replay')
  }
}

export function appointmentRoutes(app: FastifyInstance): FastifyPluginAsyncTypebox {
  const opensBefore = app.config.waitingRoomOpensBefore
  const hashSecret = createHmac('sha256', app.config.sessionSecret).update('rest-idempotency').digest()
  const requestHash = (body: unknown) => createHmac('sha256', hashSecret).update(canonical(body)).digest('hex')

  async function clientsOf(em: EntityManager, consultationId: string, ids?: string[]): Promise<ClientBody[]> {
    const invitations = await em.find(Invitation, ids ? { id: { $in: ids } } : { consultation: consultationId }, { orderBy: { createdAt: 'asc' } })
    const byId = new Map(invitations.map(i => [i.id, i]))
    const ordered = ids ? ids.map(id => byId.get(id)).filter((i): i is Invitation => !!i) : invitations
    return ordered.map(i => ({ id: i.id, email: i.email, name: i.name ?? null, locale: i.locale ?? null, joinUrl: app.joinLinks.urlFor(i.id) }))
  }

  async function externalIdOf(em: EntityManager, consultationId: string): Promise<string | null> {
    return (await em.findOne(AppointmentLink, { consultation: consultationId }))?.externalId ?? null
  }

  /** The appointment's id from `:id`: the id itself, or else the externalId. Other practices' appointments are 404. */
  async function resolve(em: EntityManager, practice: string, idOrExternal: string): Promise<string> {
    if (UUID.test(idOrExternal)) {
      const c = await em.findOne(Consultation, { id: idOrExternal.toLowerCase(), practice }, { fields: ['id'] })
      if (c) return c.id
    }
    const link = await em.findOne(AppointmentLink, { practice, externalId: idOrExternal })
    if (link) return link.consultation
    throw new errors.notFound('Appointment')
  }

  /** The write routes on one appointment: resolve `:id` in the caller's practice, lock it, let `act` change it, answer its view. */
  async function changeAppointment(
    request: { apiClient: { practice: string } | null; em: EntityManager; params: { id: string } },
    act: (em: EntityManager, c: Consultation) => Promise<void>
  ): Promise<AppointmentBody> {
    const practice = request.apiClient!.practice
    const c = await request.em.transactional(async (em: EntityManager) => {
      const c = await lockOwned(app, em, await resolve(em, practice, request.params.id), practice)
      await act(em, c)
      return c
    })
    return appointmentView(c, await externalIdOf(request.em, c.id), opensBefore)
  }

  async function replay(em: EntityManager, stored: StoredAnswer): Promise<AppointmentBody> {
    return { ...stored.body, clients: await clientsOf(em, stored.body.id, stored.clientIds) }
  }

  return async api => {
    const tags = ['practice API: appointments']
    const read = { scope: 'appointments:read' as const }
    const write = { scope: 'appointments:write' as const }

    api.post(
      '/api/v1/appointments',
      {
        config: write,
        schema: {
          tags,
          summary: 'Book a video consultation; one join link per client',
          description:
            'The same externalId, or the same Idempotency-Key header, never creates a second appointment: a retry gets the first answer ' +
            '(header `idempotent-replayed: true`). Another body under the same Idempotency-Key is 422; under the same externalId 409.',
          headers: IdempotencyHeaders,
          body: AppointmentInput,
          response: { 201: Appointment, ...errorResponses(400, 401, 403, 409, 422, 429) }
        }
      },
      async (request, reply) => {
        const body = request.body
        const practice = request.apiClient!.practice
        const idempotencyKey = request.headers['idempotency-key'] as string | undefined
        const hash = requestHash(body)
        try {
          const answer = await request.em.transactional(async (em: EntityManager) => {
            // Claim first: a concurrent twin blocks on the unique index until this transaction ends, then replays.
            if (idempotencyKey) {
              const claimed = await em.execute(
                'insert into rest_idempotency (id, practice_id, key, request_hash, created_at) values (?, ?, ?, ?, now()) ' +
                  'on conflict (practice_id, key) do nothing returning id',
                [randomUUID(), practice, idempotencyKey, hash]
              )
              if (claimed.length === 0) {
                const [row] = await em.execute('select request_hash, response from rest_idempotency where practice_id = ? and key = ?', [
                  practice,
                  idempotencyKey
                ])
                throw new Replay('idempotency', row.request_hash, row.response)
              }
            }
            const id = randomUUID()
            if (body.externalId) {
              const claimed = await em.execute(
                'insert into rest_appointment (consultation_id, practice_id, external_id, request_hash, response, created_at) ' +
                  "values (?, ?, ?, ?, '{}', now()) on conflict (practice_id, external_id) do nothing returning consultation_id",
                [id, practice, body.externalId, hash]
              )
              if (claimed.length === 0) {
                const [row] = await em.execute('select request_hash, response from rest_appointment where practice_id = ? and external_id = ?', [
                  practice,
                  body.externalId
                ])
                throw new Replay('externalId', row.request_hash, row.response)
              }
            }
            const provider = await findProvider(em, practice, body.providerId, body.providerEmail)
            const { consultation, invitations } = await app.consultations.schedule(em, {
              id,
              practice,
              provider,
              title: body.title,
              start: body.start,
              end: body.end,
              invitees: body.clients
            })
            const clients: ClientBody[] = invitations.map((created, i) => ({
              id: created.id,
              email: created.email,
              name: body.clients[i].name ?? null,
              locale: body.clients[i].locale ?? null,
              joinUrl: created.joinUrl
            }))
            const { clients: _omitted, ...view } = appointmentView(consultation, body.externalId ?? null, opensBefore)
            const stored: StoredAnswer = { status: 201, body: view, clientIds: clients.map(c => c.id) }
            if (idempotencyKey)
              await em.execute('update rest_idempotency set status_code = 201, response = ? where practice_id = ? and key = ?', [
                JSON.stringify(stored),
                practice,
                idempotencyKey
              ])
            if (body.externalId) await em.execute('update rest_appointment set response = ? where consultation_id = ?', [JSON.stringify(stored), id])
            return { ...view, clients }
          })
          return await reply.code(201).send(answer)
        } catch (err) {
          if (!(err instanceof Replay)) throw err
          if (err.requestHash !== hash) throw err.kind === 'idempotency' ? new restErrors.idempotencyMismatch() : new restErrors.externalIdTaken()
          if (!err.answer?.body) throw new errors.invalidTransition('being created')
          reply.header('idempotent-replayed', 'true')
          return await reply.code(201).send(await replay(request.em, err.answer))
        }
      }
    )

    async function findProvider(em: EntityManager, practice: string, providerId?: string, providerEmail?: string): Promise<string> {
      if (!providerId && !providerEmail) throw new restErrors.providerMissing()
      const where = providerId ? { id: providerId } : { email: providerEmail!.toLowerCase() }
      const user = await em.findOne(User, { ...where, practice, kind: 'provider' }, { fields: ['id'] })
      if (!user) throw new restErrors.providerUnknown(providerId ? 'providerId' : 'providerEmail')
      return user.id
    }

    api.get(
      '/api/v1/appointments',
      {
        config: read,
        schema: {
          tags,
          summary: "The practice's appointments, oldest start first, a page at a time",
          querystring: ListQuery,
          response: { 200: AppointmentList, ...errorResponses(400, 401, 403, 429) }
        }
      },
      async request => {
        const { from, to, updatedSince, state, cursor, limit: rawLimit } = request.query
        const limit = Number(rawLimit ?? '50')
        const where: Record<string, unknown> = { practice: request.apiClient!.practice }
        if (from) where.endAt = { $gte: new Date(from) }
        if (to) where.startAt = { $lt: new Date(to) }
        if (updatedSince) where.updatedAt = { $gte: new Date(updatedSince) }
        if (state) where.state = state
        if (cursor) {
          let after: { s: string; i: string }
          try {
            after = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
            if (typeof after.s !== 'string' || Number.isNaN(new Date(after.s).getTime()) || !UUID.test(after.i)) throw new Error('cursor')
          } catch {
            throw new restErrors.cursorInvalid()
          }
          const s = new Date(after.s)
          where.$or = [{ startAt: { $gt: s } }, { startAt: s, id: { $gt: after.i } }]
        }
        const rows = await request.em.find(Consultation, where, { orderBy: { startAt: 'asc', id: 'asc' }, limit: limit + 1 })
        const page = rows.slice(0, limit)
        const links = page.length ? await request.em.find(AppointmentLink, { consultation: { $in: page.map(c => c.id) } }) : []
        const external = new Map(links.map(l => [l.consultation, l.externalId]))
        const last = page[page.length - 1]
        return {
          items: page.map(c => appointmentView(c, external.get(c.id) ?? null, opensBefore)),
          nextCursor: rows.length > limit ? Buffer.from(JSON.stringify({ s: last.startAt.toISOString(), i: last.id })).toString('base64url') : null
        }
      }
    )

    api.get(
      '/api/v1/appointments/:id',
      {
        config: read,
        schema: {
          tags,
          summary: 'One appointment, by id or by externalId, with the join links',
          params: AppointmentParams,
          response: { 200: Appointment, ...errorResponses(401, 403, 404, 429) }
        }
      },
      async request => {
        const em = request.em
        const id = await resolve(em, request.apiClient!.practice, request.params.id)
        const c = await em.findOneOrFail(Consultation, { id })
        return appointmentView(c, await externalIdOf(em, id), opensBefore, c.state === 'purged' ? undefined : await clientsOf(em, id))
      }
    )

    api.patch(
      '/api/v1/appointments/:id',
      {
        config: write,
        schema: {
          tags,
          summary: 'Rename or reschedule (before the call has started)',
          params: AppointmentParams,
          body: AppointmentPatch,
          response: { 200: Appointment, ...errorResponses(400, 401, 403, 404, 409, 429) }
        }
      },
      async request =>
        await changeAppointment(request, async (em, c) => {
          await app.consultations.change(em, c, request.body)
        })
    )

    api.post(
      '/api/v1/appointments/:id/cancel',
      {
        config: write,
        schema: {
          tags,
          summary: 'Cancel an appointment whose call has not started (cancelling a cancelled one answers it again)',
          params: AppointmentParams,
          response: { 200: Appointment, ...errorResponses(401, 403, 404, 409, 429) }
        }
      },
      async request =>
        await changeAppointment(request, async (em, c) => {
          if ((await app.consultations.cancel(em, c)) === 'too late') throw new errors.invalidTransition(c.state)
        })
    )

    api.post(
      '/api/v1/appointments/:id/no-show',
      {
        config: write,
        schema: {
          tags,
          summary: 'Record that the client did not come',
          description:
            'Possible while nobody was ever admitted: a waiting consultation is ended (its waiting room closes), an ended or purged one ' +
            'is marked. Answers 409 SZ_CLIENT_WAS_ADMITTED once a client was admitted, and SZ_INVALID_STATE for scheduled, live or cancelled ' +
            'appointments. Marking twice is harmless. Webhooks: consultation.no_show (once per appointment and endpoint).',
          params: AppointmentParams,
          response: { 200: Appointment, ...errorResponses(401, 403, 404, 409, 429) }
        }
      },
      async request =>
        await changeAppointment(request, async (em, c) => {
          await app.consultations.noShow(em, c)
        })
    )
  }
}
