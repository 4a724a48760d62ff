import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import { Type } from 'typebox'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { EntityManager } from '@mikro-orm/postgresql'
import { Practice, errors, parseDuration, settingsReader, type Config } from '@sprechzimmer/core'
import { entities, migrations, CalendarSource, ImportedEvent } from './entities.js'
import { FetchError, checkUrl, fetchFeed, resolveSafe } from './fetch.js'
import { FeedError, type ParseOptions, type ParseResult } from './parse.js'
import { TooComplexError } from './isolate.js'
import { ParserBusyError, ParserPool } from './pool.js'
import { applyFeed, parseOptions, type SyncReport, type SyncSettings } from './sync.js'

export { entities, migrations, CalendarSource, ImportedEvent }
export { parseFeed, unfold, FeedError, type Instance, type ParseOptions, type ParseResult } from './parse.js'
export { resolveZone, wallToUtc } from './timezones.js'
export { fetchFeed, FetchError } from './fetch.js'
export { isPrivateAddress } from '@sprechzimmer/core'
export { ParserIsolate, TooComplexError, type IsolateLimits } from './isolate.js'
export { ParserPool, ParserBusyError, type PoolLimits } from './pool.js'
export { occurrences } from './parse.js'
export type { SyncReport } from './sync.js'

export interface IcalSettings extends SyncSettings {
  pollIntervalMs: number
  maxBytes: number
  fetchTimeoutMs: number
  /** Heap of the parser thread (SZ_ICAL_PARSE_HEAP_MB) and its hard wall-clock limit (SZ_ICAL_PARSE_TIMEOUT). */
  parseHeapMb: number
  parseTimeoutMs: number
  /** Parser threads (SZ_ICAL_PARSE_THREADS); one practice holds at most one at a time. */
  parseThreads: number
}

/**
 * The longest poll interval: a calendar polled less than once a day misses tomorrow's bookings (upload
 * the file or sync by hand instead), and it keeps the value far inside poll_interval_ms, a 32-bit int.
 */
export const MAX_POLL_INTERVAL_MS = 86_400_000

export function icalSettings(env: NodeJS.ProcessEnv = process.env): IcalSettings {
  const read = settingsReader(env)
  const atLeastOne = { min: 1 }
  return {
    pollIntervalMs: read.duration('SZ_ICAL_POLL_INTERVAL', '15m', { min: 1, max: MAX_POLL_INTERVAL_MS }),
    horizonMs: read.duration('SZ_ICAL_HORIZON', '90d'),
    fetchTimeoutMs: read.duration('SZ_ICAL_FETCH_TIMEOUT', '20s'),
    budgetMs: read.duration('SZ_ICAL_PARSE_BUDGET', '20s'),
    maxBytes: read.integer('SZ_ICAL_MAX_BYTES', 10 * 1024 * 1024, atLeastOne),
    maxEvents: read.integer('SZ_ICAL_MAX_EVENTS', 50_000, atLeastOne),
    maxInstances: read.integer('SZ_ICAL_MAX_INSTANCES', 20_000, atLeastOne),
    // 90 days of a daily series is 90; more is a calendar pasted in a loop, not a practice's series.
    maxInstancesPerSeries: read.integer('SZ_ICAL_MAX_INSTANCES_PER_SERIES', 100, atLeastOne),
    quotaPerSync: read.integer('SZ_QUOTA_CONSULTATIONS_PER_SYNC', 500, atLeastOne),
    parseHeapMb: read.integer('SZ_ICAL_PARSE_HEAP_MB', 256, atLeastOne),
    parseTimeoutMs: read.duration('SZ_ICAL_PARSE_TIMEOUT', '30s'),
    parseThreads: read.integer('SZ_ICAL_PARSE_THREADS', 2, atLeastOne)
  }
}

const ErrorRef = Type.Unsafe<{ statusCode: number; code: string; message: string }>(Type.Ref('ErrorResponse'))
const Selection = Type.Union([Type.Literal('all'), Type.Literal('category'), Type.Literal('keyword')])
const SourceInput = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) or webcal URL that the server polls' }),
    selection: Type.Optional(Selection),
    value: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The category or keyword (summary/location), e.g. "Video"' })),
    pollInterval: Type.Optional(Type.String({ pattern: '^\\d+(ms|s|m|h|d)$', maxLength: 20, description: 'e.g. 15m; from 1m to 1d' }))
  },
  { additionalProperties: false }
)
const SourceView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.Union([Type.String(), Type.Null()]),
  selection: Selection,
  value: Type.Union([Type.String(), Type.Null()]),
  pollIntervalMs: Type.Integer(),
  lastSyncAt: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()])
})
const Report = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  cancelled: Type.Integer(),
  unchanged: Type.Integer(),
  skipped: Type.Array(Type.Object({ uid: Type.String(), reason: Type.String() })),
  withoutInvitation: Type.Array(Type.String()),
  complete: Type.Boolean(),
  notModified: Type.Optional(Type.Boolean({ description: 'The calendar server answered 304 to If-None-Match / If-Modified-Since; nothing was written' })),
  quotaReached: Type.Optional(
    Type.Boolean({ description: 'SZ_QUOTA_CONSULTATIONS_PER_SYNC was reached; the events not created are listed in skipped, the next sync continues' })
  )
})
const SyncQuery = Type.Object(
  {
    force: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: download in full, without If-None-Match / If-Modified-Since' })
    )
  },
  { additionalProperties: false }
)
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
const UploadQuery = Type.Object(
  { selection: Type.Optional(Selection), value: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false }
)

