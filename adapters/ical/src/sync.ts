import { createHash, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { EntityManager } from '@mikro-orm/postgresql'
import { Invitation } from '@sprechzimmer/core'
import { CalendarSource, ImportedEvent } from './entities.js'
import type { Instance, ParseOptions, ParseResult, Skipped } from './parse.js'

export interface SyncReport {
  created: number
  updated: number
  cancelled: number
  unchanged: number
  skipped: Skipped[]
  /** Consultations created without an invitation (no ATTENDEE with an e-mail), by UID. */
  withoutInvitation: string[]
  /** False when limits cut the feed short; then vanished events are not cancelled. */
  complete: boolean
  /** The server answered 304 to If-None-Match / If-Modified-Since: nothing was read or written. */
  notModified?: boolean
  /**
   * SZ_QUOTA_CONSULTATIONS_PER_SYNC was reached: the events past it were not created (each is listed in
   * `skipped`); the next sync creates the next ones.
   */
  quotaReached?: boolean
}

export interface SyncSettings {
  horizonMs: number
  maxInstancesPerSeries: number
  maxInstances: number
  budgetMs: number
  maxEvents: number
  /** At most this many consultations are created by one sync (SZ_QUOTA_CONSULTATIONS_PER_SYNC). */
  quotaPerSync: number
}

const MAX_REPORTED = 500

export function selected(source: Pick<CalendarSource, 'selection' | 'selectionValue'>, instance: Instance): boolean {
  if (source.selection === 'all' || !source.selectionValue) return true
  const value = source.selectionValue.toLowerCase()
  if (source.selection === 'category') return instance.categories.some(c => c.split(',').some(x => x.trim().toLowerCase() === value))
  return instance.summary.toLowerCase().includes(value) || instance.location.toLowerCase().includes(value)
}

const hashOf = (i: Instance) =>
  createHash('sha256')
    .update(JSON.stringify([i.start.toISOString(), i.end.toISOString(), i.summary, i.status, i.attendees.map(a => a.email).sort()]))
    .digest('hex')
const titleOf = (i: Instance) => (i.summary.replace(/[\r\n]+/g, ' ').trim() || 'Termin').slice(0, 200)
const inviteesOf = (i: Instance) => i.attendees.slice(0, 50).map(a => ({ email: a.email, ...(a.name ? { name: a.name } : {}) }))

/** The parse options of a sync that starts `now`: the window and the limits. */
export function parseOptions(settings: SyncSettings, timeZone: string, now = new Date()): ParseOptions {
  return {
    defaultZone: timeZone,
    from: now,
    to: new Date(now.getTime() + settings.horizonMs),
    maxInstancesPerSeries: settings.maxInstancesPerSeries,
    maxInstances: settings.maxInstances,
    budgetMs: settings.budgetMs,
    maxEvents: settings.maxEvents
  }
}

/** Reads a feed and brings the source's consultations in line with it; see README for the rules. */
export async function syncText(
  app: FastifyInstance,
  source: CalendarSource,
  text: string,
  settings: SyncSettings,
  timeZone: string,
  parse: (text: string, options: ParseOptions) => Promise<ParseResult>
): Promise<SyncReport> {
  const options = parseOptions(settings, timeZone)
  return await applyFeed(app, source, await parse(text, options), options, settings)
}

/** Brings the source's consultations in line with a parsed feed (read with `options`). */
export async function applyFeed(
  app: FastifyInstance,
  source: CalendarSource,
  parsed: ParseResult,
  options: ParseOptions,
  settings: SyncSettings
): Promise<SyncReport> {
  const now = new Date()
  const report: SyncReport = {
    created: 0,
    updated: 0,
    cancelled: 0,
    unchanged: 0,
    skipped: [...parsed.skipped],
    withoutInvitation: [],
    complete: parsed.complete
  }
  const overQuota = new Set<string>()
  const troubled = new Set(parsed.skipped.filter(s => !/^(all-day|recurrence has)/.test(s.reason)).map(s => s.uid))

  const em = app.orm.em.fork() as EntityManager
  const existing = new Map((await em.find(ImportedEvent, { source: source.id })).map(row => [row.eventKey, row]))
  const present = new Set<string>()

  for (const instance of parsed.instances) {
    const row = existing.get(instance.key)
    if (!selected(source, instance)) {
      if (!row) report.skipped.push({ uid: instance.uid, reason: 'not selected by the source filter' })
      else present.add(instance.key)
      continue
    }
    present.add(instance.key)
    const hash = hashOf(instance)
    if (row && row.hash === hash) {
      report.unchanged++
      continue
    }
    if (instance.end <= now) {
      if (!row) report.skipped.push({ uid: instance.uid, reason: 'already over' })
      else report.unchanged++
      continue
    }
    try {
      if (!row) {
        if (instance.status === 'CANCELLED') {
          report.skipped.push({ uid: instance.uid, reason: 'cancelled' })
          continue
        }
        // Past the quota nothing more is created (and nothing half): one entry per UID says what was left.
        if (report.created >= settings.quotaPerSync) {
          report.quotaReached = true
          if (!overQuota.has(instance.uid))
            report.skipped.push({
              uid: instance.uid,
              reason: `not created: the quota of ${settings.quotaPerSync} new consultations per sync is reached; the next sync continues`
            })
          overQuota.add(instance.uid)
          continue
        }
        await create(app, source, instance, hash)
        report.created++
        if (instance.attendees.length === 0) report.withoutInvitation.push(instance.uid)
      } else if (instance.status === 'CANCELLED') {
        if (await cancel(app, source, row, hash)) report.cancelled++
        else report.unchanged++
      } else if (row.cancelled || !row.consultation) {
        report.skipped.push({ uid: instance.uid, reason: 'its consultation was cancelled or deleted in Sprechzimmer' })
      } else {
        await update(app, source, row, instance, hash)
        report.updated++
      }
    } catch (err: any) {
      report.skipped.push({ uid: instance.uid, reason: err?.code ? `${err.code}: ${String(err.message).slice(0, 120)}` : 'could not be applied' })
      if (!err?.code) app.log.warn({ err, sourceId: source.id }, 'ical: event could not be applied')
    }
  }

  // Vanished future events cancel their consultations; only when the whole feed was read, within the
  // expansion window, and never for an event that is there but could not be read.
  if (parsed.complete) {
    for (const row of existing.values()) {
      if (present.has(row.eventKey) || row.cancelled || !row.consultation) continue
      if (row.startAt <= now || row.startAt > options.to) continue
      const uid = row.eventKey.split('|')[0]
      if (troubled.has(uid)) continue
      try {
        if (await cancel(app, source, row, row.hash)) report.cancelled++
      } catch (err: any) {
        report.skipped.push({ uid, reason: `vanished, but could not be cancelled: ${err?.code ?? 'error'}` })
      }
    }
  }
  if (report.skipped.length > MAX_REPORTED) {
    const more = report.skipped.length - MAX_REPORTED
    report.skipped = report.skipped.slice(0, MAX_REPORTED)
    report.skipped.push({ uid: '…', reason: `${more} more skipped events not listed` })
  }
  return report
}

async function create(app: FastifyInstance, source: CalendarSource, instance: Instance, hash: string): Promise<void> {
  await app.orm.em.fork().transactional(async (em: EntityManager) => {
    const { consultation } = await app.consultations.schedule(em, {
      practice: source.practice,
      provider: source.provider,
      title: titleOf(instance),
      start: instance.start,
      end: instance.end,
      invitees: inviteesOf(instance)
    })
    em.create(ImportedEvent, {
      id: randomUUID(),
      source: source.id,
      eventKey: instance.key,
      consultation: consultation.id,
      hash,
      startAt: consultation.startAt,
      cancelled: false
    })
    await em.flush()
  })
}

async function update(app: FastifyInstance, source: CalendarSource, row: ImportedEvent, instance: Instance, hash: string): Promise<void> {
  await app.orm.em.fork().transactional(async (em: EntityManager) => {
    const c = await app.consultationStates.lock(em, { id: row.consultation!, practice: source.practice })
    if (!c) throw Object.assign(new Error('The consultation is gone'), { code: 'SZ_NOT_FOUND' })
    const moved = c.startAt.getTime() !== instance.start.getTime() || c.endAt.getTime() !== instance.end.getTime()
    await app.consultations.change(em, c, { title: titleOf(instance), ...(moved ? { start: instance.start, end: instance.end } : {}) })
    // New attendees get an invitation; removed ones keep theirs (a practice removes people in the portal).
    const invited = new Set((await em.find(Invitation, { consultation: c.id }, { fields: ['email'] })).map(i => i.email))
    for (const invitee of inviteesOf(instance)) if (!invited.has(invitee.email)) await app.consultations.invite(em, c, invitee)
    const r = await em.findOneOrFail(ImportedEvent, { id: row.id })
    r.hash = hash
    r.startAt = instance.start
    await em.flush()
    row.hash = hash
  })
}

/** Cancels the consultation of an imported event; false when it was not cancellable any more (started, over). */
async function cancel(app: FastifyInstance, source: CalendarSource, row: ImportedEvent, hash: string): Promise<boolean> {
  return await app.orm.em.fork().transactional(async (em: EntityManager) => {
    const r = await em.findOneOrFail(ImportedEvent, { id: row.id })
    r.cancelled = true
    r.hash = hash
    row.cancelled = true
    const c = row.consultation ? await app.consultationStates.lock(em, { id: row.consultation, practice: source.practice }) : null
    const done = c !== null && (await app.consultations.cancel(em, c)) === 'cancelled'
    await em.flush()
    return done
  })
}
