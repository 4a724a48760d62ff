import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import { Type } from 'typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { EntityManager } from '@mikro-orm/postgresql'
import { Practice, errors, parseDuration, type Config } from '@sprechzimmer/core'
import { entities, migrations, CalendarSource, ImportedEvent } from './entities.js'
import { FetchError, checkUrl, fetchFeed, resolveSafe } from './fetch.js'
import { FeedError } from './parse.js'
import { syncText, type SyncReport, type SyncSettings } from './sync.js'

export { entities, migrations, CalendarSource, ImportedEvent }
export { parseFeed, unfold, FeedError, type Instance, type ParseOptions, type ParseResult } from './parse.js'
export { resolveZone, wallToUtc } from './timezones.js'
export { isPrivateAddress, fetchFeed, FetchError } from './fetch.js'
export type { SyncReport } from './sync.js'

export interface IcalSettings extends SyncSettings {
  pollIntervalMs: number
  maxBytes: number
  fetchTimeoutMs: number
}

export function icalSettings (env: NodeJS.ProcessEnv = process.env): IcalSettings {
  const int = (name: string, fallback: number) => {
    const n = Number(env[name] || fallback)
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: "${env[name]}" must be a whole number ≥ 1`)
    return n
  }
  return {
    pollIntervalMs: parseDuration('SZ_ICAL_POLL_INTERVAL', env.SZ_ICAL_POLL_INTERVAL || '15m'),
    horizonMs: parseDuration('SZ_ICAL_HORIZON', env.SZ_ICAL_HORIZON || '90d'),
    fetchTimeoutMs: parseDuration('SZ_ICAL_FETCH_TIMEOUT', env.SZ_ICAL_FETCH_TIMEOUT || '20s'),
    budgetMs: parseDuration('SZ_ICAL_PARSE_BUDGET', env.SZ_ICAL_PARSE_BUDGET || '20s'),
    maxBytes: int('SZ_ICAL_MAX_BYTES', 10 * 1024 * 1024),
    maxEvents: int('SZ_ICAL_MAX_EVENTS', 50_000),
    maxInstances: int('SZ_ICAL_MAX_INSTANCES', 20_000),
    maxInstancesPerSeries: int('SZ_ICAL_MAX_INSTANCES_PER_SERIES', 500)
  }
}

const ErrorRef = Type.Unsafe<{ statusCode: number, code: string, message: string }>(Type.Ref('ErrorResponse'))
const Selection = Type.Union([Type.Literal('all'), Type.Literal('category'), Type.Literal('keyword')])
const SourceInput = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) or webcal URL that the server polls' }),
  selection: Type.Optional(Selection),
  value: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The category or keyword (summary/location), e.g. "Video"' })),
  pollInterval: Type.Optional(Type.String({ pattern: '^\\d+(ms|s|m|h|d)$', description: 'e.g. 15m; at least 1m' }))
}, { additionalProperties: false })
const SourceView = Type.Object({
  id: Type.String({ format: 'uuid' }), url: Type.Union([Type.String(), Type.Null()]), selection: Selection, value: Type.Union([Type.String(), Type.Null()]),
  pollIntervalMs: Type.Integer(), lastSyncAt: Type.Union([Type.String(), Type.Null()]), lastError: Type.Union([Type.String(), Type.Null()])
})
const Report = Type.Object({
  created: Type.Integer(), updated: Type.Integer(), cancelled: Type.Integer(), unchanged: Type.Integer(),
  skipped: Type.Array(Type.Object({ uid: Type.String(), reason: Type.String() })), withoutInvitation: Type.Array(Type.String()), complete: Type.Boolean()
})
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
const UploadQuery = Type.Object({ selection: Type.Optional(Selection), value: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false })

const POLL_QUEUE = 'ical.poll'

const view = (s: CalendarSource) => ({
  id: s.id, url: s.url ?? null, selection: s.selection, value: s.selectionValue ?? null, pollIntervalMs: s.pollIntervalMs,
  lastSyncAt: s.lastSyncAt ? s.lastSyncAt.toISOString() : null, lastError: s.lastError ?? null
})

const codedError = (e: FetchError | FeedError) => e instanceof FetchError
  ? Object.assign(new Error(e.message), { code: e.code, statusCode: e.statusCode })
  : Object.assign(new Error(e.message), { code: 'SZ_ICAL_INVALID', statusCode: 422 })

export default fp<{ config: Config }>(async (app, { config }) => {
  const settings = icalSettings()

  async function timeZoneOf (practice: string): Promise<string> {
    const p = await app.orm.em.fork().findOne(Practice, { id: practice }, { fields: ['timeZone'] })
    return p?.timeZone ?? 'Europe/Berlin'
  }

  /** Fetches (URL sources) or takes the uploaded text and syncs; records the outcome on the source. */
  async function sync (source: CalendarSource, uploaded?: string): Promise<SyncReport> {
    const em = app.orm.em.fork()
    try {
      let text = uploaded
      if (text === undefined) {
        if (!source.url) throw new FetchError('SZ_ICAL_NO_URL', 'This source has no URL; upload the .ics file (Content-Type: text/calendar)', 400)
        const fetched = await fetchFeed(source.url, { allowPrivate: config.allowPrivateUrls, maxBytes: settings.maxBytes, timeoutMs: settings.fetchTimeoutMs })
        text = fetched.text
        await em.nativeUpdate(CalendarSource, { id: source.id }, { etag: fetched.etag })
      }
      const report = await syncText(app, source, text, settings, await timeZoneOf(source.practice))
      await em.nativeUpdate(CalendarSource, { id: source.id }, { lastSyncAt: new Date(), lastError: null })
      app.log.info({ sourceId: source.id, created: report.created, updated: report.updated, cancelled: report.cancelled, skipped: report.skipped.length }, 'ical: source synced')
      return report
    } catch (err) {
      if (err instanceof FetchError || err instanceof FeedError) {
        await em.nativeUpdate(CalendarSource, { id: source.id }, { lastSyncAt: new Date(), lastError: `${err instanceof FetchError ? err.code : 'SZ_ICAL_INVALID'}: ${err.message}`.slice(0, 500) })
        throw codedError(err)
      }
      throw err
    }
  }

  async function requireAdmin (request: FastifyRequest): Promise<void> {
    await app.requireProvider.call(app, request, undefined as any)
    if (!request.account!.isPracticeAdmin) throw new errors.forbidden('Only practice admins may manage calendar sources')
  }

  async function owned (em: EntityManager, id: string, practice: string): Promise<CalendarSource> {
    const s = await em.findOne(CalendarSource, { id, practice })
    if (!s) throw new errors.notFound('Calendar source')
    return s
  }

  const routes: FastifyPluginAsync = async (r) => {
    // Uploads: text/calendar, only in this plugin's routes, limited in size.
    r.addContentTypeParser('text/calendar', { parseAs: 'string', bodyLimit: settings.maxBytes }, (_req, body, done) => { done(null, body) })
    r.addHook('onRequest', requireAdmin)
    const tags = ['calendar sources']

    r.post('/api/calendar-sources', {
      schema: {
        tags, summary: 'Register a calendar source: JSON {url} (polled), or an uploaded .ics file (Content-Type: text/calendar), which is synced at once',
        querystring: UploadQuery,
        body: { content: { 'application/json': { schema: SourceInput }, 'text/calendar': { schema: Type.String({ description: 'an iCalendar file' }) } } } as any,
        response: { 201: Type.Object({ source: SourceView, report: Type.Optional(Report) }), 400: ErrorRef, 401: ErrorRef, 403: ErrorRef, 413: ErrorRef, 415: ErrorRef, 422: ErrorRef }
      }
    }, async (request, reply) => {
      const practice = request.account!.practice!
      const query = request.query as { selection?: 'all' | 'category' | 'keyword', value?: string }
      if (typeof request.body === 'string') {
        const source = await insertSource(request.em, practice, request.account!.id, null, query.selection ?? 'all', query.value ?? null, settings.pollIntervalMs)
        const report = await sync(source, request.body)
        return reply.code(201).send({ source: view(await request.em.fork().findOneOrFail(CalendarSource, { id: source.id })), report })
      }
      const body = request.body as { url: string, selection?: 'all' | 'category' | 'keyword', value?: string, pollInterval?: string }
      let url: URL
      try {
        url = checkUrl(body.url)
        await resolveSafe(url, config.allowPrivateUrls)
      } catch (err) {
        if (err instanceof FetchError) throw codedError(err)
        throw err
      }
      const selection = body.selection ?? 'all'
      if (selection !== 'all' && !body.value) throw new errors.validation('selection "category" or "keyword" needs a value')
      const interval = body.pollInterval ? parseDuration('pollInterval', body.pollInterval) : settings.pollIntervalMs
      if (interval < 60_000) throw new errors.validation('pollInterval must be at least 1m')
      const source = await insertSource(request.em, practice, request.account!.id, url.toString(), selection, body.value ?? null, interval)
      return reply.code(201).send({ source: view(source) })
    })

    r.get('/api/calendar-sources', {
      schema: { tags, summary: "The practice's calendar sources", response: { 200: Type.Array(SourceView), 401: ErrorRef, 403: ErrorRef } }
    }, async (request) => (await request.em.find(CalendarSource, { practice: request.account!.practice! }, { orderBy: { createdAt: 'asc' } })).map(view))

    r.post('/api/calendar-sources/:id/sync', {
      schema: {
        tags, summary: 'Sync now (a URL source is fetched; any source accepts an uploaded .ics body) and report what changed',
        params: IdParams,
        response: { 200: Report, 400: ErrorRef, 401: ErrorRef, 403: ErrorRef, 404: ErrorRef, 413: ErrorRef, 415: ErrorRef, 422: ErrorRef }
      }
    }, async (request) => {
      const { id } = request.params as { id: string }
      const source = await owned(request.em, id, request.account!.practice!)
      return await sync(source, typeof request.body === 'string' ? request.body : undefined)
    })

    r.delete('/api/calendar-sources/:id', {
      schema: { tags, summary: 'Remove a source (its consultations stay)', params: IdParams, response: { 204: Type.Null(), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef } }
    }, async (request, reply) => {
      const { id } = request.params as { id: string }
      const source = await owned(request.em, id, request.account!.practice!)
      await request.em.nativeDelete(CalendarSource, { id: source.id })
      return reply.code(204).send()
    })
  }
  await app.register(routes)

  await app.jobs.createQueue(POLL_QUEUE, { policy: 'short' })
  app.decorate('icalSources', { sync, settings, poll: () => poll(app, sync) })
  app.addHook('onReady', async () => {
    await app.jobs.work(POLL_QUEUE, {}, async () => { await poll(app, sync) })
    await app.jobs.schedule(POLL_QUEUE, '* * * * *')
  })
}, { fastify: '5.x', name: '@sprechzimmer/adapter-ical', dependencies: ['@sprechzimmer/runtime', '@sprechzimmer/auth'] })

async function insertSource (em: EntityManager, practice: string, provider: string, url: string | null, selection: 'all' | 'category' | 'keyword', value: string | null, pollIntervalMs: number): Promise<CalendarSource> {
  const source = em.create(CalendarSource, { id: randomUUID(), practice, provider, url, selection, selectionValue: value, pollIntervalMs, etag: null, lastSyncAt: null, lastError: null, createdAt: new Date() })
  await em.flush()
  return source
}

/**
 * One poll round (a pg-boss cron job, once a minute): every URL source whose interval has passed is
 * claimed with an UPDATE (so N instances never sync one source twice) and synced.
 */
async function poll (app: FastifyInstance, sync: (s: CalendarSource) => Promise<SyncReport>): Promise<number> {
  const em = app.orm.em.fork()
  const claimed = await em.getConnection().execute<Array<{ id: string }>>(
    `update ical_source set last_sync_at = now() where id in (
       select id from ical_source where url is not null and (last_sync_at is null or last_sync_at + poll_interval_ms * interval '1 millisecond' <= now())
       order by last_sync_at nulls first limit 20 for update skip locked) returning id`)
  for (const { id } of claimed) {
    const source = await em.findOne(CalendarSource, { id })
    if (!source) continue
    try { await sync(source) } catch (err: any) { app.log.warn({ sourceId: id, code: err?.code }, 'ical: poll failed') }
  }
  return claimed.length
}

declare module 'fastify' {
  interface FastifyInstance {
    icalSources: { sync (source: CalendarSource, uploaded?: string): Promise<SyncReport>, settings: IcalSettings, poll (): Promise<number> }
  }
}