/** One durable job per URL source, re-armed after each run (singletonKey = source id). */
const POLL_QUEUE = 'ical.poll-source'
const OLD_CRON_QUEUE = 'ical.poll'

const view = (s: CalendarSource) => ({
  id: s.id,
  url: s.url ?? null,
  selection: s.selection,
  value: s.selectionValue ?? null,
  pollIntervalMs: s.pollIntervalMs,
  lastSyncAt: s.lastSyncAt ? s.lastSyncAt.toISOString() : null,
  lastError: s.lastError ?? null
})

type Known = FetchError | FeedError | TooComplexError | ParserBusyError
const codeOf = (e: Known) => (e instanceof FeedError ? 'SZ_ICAL_INVALID' : e.code)
const codedError = (e: Known) =>
  Object.assign(new Error(e.message), { code: codeOf(e), statusCode: e instanceof FetchError || e instanceof ParserBusyError ? e.statusCode : 422 })
const known = (e: unknown): e is Known => e instanceof FetchError || e instanceof FeedError || e instanceof TooComplexError || e instanceof ParserBusyError

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const settings = icalSettings()

    async function timeZoneOf(practice: string): Promise<string> {
      const p = await app.orm.em.fork().findOne(Practice, { id: practice }, { fields: ['timeZone'] })
      return p?.timeZone ?? 'Europe/Berlin'
    }

    const parsers = new ParserPool({ threads: settings.parseThreads, heapMb: settings.parseHeapMb, timeoutMs: settings.parseTimeoutMs })
    app.addHook('onClose', async () => {
      await parsers.close()
    })

    /** Parses a feed for a practice in the parser pool (its own turn, one thread per practice at a time). */
    async function parseFor(practice: string, text: string): Promise<{ parsed: ParseResult; options: ParseOptions }> {
      const options = parseOptions(settings, await timeZoneOf(practice))
      return { parsed: await parsers.parse(practice, text, options), options }
    }

    async function recordError(sourceId: string, err: Known): Promise<never> {
      // A busy pool says nothing about the source: it keeps the outcome of its last sync.
      if (err instanceof ParserBusyError) throw codedError(err)
      await app.orm.em
        .fork()
        .nativeUpdate(CalendarSource, { id: sourceId }, { lastSyncAt: new Date(), lastError: `${codeOf(err)}: ${err.message}`.slice(0, 500) })
      throw codedError(err)
    }

    /**
     * Fetches (URL sources) or takes the uploaded text and syncs; records the outcome on the source. A URL
     * source is fetched with the validators of its last successful sync unless `force`; a 304 writes nothing.
     * Syncs of one source are serialised across instances by an advisory lock held for the sync. An upload is
     * parsed before that lock (and its transaction) is taken: a practice whose earlier parses still run waits
     * for its turn in the parser pool, and that wait must not hold one of the database pool's connections.
     */
    async function sync(source: CalendarSource, uploaded?: string, force = false): Promise<SyncReport> {
      let feed: { parsed: ParseResult; options: ParseOptions } | undefined
      if (uploaded !== undefined) {
        try {
          feed = await parseFor(source.practice, uploaded)
        } catch (err) {
          if (known(err)) return await recordError(source.id, err)
          throw err
        }
      }
      const em = app.orm.em.fork()
      return await em.transactional(async (lockEm: EntityManager) => {
        await lockEm.getConnection().execute('select pg_advisory_xact_lock(hashtext(?))', [`ical-source:${source.id}`], 'all', lockEm.getTransactionContext())
        const current = await em.fork().findOne(CalendarSource, { id: source.id })
        if (!current) throw new errors.notFound('Calendar source')
        try {
          let validators: { etag: string | null; lastModified: string | null } = { etag: null, lastModified: null }
          if (!feed) {
            if (!current.url) throw new FetchError('SZ_ICAL_NO_URL', 'This source has no URL; upload the .ics file (Content-Type: text/calendar)', 400)
            const conditional = !force && current.lastError == null
            const fetched = await fetchFeed(current.url, {
              allowPrivate: config.allowPrivateUrls,
              maxBytes: settings.maxBytes,
              timeoutMs: settings.fetchTimeoutMs,
              etag: conditional ? current.etag : null,
              lastModified: conditional ? current.lastModified : null
            })
            if (fetched.status === 304) {
              await em.nativeUpdate(CalendarSource, { id: current.id }, { lastSyncAt: new Date(), lastError: null })
              app.log.info({ sourceId: current.id }, 'ical: source not modified')
              return { created: 0, updated: 0, cancelled: 0, unchanged: 0, skipped: [], withoutInvitation: [], complete: true, notModified: true }
            }
            feed = await parseFor(current.practice, fetched.text)
            validators = { etag: fetched.etag, lastModified: fetched.lastModified }
          }
          const report = await applyFeed(app, current, feed.parsed, feed.options, settings)
          // Validators only after a successful sync: a failed one must not turn the next poll into a 304.
          await em.nativeUpdate(CalendarSource, { id: current.id }, { lastSyncAt: new Date(), lastError: null, ...validators })
          app.log.info(
            {
              sourceId: current.id,
              created: report.created,
              updated: report.updated,
              cancelled: report.cancelled,
              skipped: report.skipped.length,
              quotaReached: report.quotaReached === true
            },
            'ical: source synced'
          )
          return report
        } catch (err) {
          if (known(err)) return await recordError(current.id, err)
          throw err
        }
      })
    }

    async function requireAdmin(request: FastifyRequest): Promise<void> {
      await app.requireProvider.call(app, request, undefined as any)
      if (!request.account!.isPracticeAdmin) throw new errors.forbidden('Only practice admins may manage calendar sources')
    }

    async function owned(em: EntityManager, id: string, practice: string): Promise<CalendarSource> {
      const s = await em.findOne(CalendarSource, { id, practice })
      if (!s) throw new errors.notFound('Calendar source')
      return s
    }

    const routes: FastifyPluginAsync = async r => {
      // Uploads: text/calendar, only in this plugin's routes, limited in size.
      r.addContentTypeParser('text/calendar', { parseAs: 'string', bodyLimit: settings.maxBytes }, (_req, body, done) => {
        done(null, body)
      })
      r.addHook('onRequest', requireAdmin)
      const tags = ['calendar sources']

      r.post(
        '/api/calendar-sources',
        {
          schema: {
            tags,
            summary: 'Register a calendar source: JSON {url} (polled), or an uploaded .ics file (Content-Type: text/calendar), which is synced at once',
            querystring: UploadQuery,
            body: {
              content: { 'application/json': { schema: SourceInput }, 'text/calendar': { schema: Type.String({ description: 'an iCalendar file' }) } }
            } as any,
            response: {
              201: Type.Object({ source: SourceView, report: Type.Optional(Report) }),
              400: ErrorRef,
              401: ErrorRef,
              403: ErrorRef,
              404: ErrorRef,
              413: ErrorRef,
              415: ErrorRef,
              422: ErrorRef,
              429: ErrorRef
            }
          }
        },
        async (request, reply) => {
          const practice = request.account!.practice!
          const query = request.query as { selection?: 'all' | 'category' | 'keyword'; value?: string }
          if (typeof request.body === 'string') {
            const source = await insertSource(
              request.em,
              practice,
              request.account!.id,
              null,
              query.selection ?? 'all',
              query.value ?? null,
              settings.pollIntervalMs
            )
            const report = await sync(source, request.body)
            return reply.code(201).send({ source: view(await request.em.fork().findOneOrFail(CalendarSource, { id: source.id })), report })
          }
          // The body schema is chosen by content type: a request without one reaches here unvalidated.
          if (!request.body || typeof request.body !== 'object')
            throw new errors.validation('send JSON {url} or an iCalendar file (Content-Type: text/calendar)')
          const body = request.body as { url: string; selection?: 'all' | 'category' | 'keyword'; value?: string; pollInterval?: string }
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
          // The operator's SZ_ICAL_POLL_INTERVAL is trusted as it is (tests shorten it); a practice's own choice is not.
          if (body.pollInterval && interval < 60_000) throw new errors.validation('pollInterval must be at least 1m')
          if (body.pollInterval && interval > MAX_POLL_INTERVAL_MS) throw new errors.validation('pollInterval must be at most 1d')
          const source = await insertSource(request.em, practice, request.account!.id, url.toString(), selection, body.value ?? null, interval)
          await arm(source.id, 0)
          return reply.code(201).send({ source: view(source) })
        }
      )

      r.get(
        '/api/calendar-sources',
        {
          schema: { tags, summary: "The practice's calendar sources", response: { 200: Type.Array(SourceView), 401: ErrorRef, 403: ErrorRef } }
        },
        async request => (await request.em.find(CalendarSource, { practice: request.account!.practice! }, { orderBy: { createdAt: 'asc' } })).map(view)
      )

      r.post(
        '/api/calendar-sources/:id/sync',
        {
          schema: {
            tags,
            summary: 'Sync now (a URL source is fetched; any source accepts an uploaded .ics body) and report what changed',
            params: IdParams,
            querystring: SyncQuery,
            response: { 200: Report, 400: ErrorRef, 401: ErrorRef, 403: ErrorRef, 404: ErrorRef, 413: ErrorRef, 415: ErrorRef, 422: ErrorRef, 429: ErrorRef }
          }
        },
        async request => {
          const { id } = request.params as { id: string }
          const source = await owned(request.em, id, request.account!.practice!)
          const { force } = request.query as { force?: 'true' | 'false' }
          return await sync(source, typeof request.body === 'string' ? request.body : undefined, force === 'true')
        }
      )

      r.delete(
        '/api/calendar-sources/:id',
        {
          schema: {
            tags,
            summary: 'Remove a source (its consultations stay)',
            params: IdParams,
            response: { 204: Type.Null(), 401: ErrorRef, 403: ErrorRef, 404: ErrorRef }
          }
        },
        async (request, reply) => {
          const { id } = request.params as { id: string }
          const source = await owned(request.em, id, request.account!.practice!)
          await request.em.nativeDelete(CalendarSource, { id: source.id })
          return reply.code(204).send()
        }
      )
    }
    await app.register(routes)

    // Polling: one pg-boss job per URL source ('short' policy: at most one queued per source). Each run syncs
    // and re-arms the next at the source's interval; deleting the source ends the chain. At start-up every URL
    // source is armed again (a no-op where a job is queued), so a chain broken by a crash is restored.
    await app.jobs.createQueue(POLL_QUEUE, { policy: 'short', retryLimit: 1 })
    async function arm(sourceId: string, delayMs: number): Promise<void> {
      await app.jobs.send(POLL_QUEUE, { sourceId }, { singletonKey: sourceId, startAfter: new Date(Date.now() + Math.max(0, delayMs)) })
    }
    async function pollJob(sourceId: string): Promise<SyncReport | null> {
      const source = await app.orm.em.fork().findOne(CalendarSource, { id: sourceId })
      if (!source?.url) return null
      try {
        return await sync(source)
      } catch (err: any) {
        app.log.warn({ sourceId, code: err?.code }, 'ical: poll failed')
        return null
      } finally {
        const still = await app.orm.em.fork().findOne(CalendarSource, { id: sourceId }, { fields: ['pollIntervalMs'] })
        if (still) await arm(sourceId, still.pollIntervalMs)
      }
    }
    app.decorate('icalSources', { sync, settings, parsers })
    app.addHook('onReady', async () => {
      // The cron of earlier versions; per-source jobs replace it.
      await app.jobs.unschedule(OLD_CRON_QUEUE)
      // Warmed in the background: starting several threads (node-ical and its Temporal polyfill each) takes
      // seconds on a busy machine, past Fastify's plugin timeout; a parse that comes first waits for its thread.
      parsers.warm().catch(() => {})
      await app.jobs.work<{ sourceId: string }>(POLL_QUEUE, { concurrency: 2 }, async job => {
        await pollJob(job.data.sourceId)
      })
      const sources = await app.orm.em.fork().find(CalendarSource, { url: { $ne: null } }, { fields: ['id', 'pollIntervalMs', 'lastSyncAt'] })
      for (const s of sources) await arm(s.id, s.lastSyncAt ? s.lastSyncAt.getTime() + s.pollIntervalMs - Date.now() : 0)
    })
  },
  { fastify: '5.x', name: '@sprechzimmer/adapter-ical', dependencies: ['@sprechzimmer/runtime', '@sprechzimmer/auth'] }
)

async function insertSource(
  em: EntityManager,
  practice: string,
  provider: string,
  url: string | null,
  selection: 'all' | 'category' | 'keyword',
  value: string | null,
  pollIntervalMs: number
): Promise<CalendarSource> {
  const source = em.create(CalendarSource, {
    id: randomUUID(),
    practice,
    provider,
    url,
    selection,
    selectionValue: value,
    pollIntervalMs,
    etag: null,
    lastModified: null,
    lastSyncAt: null,
    lastError: null,
    createdAt: new Date()
  })
  await em.flush()
  return source
}

declare module 'fastify' {
  interface FastifyInstance {
    icalSources: { sync(source: CalendarSource, uploaded?: string, force?: boolean): Promise<SyncReport>; settings: IcalSettings; parsers: ParserPool }
  }
}
