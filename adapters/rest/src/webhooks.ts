import { createHash, createHmac, randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { EntityManager } from '@mikro-orm/postgresql'
import { Consultation, errors, type Config, type LifecycleEventType, type LifecycleNotice } from '@sprechzimmer/core'
import { AppointmentLink, WebhookEndpoint } from './entities.js'
import { createAgents, parseWebhookUrl, post, resolveChecked } from './delivery.js'
import { CreatedWebhook, IdParams, WEBHOOK_EVENTS, WebhookInput, WebhookView, errorResponses, type WebhookEventType } from './schemas.js'
import { backoff, type RestSettings } from './settings.js'

export const DELIVERY_QUEUE = 'rest.webhook'
export const SWEEP_QUEUE = 'rest.webhook-sweep'
const MAX_ENDPOINTS = 25
/** A delivery in flight holds its event this long; a crashed worker's event is taken up again after it. */
const LEASE_SECONDS = 120

interface StreamJob {
  endpointId: string
  consultationId: string
}
interface NewEvent {
  eventId: string
  ordinal: number
  type: WebhookEventType
  data: Record<string, unknown>
}

/**
 * The lifecycle notices that become webhooks of the same name: the public list, minus the one derived
 * here. The public list is written out on purpose: a new core event is no webhook until it is added.
 */
const FORWARDED = WEBHOOK_EVENTS.filter(
  (type): type is Exclude<WebhookEventType, 'consultation.no_show'> & LifecycleEventType => type !== 'consultation.no_show'
)

/** A UUID derived from a name, so the same event is never stored twice for an endpoint. */
function derivedId(name: string): string {
  const h = createHash('sha256').update(name).digest()
  h[6] = (h[6] & 0x0f) | 0x80
  h[8] = (h[8] & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

/**
 * Webhooks: endpoints, the events for them, and their delivery. See docs/webhooks.md for the contract:
 * at-least-once, in order per endpoint and consultation, exponential back-off, signed.
 */
export class Webhooks {
  private readonly agents = createAgents()
  private readonly secretKey: Buffer

  constructor(
    private readonly app: FastifyInstance,
    private readonly config: Config,
    private readonly settings: RestSettings
  ) {
    this.secretKey = createHmac('sha256', config.sessionSecret).update('rest-webhook-secret').digest()
  }

  /** The endpoint's signing secret: derived from SESSION_SECRET and the id, so the database never holds it. */
  secretFor(endpointId: string): string {
    return 'whsec_' + createHmac('sha256', this.secretKey).update(endpointId).digest('base64url')
  }

  close(): void {
    this.agents['http:'].destroy()
    this.agents['https:'].destroy()
  }

  async start(): Promise<void> {
    const { jobs } = this.app
    await jobs.createQueue(DELIVERY_QUEUE, { policy: 'short', retryLimit: 10, retryDelay: 1, retryBackoff: true })
    await jobs.createQueue(SWEEP_QUEUE, { policy: 'short' })
    for (const type of FORWARDED) this.app.lifecycle.on(type, notice => this.record(notice))
  }

  async startWorkers(): Promise<void> {
    const { jobs } = this.app
    await jobs.work<StreamJob>(DELIVERY_QUEUE, { batchSize: 1, concurrency: this.settings.concurrency }, async job => {
      await this.deliverStream(job.data.endpointId, job.data.consultationId)
    })
    await jobs.work(SWEEP_QUEUE, {}, async () => {
      await this.sweep()
    })
    await jobs.schedule(SWEEP_QUEUE, '* * * * *')
    await this.sweep()
  }

  /** Turns a lifecycle notice into one event per subscribed endpoint (idempotent: a redelivered notice adds nothing). */
  async record(notice: LifecycleNotice): Promise<void> {
    const em = this.app.orm.em.fork()
    const endpoints = await em.find(WebhookEndpoint, { practice: notice.practiceId }, { fields: ['id', 'events'] })
    if (endpoints.length === 0) return
    const events = await this.eventsFor(em, notice)
    const rows: unknown[] = []
    const streams = new Set<string>()
    for (const endpoint of endpoints) {
      for (const e of events) {
        if (!endpoint.events.includes(e.type)) continue
        rows.push({
          id: randomUUID(),
          event_id: e.eventId,
          endpoint_id: endpoint.id,
          consultation_id: notice.consultationId,
          source_id: notice.id,
          ordinal: e.ordinal,
          type: e.type,
          data: e.data,
          created_at: notice.at
        })
        streams.add(endpoint.id)
      }
    }
    if (rows.length === 0) return
    await em.transactional(async (tx: EntityManager) => {
      await tx.execute(
        `insert into rest_webhook_event (id, event_id, endpoint_id, consultation_id, source_id, ordinal, type, data, created_at, next_attempt_at)
        select id, event_id, endpoint_id, consultation_id, source_id, ordinal, type, data, created_at, now()
        from json_populate_recordset(null::rest_webhook_event, ?::json)
        on conflict (endpoint_id, event_id) do nothing`,
        [JSON.stringify(rows)]
      )
      await this.enqueue(
        tx,
        [...streams].map(endpointId => ({ endpointId, consultationId: notice.consultationId }))
      )
    })
  }

  /** One job per stream; the `short` policy keeps at most one waiting job per stream. */
  private async enqueue(em: EntityManager | null, streams: StreamJob[], startAfter?: Date): Promise<void> {
    if (streams.length === 0) return
    const jobs = streams.map(s => ({
      data: s,
      singletonKey: `${s.endpointId}:${s.consultationId}`,
      ...(startAfter ? { startAfter: startAfter.toISOString() } : {})
    }))
    await this.app.jobs.insert(DELIVERY_QUEUE, jobs, { em: em ?? undefined })
  }

  /** What practice software may learn from a notice: ids, states and times, never names, addresses or content. */
  private async eventsFor(em: EntityManager, notice: LifecycleNotice): Promise<NewEvent[]> {
    const c = await em.findOne(Consultation, { id: notice.consultationId }, { fields: ['id', 'startAt', 'endAt', 'state', 'noShow'] })
    const externalId = (await em.findOne(AppointmentLink, { consultation: notice.consultationId }, { fields: ['externalId'] }))?.externalId ?? null
    const base: Record<string, unknown> = { appointmentId: notice.consultationId, externalId }
    const times = c ? { start: c.startAt.toISOString(), end: c.endAt.toISOString() } : {}
    const d = notice.data
    const main = (data: Record<string, unknown>): NewEvent => ({
      eventId: derivedId(`${notice.id}:${notice.type}`),
      ordinal: 0,
      type: notice.type as WebhookEventType,
      data: { ...base, ...data }
    })
    const noShow = (markedBy: 'schedule' | 'practice'): NewEvent => ({
      eventId: derivedId(`no_show:${notice.consultationId}`),
      ordinal: 1,
      type: 'consultation.no_show',
      data: { ...base, ...times, markedBy }
    })
    switch (notice.type) {
      case 'consultation.scheduled':
        return [main({ state: 'scheduled', ...times })]
      case 'consultation.updated': {
        const events = [main({ state: c?.state ?? null, ...times, rescheduled: d.rescheduled === true, ...(d.noShow === true ? { noShow: true } : {}) })]
        if (d.noShow === true) events.push(noShow('practice'))
        return events
      }
      case 'consultation.ended': {
        // A no-show recorded through the API ends a waiting consultation; the row says so when this runs.
        const marked = d.noShow !== true && c?.noShow === true
        const record = {
          state: 'ended',
          noShow: d.noShow === true || marked,
          endReason: marked ? 'no-show' : (d.endReason ?? null),
          actualStart: d.actualStart ?? null,
          actualEnd: d.actualEnd ?? null,
          durationSeconds: d.durationSeconds ?? 0,
          participantsAdmitted: d.participantsAdmitted ?? 0,
          clientAdmitted: d.clientAdmitted ?? false
        }
        const events = [main({ ...times, ...record })]
        if (record.noShow) events.push(noShow(marked ? 'practice' : 'schedule'))
        return events
      }
      case 'participant.joined':
      case 'participant.admitted':
        return [main({ participantId: d.participantId ?? null })]
      case 'consultation.purged':
        return [main({ state: 'purged' })]
      default:
        return [main({ state: d.state ?? c?.state ?? null, previousState: d.previousState ?? null, ...times })]
    }
  }

  /**
   * Delivers the stream's events in order: the head is leased, posted, and only after it succeeded (or
   * was given up) does the next one go. A failure schedules the stream again after the back-off.
   */
  async deliverStream(endpointId: string, consultationId: string): Promise<void> {
    for (let guard = 0; guard < 10_000; guard++) {
      const em = this.app.orm.em.fork()
      const [head] = await em.execute(
        `select e.id, e.event_id, e.type, e.data, e.created_at, e.attempts, e.next_attempt_at, e.lease_until, w.url,
          (e.next_attempt_at <= now()) as due, (e.lease_until is null or e.lease_until < now()) as free
        from rest_webhook_event e join rest_webhook_endpoint w on w.id = e.endpoint_id
        where e.endpoint_id = ? and e.consultation_id = ? and e.status = 'pending'
        order by e.source_id, e.ordinal limit 1`,
        [endpointId, consultationId]
      )
      if (!head) return
      if (!head.free) return // another worker delivers it and goes on with the stream
      if (!head.due) {
        await this.enqueue(null, [{ endpointId, consultationId }], new Date(head.next_attempt_at))
        return
      }
      const claimed = await em.execute(
        `update rest_webhook_event set lease_until = now() + make_interval(secs => ?), attempts = attempts + 1
        where id = ? and status = 'pending' and next_attempt_at <= now() and (lease_until is null or lease_until < now()) returning attempts`,
        [LEASE_SECONDS, head.id]
      )
      if (claimed.length === 0) return
      const attempts = Number(claimed[0].attempts)
      const body = JSON.stringify({ id: head.event_id, type: head.type, createdAt: new Date(head.created_at).toISOString(), data: head.data })
      const result = await post(head.url, this.secretFor(endpointId), body, {
        allowPrivate: this.config.allowPrivateUrls,
        timeout: this.settings.timeout,
        agents: this.agents
      })
      const log = { endpointId, eventId: head.event_id, type: head.type, attempt: attempts, status: result.status, error: result.error }
      if (result.ok) {
        await em.execute(
          `update rest_webhook_event set status = 'delivered', delivered_at = now(), lease_until = null, last_status = ?, last_error = null where id = ?`,
          [result.status, head.id]
        )
        continue
      }
      if (attempts >= this.settings.attempts) {
        this.app.log.warn(log, 'webhook delivery given up')
        await em.execute(`update rest_webhook_event set status = 'failed', lease_until = null, last_status = ?, last_error = ? where id = ?`, [
          result.status,
          result.error,
          head.id
        ])
        continue
      }
      const next = new Date(Date.now() + backoff(this.settings, attempts))
      this.app.log.info({ ...log, retryAt: next.toISOString() }, 'webhook delivery failed')
      await em.transactional(async (tx: EntityManager) => {
        await tx.execute('update rest_webhook_event set next_attempt_at = ?, lease_until = null, last_status = ?, last_error = ? where id = ?', [
          next,
          result.status,
          result.error,
          head.id
        ])
        await this.enqueue(tx, [{ endpointId, consultationId }], next)
      })
      return
    }
  }

  /** Safety net (at start and once a minute): every stream with a due, unleased head gets a job. */
  async sweep(): Promise<number> {
    const em = this.app.orm.em.fork()
    const rows = await em.execute(`select distinct endpoint_id, consultation_id from rest_webhook_event
      where status = 'pending' and next_attempt_at <= now() and (lease_until is null or lease_until < now()) limit 5000`)
    await this.enqueue(
      null,
      rows.map((r: any) => ({ endpointId: r.endpoint_id, consultationId: r.consultation_id }))
    )
    // Delivered events are kept a week, given-up ones a month, for support; they hold ids and times only.
    await em.execute(
      `delete from rest_webhook_event
        where (status = 'delivered' and delivered_at < now() - interval '7 days') or (status = 'failed' and created_at < now() - interval '30 days')`
    )
    await em.execute(`delete from rest_idempotency where created_at < now() - interval '24 hours'`)
    return rows.length
  }

  routes(): FastifyPluginAsyncTypebox {
    return async api => {
      const tags = ['practice API: webhooks']
      const config = { scope: 'webhooks' as const }
      const view = (w: WebhookEndpoint) => ({ id: w.id, url: w.url, events: w.events as WebhookEventType[], createdAt: w.createdAt.toISOString() })

      api.post(
        '/api/v1/webhooks',
        {
          config,
          schema: {
            tags,
            summary: 'Register a webhook endpoint; the signing secret is shown only in this answer',
            description:
              'The host must resolve to public addresses only (all of them), unless SZ_ALLOW_PRIVATE_URLS. Deliveries are JSON POSTs ' +
              '`{id, type, createdAt, data}` signed in the header `Sprechzimmer-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.',
            body: WebhookInput,
            response: { 201: CreatedWebhook, ...errorResponses(400, 401, 403, 422, 429) }
          }
        },
        async (request, reply) => {
          const practice = request.apiClient!.practice
          const url = parseWebhookUrl(request.body.url)
          await resolveChecked(url, this.config.allowPrivateUrls)
          if ((await request.em.count(WebhookEndpoint, { practice })) >= MAX_ENDPOINTS)
            throw new errors.validation(`a practice has at most ${MAX_ENDPOINTS} webhook endpoints`)
          const endpoint = request.em.create(WebhookEndpoint, {
            id: randomUUID(),
            practice,
            url: url.toString(),
            events: [...request.body.events],
            createdAt: new Date()
          })
          await request.em.flush()
          request.log.info({ webhookId: endpoint.id }, 'webhook endpoint registered')
          return await reply.code(201).send({ ...view(endpoint), secret: this.secretFor(endpoint.id) })
        }
      )

      api.get(
        '/api/v1/webhooks',
        {
          config,
          schema: {
            tags,
            summary: "The practice's webhook endpoints (without secrets)",
            response: { 200: Type.Array(WebhookView), ...errorResponses(401, 403, 429) }
          }
        },
        async request => {
          const list = await request.em.find(WebhookEndpoint, { practice: request.apiClient!.practice }, { orderBy: { createdAt: 'asc' } })
          return list.map(view)
        }
      )

      api.delete(
        '/api/v1/webhooks/:id',
        {
          config,
          schema: {
            tags,
            summary: 'Remove a webhook endpoint and its undelivered events',
            params: IdParams,
            response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 429) }
          }
        },
        async (request, reply) => {
          const removed = await request.em.nativeDelete(WebhookEndpoint, { id: request.params.id, practice: request.apiClient!.practice })
          if (!removed) throw new errors.notFound('Webhook')
          return await reply.code(204).send(null)
        }
      )
    }
  }
}
