import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { buildApp, loadConfig, Consultation } from '@sprechzimmer/core'
import { freshDatabase } from './database.mjs'
import { percentile, round } from './stats.mjs'
import { cpuMeter } from './cpu.mjs'

const TITLE = 'Bench: deadline'
const BATCH = 500
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

function shuffle(a) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

/** Registers a provider through the app and returns the ids of the provider and the practice. */
async function providerIds(app) {
  const email = `bench.deadlines.${process.pid}@example.org`
  const password = 'correct horse battery staple'
  const reg = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: {
      kind: 'provider',
      email,
      password,
      firstName: 'Anna',
      lastName: 'Sommer',
      practice: {
        name: 'Praxis Bench',
        type: 'Allgemeinmedizin',
        street: 'Hauptstraße 1',
        postalCode: '10115',
        city: 'Berlin',
        country: 'DE',
        contactName: 'Anna Sommer',
        contactEmail: 'praxis@example.org',
        iban: 'DE89 3704 0044 0532 0130 00',
        accountHolder: 'Anna Sommer'
      }
    }
  })
  if (reg.statusCode !== 202) throw new Error(`register: ${reg.statusCode} ${reg.body}`)
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } })
  if (login.statusCode !== 200) throw new Error(`login: ${login.statusCode} ${login.body}`)
  const { user } = login.json()
  return { provider: user.id, practice: user.practiceId }
}

/**
 * Creates consultations the way POST /api/consultations does (insert, flush, then `apply`, which arms
 * the ROOM_OPENS deadline as a pg-boss job on the same transaction), one transaction per batch.
 */
async function createConsultations(app, owner, roomOpensAt, title) {
  const opensBefore = app.config.waitingRoomOpensBefore
  for (let i = 0; i < roomOpensAt.length; i += BATCH) {
    await app.orm.em.fork().transactional(async em => {
      const list = roomOpensAt.slice(i, i + BATCH).map(due =>
        em.create(Consultation, {
          id: randomUUID(),
          ...owner,
          title,
          startAt: new Date(due + opensBefore),
          endAt: new Date(due + opensBefore + 30 * 60_000),
          ...app.consultationStates.initialSnapshot()
        })
      )
      await em.flush()
      for (const c of list) await app.consultationStates.apply(em, c)
    })
  }
}

/**
 * Part (b): `count` consultations whose waiting rooms open within the same `window` seconds. The app's
 * pg-boss workers fire ROOM_OPENS (scheduled → waiting); lateness is the `at` of the transition's
 * consultation.waiting notice minus the due time (start − SZ_WAITING_ROOM_OPENS_BEFORE).
 */
