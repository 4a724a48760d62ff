import fp from 'fastify-plugin'
import type { EntityManager } from '@mikro-orm/postgresql'
import { Practice, errors, type Config } from '@sprechzimmer/core'
import { entities, migrations, CalendarSource, ImportedEvent } from './entities.js'
import { FetchError, fetchFeed } from './fetch.js'
import type { ParseOptions, ParseResult } from './parse.js'
import { ParserBusyError, ParserPool } from './pool.js'
import { sourceRoutes } from './routes.js'
import { icalSettings, type IcalSettings } from './settings.js'
import { applyFeed, parseOptions, type SyncReport } from './sync.js'
import { codeOf, codedError, known, type Known } from './views.js'

export { entities, migrations, CalendarSource, ImportedEvent }
export { parseFeed, unfold, FeedError, type Instance, type ParseOptions, type ParseResult } from './parse.js'
export { resolveZone, wallToUtc } from './timezones.js'
export { fetchFeed, FetchError } from './fetch.js'
export { isPrivateAddress } from '@sprechzimmer/core'
export { ParserIsolate, TooComplexError, type IsolateLimits } from './isolate.js'
export { ParserPool, ParserBusyError, type PoolLimits } from './pool.js'
export { occurrences } from './parse.js'
export type { SyncReport } from './sync.js'
export { icalSettings, MAX_POLL_INTERVAL_MS, type IcalSettings } from './settings.js'

/** One durable job per URL source, re-armed after each run (singletonKey = source id). */
const POLL_QUEUE = 'ical.poll-source'
const OLD_CRON_QUEUE = 'ical.poll'

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

    await app.register(sourceRoutes(app, { config, settings, sync, arm }))

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

declare module 'fastify' {
  interface FastifyInstance {
    icalSources: { sync(source: CalendarSource, uploaded?: string, force?: boolean): Promise<SyncReport>; settings: IcalSettings; parsers: ParserPool }
  }
}
