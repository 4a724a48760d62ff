import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pg from 'pg'
import WebSocket from 'ws'
import { buildApp, type App } from './app.js'

export type { App }
import { loadConfig, type Config } from './config.js'
import { startEmbeddedDatabase } from './db/embedded.js'
import { loggerOptions } from './http/logging.js'

/**
 * Helpers for tests of core and of plugins: a real app on a real, fresh PostgreSQL database, and the
 * HTTP steps every test needs (register, sign in, schedule, realtime). Imported as
 * `@sprechzimmer/core/testing`; never loaded by the server.
 */
type Test = { teardown(fn: () => unknown): void }

let embeddedServer: Promise<string> | undefined
let registerFinalTeardown: ((fn: () => Promise<void>) => void) | undefined

/** Tells the helpers how to clean up after the last test of a file (pass `tap.teardown`). */
export function setFinalTeardown(register: (fn: () => Promise<void>) => void): void {
  registerFinalTeardown = register
}

/** The server tests run against: DATABASE_URL, or one embedded PostgreSQL per test file. */
async function serverUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL
  embeddedServer ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sz-test-'))
    const db = await startEmbeddedDatabase(dir, 'postgres')
    if (!registerFinalTeardown) throw new Error('testing: call setFinalTeardown(tap.teardown) before using the embedded database')
    registerFinalTeardown(async () => {
      await db.stop()
      rmSync(dir, { recursive: true, force: true })
    })
    return db.url
  })()
  return await embeddedServer
}

/** A fresh, empty database; `drop` removes it (after everything using it has closed). */
export async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = await serverUrl()
  const name = `sz_test_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(base)
  url.pathname = '/' + name
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    }
  }
}

/** Apps built on a database from `testDatabase`, closed before it is dropped. */
const appsOn = new Map<string, Array<() => Promise<void>>>()

/**
 * A fresh database for one test, dropped at teardown. Apps that `build` puts on it are closed
 * first, whatever order the teardowns were registered in (a drop kills open connections).
 */
export async function testDatabase(t: Test): Promise<string> {
  const db = await createDatabase()
  appsOn.set(db.url, [])
  t.teardown(async () => {
    for (const close of appsOn.get(db.url) ?? []) await close()
    appsOn.delete(db.url)
    await db.drop()
  })
  return db.url
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return loadConfig(
    { LOG_LEVEL: 'silent' },
    {
      sessionSecret: 'test-secret-that-is-long-enough-for-hmac-use',
      dataDir: mkdtempSync(join(tmpdir(), 'sz-data-')),
      publicUrl: 'http://localhost:3000',
      ...overrides
    }
  )
}

export interface Built {
  app: App
  databaseUrl: string
  /** Every log line the app wrote (to check that nothing personal is logged). */
  logs: string[]
}

/** Builds the real app on a real database, ready to answer inject() calls; closed at teardown. */
export async function build(t: Test, overrides: Partial<Config> = {}, databaseUrl?: string): Promise<Built> {
  const db = databaseUrl ? { url: databaseUrl, drop: async () => {} } : await createDatabase()
  const url = db.url
  const logs: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      logs.push(chunk.toString())
      done()
    }
  })
  const app = await buildApp({ config: testConfig(overrides), databaseUrl: url, logger: { level: 'info', stream, ...loggerRedaction() } })
  // tap runs teardowns in the order they were added: close the app before its database goes.
  let closed: Promise<void> | undefined
  const close = async () => {
    closed ??= app.close()
    await closed
  }
  appsOn.get(url)?.push(close)
  t.teardown(async () => {
    await close()
    await db.drop()
  })
  await app.ready()
  return { app, databaseUrl: url, logs }
}

/** The same redaction and serializers as production, so that log assertions mean something. */
function loggerRedaction() {
  const { level, ...rest } = loggerOptions('info') as Record<string, unknown>
  return rest
}

let counter = 0
export const uniqueEmail = (prefix: string) => `${prefix}.${process.pid}.${Date.now()}.${counter++}@example.org`

export const practiceInput = (name = 'Praxis Dr. Sommer') => ({
  name,
  type: 'Psychotherapie',
  street: 'Hauptstraße 1',
  postalCode: '10115',
  city: 'Berlin',
  country: 'DE',
  contactName: 'Anna Sommer',
  contactEmail: 'praxis@example.org',
  iban: 'DE89 3704 0044 0532 0130 00',
  accountHolder: 'Anna Sommer'
})

export interface Session {
  cookie: string
  csrf: string
  userId: string
  practiceId: string | null
  email: string
}

function cookieFrom(setCookie: string | string[] | undefined, name: string): string {
  const all = Array.isArray(setCookie) ? setCookie : [setCookie ?? '']
  const line = all.find(c => c.startsWith(name + '='))
  if (!line) throw new Error(`no ${name} cookie set`)
  return line.split(';')[0]
}

export async function login(app: App, email: string, password: string): Promise<Session> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  const body = res.json()
  return { cookie: cookieFrom(res.headers['set-cookie'], 'APPSESSION'), csrf: body.csrfToken, userId: body.user.id, practiceId: body.user.practiceId, email }
}

/**
 * Opens the newest link that proves `email` (registration, resend or address change) through the real
 * endpoint, as the owner clicking it in the mail would; the token is derived as the mail derives it.
 */
export async function verifyAddress(app: App, email: string, purpose?: 'register' | 'change'): Promise<void> {
  const [row] = await app.orm.em.fork().execute<Array<{ id: string }>>(
    `select id from email_verification where email = ? and purpose ${purpose ? '= ?' : "in ('register', 'change')"} and used_at is null
        order by created_at desc limit 1`,
    [email.toLowerCase(), ...(purpose ? [purpose] : [])]
  )
  if (!row) throw new Error('no open verification link for that address')
  const res = await app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token: app.accounts.tokenFor(row.id) } })
  if (res.statusCode !== 200) throw new Error(`verify-email failed: ${res.statusCode} ${res.body}`)
}

export const TEST_PASSWORD = 'correct horse battery staple'

/** Registers an account (202), proves its address unless `verified: false`, and signs it in. */
export async function account(
  app: App,
  kind: 'provider' | 'client',
  options: { email?: string; practiceName?: string; verified?: boolean } = {}
): Promise<Session> {
  const email = options.email ?? uniqueEmail(kind)
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload:
      kind === 'provider'
        ? { kind, email, password: TEST_PASSWORD, title: 'Dr.', firstName: 'Anna', lastName: 'Sommer', practice: practiceInput(options.practiceName) }
        : { kind, email, password: TEST_PASSWORD, firstName: 'Maria', lastName: 'Muster' }
  })
  if (res.statusCode !== 202) throw new Error(`register failed: ${res.statusCode} ${res.body}`)
  if (options.verified !== false) await verifyAddress(app, email)
  return await login(app, email, TEST_PASSWORD)
}

/** Registers a provider with a practice, proves the address and signs them in. */
export async function provider(app: App, practiceName?: string): Promise<Session> {
  return await account(app, 'provider', { practiceName })
}

/** inject() as a signed-in user, with the session cookie and CSRF header. */
export function as(app: App, session: Session) {
  return (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, payload, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } })
}

export const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString()
export const inMs = (ms: number) => new Date(Date.now() + ms).toISOString()

/** Schedules a consultation and returns its id and the join tokens. */
export async function schedule(app: App, session: Session, body: { start: string; end: string; title?: string; emails?: string[] }) {
  const res = await as(app, session)('POST', '/api/consultations', {
    title: body.title ?? 'Erstgespräch',
    start: body.start,
    end: body.end,
    participants: (body.emails ?? ['client@example.org']).map(email => ({ email }))
  })
  if (res.statusCode !== 201) throw new Error(`schedule failed: ${res.statusCode} ${res.body}`)
  const created = res.json()
  return { id: created.id as string, tokens: created.invitations.map((i: { joinUrl: string }) => i.joinUrl.split('/join/')[1]) as string[], created }
}

/** Polls until `check` returns a truthy value; for effects of background jobs. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, stepMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, stepMs))
  }
}

export interface RealtimeClient {
  /** Waits for the next message of this type (or returns one that arrived already). */
  next(type: string, timeoutMs?: number): Promise<Record<string, any>>
  messages: Array<Record<string, any>>
  /** Sends a frame: objects as JSON, strings as they are. */
  send(message: unknown): void
  close(): void
  closed: Promise<{ code: number }>
}

/** Opens WS /api/realtime over a real loopback socket with the given headers (cookie, Bearer, Origin). */
export async function realtime(app: App, headers: Record<string, string>): Promise<RealtimeClient> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const messages: Array<Record<string, any>> = []
  const waiters: Array<() => void> = []
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/realtime`, { headers })
  const closed = new Promise<{ code: number }>(resolve => ws.on('close', code => resolve({ code })))
  ws.on('message', data => {
    messages.push(JSON.parse((data as Buffer).toString()))
    waiters.splice(0).forEach(w => w())
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const consumed = new Set<number>()
  return {
    messages,
    closed,
    close: () => ws.close(),
    send: message => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async next(type, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const index = messages.findIndex((m, i) => !consumed.has(i) && m.type === type)
        if (index >= 0) {
          consumed.add(index)
          return messages[index]
        }
        if (Date.now() > until) throw new Error(`no realtime message "${type}" within ${timeoutMs} ms; got ${messages.map(m => m.type).join(', ')}`)
        await new Promise<void>(resolve => {
          waiters.push(resolve)
          setTimeout(resolve, 200)
        })
      }
    }
  }
}