export async function deadlines(serverUrl, settings, log) {
  const { deadlines: count, window, lead, grace } = settings
  const db = await freshDatabase(serverUrl, 'deadlines')
  const dataDir = mkdtempSync(join(tmpdir(), 'sz-bench-data-'))
  const probe = new pg.Client({ connectionString: db.url, application_name: 'sz-bench-probe' })
  let app
  try {
    const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' }, { sessionSecret: 'x'.repeat(40), dataDir, loginRateLimit: 1_000_000 })
    app = await buildApp({ config, databaseUrl: db.url, logger: false })
    // Only for information: notices go through the lifecycle.event queue, so they arrive later.
    let dispatched = 0
    app.lifecycle.on('consultation.waiting', async () => {
      dispatched++
    })
    await app.ready()
    await probe.connect()
    const owner = await providerIds(app)

    // Calibrate the set-up speed on consultations far in the future (they stay scheduled), so the
    // window can start `lead` seconds after the set-up has finished.
    const farAway = n => Array.from({ length: n }, () => Date.now() + 30 * 86_400_000)
    await createConsultations(app, owner, farAway(BATCH), 'Bench: calibration') // warm-up (JIT, pool)
    const calibration = 2 * BATCH
    let t = Date.now()
    await createConsultations(app, owner, farAway(calibration), 'Bench: calibration')
    const perItem = (Date.now() - t) / calibration
    const estimate = perItem * count
    const windowStart = Math.ceil((Date.now() + estimate + lead * 1000) / 1000) * 1000
    const windowMs = window * 1000
    const roomOpensAt = shuffle(Array.from({ length: count }, (_, i) => windowStart + Math.floor(((i + 0.5) * windowMs) / count)))
    log(
      `  creating ${count} consultations (set-up ~${round(perItem, 2)} ms each), ` +
        `room opening from +${round((windowStart - Date.now()) / 1000, 1)} s over ${window} s`
    )
    t = Date.now()
    await createConsultations(app, owner, roomOpensAt, TITLE)
    const setupSeconds = (Date.now() - t) / 1000
    const actualLead = (windowStart - Date.now()) / 1000
    const versions = (await probe.query('SELECT version, count(*)::int AS n FROM consultation WHERE title = $1 GROUP BY version', [TITLE])).rows
    if (versions.length !== 1) throw new Error(`unexpected versions after set-up: ${JSON.stringify(versions)}`)
    const createdVersion = versions[0].version
    log(`  set-up took ${round(setupSeconds, 1)} s; first deadline in ${round(actualLead, 1)} s`)
    if (actualLead < 5) log('  WARNING: the set-up ran into the window; raise BENCH_DEADLINE_LEAD')

    // Wait for the window to pass, and then for stragglers.
    const giveUp = windowStart + windowMs + grace * 1000
    const cpu = cpuMeter(process.pid)
    let waiting = 0
    let lastLog = 0
    for (;;) {
      await sleep(1000)
      waiting = (await probe.query("SELECT count(*)::int AS n FROM consultation WHERE title = $1 AND state <> 'scheduled'", [TITLE])).rows[0].n
      const now = Date.now()
      if (now - lastLog >= 10_000) {
        lastLog = now
        const rel = Math.round((now - windowStart) / 1000)
        log(`  ${rel < 0 ? `${-rel} s before` : `${rel} s into`} the window: ${waiting}/${count} transitioned`)
      }
      if (waiting >= count || now > giveUp) break
    }
    const allDoneAfterWindowStart = (Date.now() - windowStart) / 1000
    const cpuUsage = cpu.stop()

    const rows = (await probe.query('SELECT id, state, start_at, created_at, updated_at, version FROM consultation WHERE title = $1', [TITLE])).rows
    // Every transition enqueues its consultation.waiting notice on its own transaction: counting them
    // per consultation (queued or already dispatched) counts the transitions.
    const notices = (
      await probe.query(`
      SELECT data->>'consultationId' AS id, count(*)::int AS n, min((data->>'at')::timestamptz) AS at
        FROM (SELECT data FROM pgboss.job WHERE name = 'lifecycle.event'
              UNION ALL SELECT data FROM pgboss.archive WHERE name = 'lifecycle.event') j
       WHERE data->>'type' = 'consultation.waiting'
       GROUP BY 1`)
    ).rows
    const noticesById = new Map(notices.map(n => [n.id, n]))
    // When a consultation moved: its consultation.waiting notice's time, taken inside the transition.
    // Not updated_at: the call's lifecycle handler writes the media room record to the row afterwards.
    const movedAt = r => (noticesById.get(r.id)?.at ?? r.updated_at).getTime()
    const opensBefore = app.config.waitingRoomOpensBefore
    const lateness = []
    const buckets = new Map()
    let missed = 0
    let wrongState = 0
    let unexpectedVersion = 0
    for (const r of rows) {
      if (r.state === 'scheduled') {
        missed++
        continue
      }
      if (r.state !== 'waiting') wrongState++
      // One for the transition, and one when the call's handler stores the media room record.
      if (r.version > createdVersion + 2) unexpectedVersion++
      const due = r.start_at.getTime() - opensBefore
      const late = movedAt(r) - due
      lateness.push(late)
      const bucket = Math.floor((due - windowStart) / 10_000) * 10
      if (!buckets.has(bucket)) buckets.set(bucket, [])
      buckets.get(bucket).push(late)
    }
    lateness.sort((a, b) => a - b)
    // The longest pause in which no transition committed, while some were due: a stall of the workers.
    const committed = rows
      .filter(r => r.state !== 'scheduled')
      .map(movedAt)
      .sort((a, b) => a - b)
    let longestPause = { ms: 0, atSecond: null }
    for (let i = 1; i < committed.length; i++) {
      const gap = committed[i] - committed[i - 1]
      if (gap > longestPause.ms) longestPause = { ms: gap, atSecond: round((committed[i - 1] - windowStart) / 1000, 1) }
    }
    // pg-boss fetches due jobs in order of creation, not of due time: when the workers fall behind,
    // the consultations created last wait longest. Lateness by tenth of creation order shows that.
    const created = rows.filter(r => r.state !== 'scheduled').sort((a, b) => a.created_at - b.created_at)
    const byCreationOrder = Array.from({ length: 10 }, (_, tenth) => {
      const list = created
        .slice(Math.floor((tenth * created.length) / 10), Math.floor(((tenth + 1) * created.length) / 10))
        .map(r => movedAt(r) - (r.start_at.getTime() - opensBefore))
        .sort((a, b) => a - b)
      return { tenth: tenth + 1, count: list.length, p50: percentile(list, 50), p99: percentile(list, 99), max: list.at(-1) ?? null }
    })
    // How lateness develops over the window, 10 s at a time (a growing backlog shows here).
    const byDueTime = [...buckets]
      .sort((a, b) => a[0] - b[0])
      .map(([from, list]) => {
        list.sort((a, b) => a - b)
        return { dueFromSecond: from, count: list.length, p50: percentile(list, 50), p99: percentile(list, 99), max: list.at(-1) }
      })

    const doubleTransitions = notices.filter(n => n.n > 1).length
    const withoutNotice = rows.filter(r => r.state !== 'scheduled' && !noticesById.has(r.id)).length
    // How far the row's last updated_at is from the notice's time: the transition's flush, or the call
    // handler's later write of the media room record.
    const flushLag = rows
      .filter(r => noticesById.has(r.id))
      .map(r => r.updated_at.getTime() - noticesById.get(r.id).at.getTime())
      .sort((a, b) => a - b)

    // Queue diagnostics: how long after start_after a worker picked the deadline job up.
    const pickup = (
      await probe.query(`
      SELECT extract(epoch FROM started_on - start_after) * 1000 AS ms
        FROM (SELECT started_on, start_after, state FROM pgboss.job WHERE name = 'lifecycle.deadline'
              UNION ALL SELECT started_on, start_after, state FROM pgboss.archive WHERE name = 'lifecycle.deadline') j
       WHERE state = 'completed'`)
    ).rows
      .map(r => Number(r.ms))
      .sort((a, b) => a - b)
    const backlog = (await probe.query("SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'lifecycle.event' AND state IN ('created', 'retry')")).rows[0].n

    const ms = v => round(v, 0)
    return {
      consultations: count,
      windowSeconds: window,
      setupSeconds: round(setupSeconds, 1),
      leadSeconds: round(actualLead, 1),
      transitioned: lateness.length,
      missed,
      wrongState,
      lastTransitionAfterWindowStartSeconds: round(allDoneAfterWindowStart, 1),
      latenessMs: {
        min: ms(lateness[0] ?? null),
        p50: ms(percentile(lateness, 50)),
        p95: ms(percentile(lateness, 95)),
        p99: ms(percentile(lateness, 99)),
        max: ms(lateness.at(-1) ?? null),
        mean: ms(lateness.reduce((a, b) => a + b, 0) / (lateness.length || 1))
      },
      goal: { p99Ms: '< 2000' },
      latenessByDueTime: byDueTime,
      latenessByCreationOrder: byCreationOrder,
      longestPauseBetweenTransitions: longestPause,
      doubleTransitions,
      transitionsWithoutNotice: withoutNotice,
      unexpectedVersion,
      versionAfterSetup: createdVersion,
      updatedAtMinusNoticeAtMs: { p50: ms(percentile(flushLag, 50)), p99: ms(percentile(flushLag, 99)), max: ms(flushLag.at(-1) ?? null) },
      jobPickupDelayMs: {
        p50: ms(percentile(pickup, 50)),
        p95: ms(percentile(pickup, 95)),
        p99: ms(percentile(pickup, 99)),
        max: ms(pickup.at(-1) ?? null),
        jobs: pickup.length
      },
      cpu: cpuUsage,
      lifecycleNotices: { dispatchedToHandlersDuringRun: dispatched, stillQueuedAtEnd: backlog }
    }
  } finally {
    await probe.end().catch(() => {})
    if (app) await app.close().catch(err => log(`  app.close failed: ${err.message}`))
    await db.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
