import tap from 'tap'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createHmac, timingSafeEqual } from 'node:crypto'
import pg from 'pg'
import { setFinalTeardown, build, as, type Session } from '@sprechzimmer/core/testing'

setFinalTeardown(fn => tap.teardown(fn))

export * from '@sprechzimmer/core/testing'

/** The compiled adapter, as an operator names it in SPRECHZIMMER_PLUGINS (the root `npm test` builds first). */
export const pluginEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url))

// Fast retries in tests: 200 ms, doubled per attempt.
process.env.SZ_WEBHOOK_RETRY_DELAY ??= '200ms'
process.env.SZ_WEBHOOK_TIMEOUT ??= '2s'

type Test = Parameters<typeof build>[0]
type App = Awaited<ReturnType<typeof build>>['app']

export async function restApp(t: Test, overrides: Parameters<typeof build>[1] = {}, databaseUrl?: string) {
  return await build(t, { plugins: [pluginEntry], ...overrides }, databaseUrl)
}

export const ALL_SCOPES = ['appointments:read', 'appointments:write', 'webhooks']

/** Creates an API key as the practice admin (the provider who registered the practice). */
export async function apiKey(app: App, admin: Session, scopes = ALL_SCOPES, name = 'PVS'): Promise<{ id: string; key: string }> {
  const res = await as(app, admin)('POST', '/api/practice/api-keys', { name, scopes })
  if (res.statusCode !== 201) throw new Error(`api key: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** inject() with `Authorization: Bearer <key>`. */
export function api(app: App, key: string) {
  return (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) =>
    app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}`, ...headers } })
}

export const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString()

export function appointment(overrides: Record<string, unknown> = {}, providerEmail?: string) {
  return {
    title: 'Erstgespräch',
    start: inMinutes(60),
    end: inMinutes(90),
    providerEmail,
    clients: [{ email: 'patient@example.org', name: 'Maria Muster' }],
    ...overrides
  }
}

export interface Delivery {
  headers: IncomingHttpHeaders
  raw: string
  body: { id: string; type: string; createdAt: string; data: Record<string, any> }
}

/** A webhook receiver on loopback; `status` decides each answer. */
export class Receiver {
  readonly received: Delivery[] = []
  readonly attempts: Delivery[] = []
  status: (d: Delivery) => number = () => 200
  private server: Server | null = null
  port = 0

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', c => chunks.push(c))
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const d: Delivery = { headers: req.headers, raw, body: JSON.parse(raw) }
        this.attempts.push(d)
        const status = this.status(d)
        if (status >= 200 && status < 300) this.received.push(d)
        res.writeHead(status, { 'content-type': 'text/plain' }).end('ok')
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as { port: number }).port
    return this
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/sprechzimmer`
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = null
    if (server) {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }

  async waitFor(count: number, filter: (d: Delivery) => boolean = () => true, timeoutMs = 20_000): Promise<Delivery[]> {
    const until = Date.now() + timeoutMs
    for (;;) {
      const found = this.received.filter(filter)
      if (found.length >= count) return found
      if (Date.now() > until) throw new Error(`expected ${count} deliveries, got ${found.length} (${this.received.map(d => d.body.type).join(', ')})`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
}

export async function receiver(t: { teardown(fn: () => unknown): void }, port = 0): Promise<Receiver> {
  const r = await new Receiver().start(port)
  t.teardown(() => r.stop())
  return r
}

/** What docs/webhooks.md tells receivers to do. */
export function verifySignature(secret: string, header: string | undefined, raw: string, toleranceSeconds = 300): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '')
  if (!match) return false
  if (Math.abs(Date.now() / 1000 - Number(match[1])) > toleranceSeconds) return false
  const expected = createHmac('sha256', secret).update(`${match[1]}.${raw}`).digest()
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'))
}

export async function query(databaseUrl: string, sql: string, params: unknown[] = []): Promise<any[]> {
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  try {
    return (await db.query(sql, params)).rows
  } finally {
    await db.end()
  }
}