export { freePort } from './db/embedded.js'

/** A fake DNS for the outgoing-request guard: answers in turn (the last repeats) and records the questions. */
export function fakeResolver(...answers: string[][]) {
  const calls: string[] = []
  const resolve = async (host: string) => {
    calls.push(host)
    return answers[Math.min(calls.length, answers.length) - 1].map(address => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }))
  }
  return Object.assign(resolve, { calls })
}

/**
 * SQL that inserts `count` ended consultations overdue for purge, each with an invitation and a
 * participant ($1 practice id, $2 provider id): the purge test and the purge bench seed with it.
 */
export function overduePurgesSql(count: number): string {
  return `
    with c as (
      insert into consultation (id, created_at, updated_at, practice_id, provider_id, title, start_at, end_at, state, snapshot, machine_version,
                                ended_at, due_at)
      select gen_random_uuid(), now(), now(), $1, $2, 'Termin ' || n, now() - interval '3 hours', now() - interval '2 hours', 'ended',
             '{"value":"ended","context":{"noShow":false,"endReason":"provider"}}', '1', now() - interval '2 hours', now() - interval '1 hour'
        from generate_series(1, ${Math.floor(count)}) n
      returning id),
    i as (
      insert into invitation (id, created_at, updated_at, consultation_id, email, token_hash)
      select gen_random_uuid(), now(), now(), c.id, 'client-' || c.id || '@example.org', md5(c.id::text) || md5(c.id::text || 'x') from c
      returning id, consultation_id)
    insert into participant (id, created_at, updated_at, consultation_id, invitation_id, display_name, status, waiting_since)
    select gen_random_uuid(), now(), now(), i.consultation_id, i.id, null, 'left', now() - interval '3 hours' from i`
}
