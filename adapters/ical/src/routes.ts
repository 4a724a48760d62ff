import { randomUUID } from 'node:crypto'
import { Type } from 'typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { EntityManager } from '@mikro-orm/postgresql'
import { errors, parseDuration, type Config } from '@sprechzimmer/core'
import { CalendarSource } from './entities.js'
import { FetchError, checkUrl, resolveSafe } from './fetch.js'
import { ErrorRef, IdParams, Report, SourceInput, SourceView, SyncQuery, UploadQuery } from './schemas.js'
import { MAX_POLL_INTERVAL_MS, type IcalSettings } from './settings.js'
import type { SyncReport } from './sync.js'
import { codedError, view } from './views.js'

/** What the routes need from the plugin (index.ts): its settings, its sync, and arming a source's poll job. */
export interface SourceRouteDeps {
  config: Config
  settings: IcalSettings
  sync: (source: CalendarSource, uploaded?: string, force?: boolean) => Promise<SyncReport>
  arm: (sourceId: string, delayMs: number) => Promise<void>
}

/** The calendar-source routes, for practice admins only; `app` is the instance the plugin runs on. */
export function sourceRoutes(app: FastifyInstance, { config, settings, sync, arm }: SourceRouteDeps): FastifyPluginAsync {
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
        if (!request.body || typeof request.body !== 'object') throw new errors.validation('send JSON {url} or an iCalendar file (Content-Type: text/calendar)')
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
  return routes
}

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
