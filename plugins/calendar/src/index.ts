import { createHash, createHmac, randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { FastifyRequest } from 'fastify'
import {
  accountStanding,
  errors,
  invitedConsultations,
  inviteesByConsultation,
  practiceConsultations,
  settingsReader,
  type Config,
  type ScheduledConsultation
} from '@sprechzimmer/core'
import { entities, migrations, CalendarFeed, CalendarSetting } from './entities.js'
import { FragmentCache, calendarText, type FeedEvent } from './render.js'

export { entities, migrations, CalendarFeed, CalendarSetting }
export { FragmentCache, calendarText, renderEvent, uidOf, type FeedEvent } from './render.js'

export interface CalendarSettings {
  /** Consultations that ended up to this long ago stay in the feed (SZ_CALENDAR_FEED_PAST, 28d). */
  past: number
  /** Consultations starting up to this far ahead are in the feed (SZ_CALENDAR_FEED_FUTURE, 183d). */
  future: number
  /** At most this many events in one feed (SZ_CALENDAR_FEED_MAX_EVENTS, 20000). */
  maxEvents: number
}

export function calendarSettings(env: NodeJS.ProcessEnv = process.env): CalendarSettings {
  const read = settingsReader(env)
  return {
    past: read.duration('SZ_CALENDAR_FEED_PAST', '28d'),
    future: read.duration('SZ_CALENDAR_FEED_FUTURE', '183d'),
    maxEvents: read.integer('SZ_CALENDAR_FEED_MAX_EVENTS', 20_000, { min: 1 })
  }
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')

const FeedUrl = Type.Object({ url: Type.String({ format: 'uri', description: 'Secret: whoever has it can read the feed; rotate to revoke' }) })
const FeedSettings = Type.Object(
  {
    includeClientDetails: Type.Boolean({
      description: 'Whether provider and practice feeds name the invited clients (ATTENDEE with name and e-mail). Off by default: feeds are pseudonymised.'
    })
  },
  { additionalProperties: false }
)
const ErrorRef = Type.Unsafe<{ statusCode: number; code: string; message: string }>(Type.Ref('ErrorResponse'))

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const settings = calendarSettings()
    const cache = new FragmentCache()
    // The feed window and Last-Modified read this clock; tests replace `now` to move time.
    const clock = { now: () => new Date() }
    app.decorate('calendarFeeds', { cache, settings, clock })

    /** Derived like join links (HMAC of the row id), so the URL can be shown again; only its hash is stored. */
    const tokenFor = (feedId: string) => createHmac('sha256', config.sessionSecret).update(`calendar-feed:${feedId}`).digest('base64url')
    const urlFor = (feedId: string) => `${config.publicUrl}/cal/${tokenFor(feedId)}.ics`

    async function feedRow(em: EntityManager, userId: string, scope: 'user' | 'practice', practice: string | null, rotate: boolean): Promise<string> {
      return await em.transactional(async (tx: EntityManager) => {
        // Serialises concurrent first calls and rotations of one user.
        await tx.getConnection().execute('select pg_advisory_xact_lock(hashtext(?))', [`calendar-feed:${userId}:${scope}`], 'all', tx.getTransactionContext())
        const existing = await tx.findOne(CalendarFeed, { user: userId, scope })
        if (existing && !rotate) return existing.id
        if (existing) await tx.nativeDelete(CalendarFeed, { id: existing.id })
        const id = randomUUID()
        await tx.insert(CalendarFeed, {
          id,
          user: userId,
          scope,
          practice,
          tokenHash: sha256(tokenFor(id)),
          createdAt: new Date(),
          lastEtag: null,
          changedAt: null
        })
        return id
      })
    }

    async function requireAdmin(request: FastifyRequest): Promise<void> {
      await app.requireProvider.call(app, request, undefined as any)
      if (!request.account!.isPracticeAdmin) throw new errors.forbidden('Only practice admins may do this')
    }

    const routes: FastifyPluginAsyncTypebox = async r => {
      const tags = ['calendar']
      r.get(
        '/api/me/calendar-feed',
        {
          onRequest: app.requireUser,
          schema: { tags, summary: 'The secret iCal URL of your own consultations (created on first call)', response: { 200: FeedUrl, 401: ErrorRef } }
        },
        async request => ({ url: urlFor(await feedRow(request.em, request.account!.id, 'user', request.account!.practice ?? null, false)) })
      )

      r.post(
        '/api/me/calendar-feed/rotate',
        {
          onRequest: app.requireUser,
          schema: { tags, summary: 'A new secret iCal URL; the old one answers 404 at once', response: { 200: FeedUrl, 401: ErrorRef, 403: ErrorRef } }
        },
        async request => ({ url: urlFor(await feedRow(request.em, request.account!.id, 'user', request.account!.practice ?? null, true)) })
      )

      r.get(
        '/api/practice/calendar-feed',
        {
          onRequest: requireAdmin,
          schema: {
            tags,
            summary: "A practice admin's secret iCal URL of every consultation of the practice",
            response: { 200: FeedUrl, 401: ErrorRef, 403: ErrorRef }
          }
        },
        async request => ({ url: urlFor(await feedRow(request.em, request.account!.id, 'practice', request.account!.practice!, false)) })
      )

      r.post(
        '/api/practice/calendar-feed/rotate',
        {
          onRequest: requireAdmin,
          schema: { tags, summary: 'A new practice-wide iCal URL; the old one answers 404 at once', response: { 200: FeedUrl, 401: ErrorRef, 403: ErrorRef } }
        },
        async request => ({ url: urlFor(await feedRow(request.em, request.account!.id, 'practice', request.account!.practice!, true)) })
      )

      r.get(
        '/api/practice/calendar-settings',
        {
          onRequest: requireAdmin,
          schema: { tags, summary: "The practice's feed settings", response: { 200: FeedSettings, 401: ErrorRef, 403: ErrorRef } }
        },
        async request => {
          const s = await request.em.findOne(CalendarSetting, { practice: request.account!.practice! })
          return { includeClientDetails: s?.includeClientDetails ?? false }
        }
      )

      r.put(
        '/api/practice/calendar-settings',
        {
          onRequest: requireAdmin,
          schema: {
            tags,
            summary: 'Switch client names and e-mails in provider and practice feeds on or off',
            body: FeedSettings,
            response: { 200: FeedSettings, 400: ErrorRef, 401: ErrorRef, 403: ErrorRef }
          }
        },
        async request => {
          await request.em.upsert(CalendarSetting, {
            practice: request.account!.practice!,
            includeClientDetails: request.body.includeClientDetails,
            updatedAt: new Date()
          })
          return { includeClientDetails: request.body.includeClientDetails }
        }
      )

      r.get(
        '/cal/:file',
        {
          schema: {
            tags,
            summary: 'An iCal feed (text/calendar) by its secret URL; ETag/Last-Modified, 304 when unchanged',
            params: Type.Object({ file: Type.String({ maxLength: 100 }) }),
            response: { 200: Type.String({ description: 'text/calendar; charset=utf-8' }), 304: Type.Null({ description: 'Not modified' }), 404: ErrorRef }
          }
        },
        async (request, reply) => {
          const { file } = request.params
          const match = /^([A-Za-z0-9_-]{43})\.ics$/.exec(file)
          if (!match) throw new errors.notFound('Calendar feed')
          const em = request.em
          const feed = await em.findOne(CalendarFeed, { tokenHash: sha256(match[1]) })
          if (!feed) throw new errors.notFound('Calendar feed')
          const owner = await accountStanding(em, feed.user)
          // A practice feed lives only as long as its owner administers that practice.
          if (!owner || (feed.scope === 'practice' && (!owner.isPracticeAdmin || owner.practiceId !== feed.practice)))
            throw new errors.notFound('Calendar feed')

          const now = clock.now()
          const window = { from: new Date(now.getTime() - settings.past), to: new Date(now.getTime() + settings.future), limit: settings.maxEvents }
          let rows: ScheduledConsultation[]
          let variant: string
          let attendees: Map<string, Array<{ email: string; name: string | null }>> | undefined
          if (feed.scope === 'user' && owner.kind === 'client') {
            variant = 'client'
            // Invitations to an address are the address owner's: an account that has not proven it sees none.
            rows = owner.emailVerified ? await invitedConsultations(em, owner.email, window) : []
          } else {
            const practiceId = feed.scope === 'practice' ? feed.practice! : owner.practiceId
            if (!practiceId) throw new errors.notFound('Calendar feed')
            variant = feed.scope === 'practice' ? 'practice' : 'provider'
            const scope = { practiceId, ...(variant === 'provider' ? { providerId: feed.user } : {}) }
            const setting = await em.findOne(CalendarSetting, { practice: practiceId })
            rows = await practiceConsultations(em, scope, window)
            if (setting?.includeClientDetails && rows.length > 0) attendees = await inviteesByConsultation(em, scope, window)
          }

          const events: FeedEvent[] = rows.map(({ invitationId, ...row }) => ({
            ...row,
            url: invitationId ? app.joinLinks.urlFor(invitationId) : `${config.publicUrl}/consultations/${row.id}`,
            description: invitationId
              ? `Video consultation – join here: ${app.joinLinks.urlFor(invitationId)}`
              : `Video consultation – open it in Sprechzimmer: ${config.publicUrl}/consultations/${row.id}`,
            attendees: attendees ? (attendees.get(row.id) ?? []) : undefined
          }))
          // A client's fragment carries their own join link, so it is keyed by the invitation too.
          const variants = rows.map(row => (row.invitationId ? `client:${row.invitationId}` : variant))
          const keys = events.map((e, i) => cache.keyOf(e, variants[i]))
          const etag = `"${createHash('sha1')
            .update(`${feed.id}\n${keys.join('\n')}`)
            .digest('base64url')}"`
          // Last-Modified is the newest consultation change, unless the feed changed without one (an event left
          // the window, a setting changed what is shown): then the time a new ETag was first served.
          let changedAt = feed.changedAt
          if (feed.lastEtag !== etag) {
            changedAt = feed.lastEtag === null ? null : now
            await em.nativeUpdate(CalendarFeed, { id: feed.id }, { lastEtag: etag, ...(changedAt ? { changedAt } : {}) })
            changedAt ??= feed.changedAt
          }
          let lastModifiedMs = Math.max(feed.createdAt.getTime(), changedAt?.getTime() ?? 0)
          for (const e of events) if (e.updatedAt.getTime() > lastModifiedMs) lastModifiedMs = e.updatedAt.getTime()
          const lastModified = new Date(Math.floor(lastModifiedMs / 1000) * 1000)

          reply.header('etag', etag)
          reply.header('last-modified', lastModified.toUTCString())
          reply.header('cache-control', 'private, no-cache')
          const inm = request.headers['if-none-match']
          const ims = request.headers['if-modified-since']
          const notModified =
            inm !== undefined
              ? inm.split(',').some(tag => tag.trim().replace(/^W\//, '') === etag || tag.trim() === '*')
              : ims !== undefined && !Number.isNaN(Date.parse(ims)) && lastModified.getTime() <= Date.parse(ims)
          if (notModified) return reply.code(304).send(null)
          const fragments = events.map((e, i) => cache.fragment(e, variants[i], keys[i]))
          return reply
            .type('text/calendar; charset=utf-8')
            .header('content-disposition', 'inline; filename="sprechzimmer.ics"')
            .send(calendarText('Sprechzimmer', fragments))
        }
      )
    }
    await app.register(routes)
  },
  { fastify: '5.x', name: '@sprechzimmer/plugin-calendar', dependencies: ['@sprechzimmer/runtime', '@sprechzimmer/auth'] }
)

declare module 'fastify' {
  interface FastifyInstance {
    calendarFeeds: { cache: FragmentCache; settings: CalendarSettings; clock: { now(): Date } }
  }
}
