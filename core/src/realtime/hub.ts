import pg from 'pg'
import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { FastifyBaseLogger } from 'fastify'

const CHANNEL = 'sz_realtime'
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const NOTIFY_LIMIT = 7900

/** Who receives a realtime event: a practice's providers, one provider, a consultation's participants, or one participant. */
export interface Audience {
  practice?: string
  user?: string
  consultation?: string
  participant?: string
}

export interface RealtimeEvent {
  type: string
  [key: string]: unknown
}

export type Subscriber =
  { kind: 'provider'; practice: string; user: string; sessionHash: string } | { kind: 'participant'; participant: string; consultation: string }

export interface RealtimeSocket {
  send(text: string): void
  close(code: number, reason: string): void
}

/** Close code for a socket whose session ended: the page must sign in again. */
export const CLOSE_SESSION_ENDED = 4401

/**
 * Fans realtime events out to the WebSockets of every instance through PostgreSQL LISTEN/NOTIFY.
 * NOTIFY is transactional, so an event is delivered only if the change that caused it commits.
 * Events live only in memory on the way: nothing of them is stored.
 */
export class RealtimeHub {
  private listener?: pg.Client
  private stopped = false
  /** Marks this instance's own relayed notifications, which it has delivered locally already. */
  private readonly instance = randomUUID()
  private readonly byPractice = new Map<string, Set<RealtimeSocket>>()
  private readonly byUser = new Map<string, Set<RealtimeSocket>>()
  private readonly byConsultation = new Map<string, Set<RealtimeSocket>>()
  private readonly byParticipant = new Map<string, Set<RealtimeSocket>>()
  private readonly bySession = new Map<string, Set<RealtimeSocket>>()

  constructor(
    private readonly connectionString: string,
    private readonly log: FastifyBaseLogger
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'sprechzimmer-realtime' })
    client.on('notification', message => {
      if (message.payload) this.deliver(message.payload)
    })
    client.on('error', err => {
      this.log.warn({ err }, 'realtime listener lost its connection; reconnecting')
      void client.end().catch(() => {})
      this.reconnect()
    })
    await client.connect()
    await client.query(`LISTEN ${CHANNEL}`)
    this.listener = client
  }

  private reconnect(delay = 500): void {
    if (this.stopped) return
    setTimeout(() => {
      this.start().catch(() => this.reconnect(Math.min(delay * 2, 10_000)))
    }, delay).unref()
  }

  /** Queues the event on the transaction of `em` (or sends it at once outside a transaction). */
  async publish(em: EntityManager, to: Audience, event: RealtimeEvent): Promise<void> {
    await this.publishMany(em, [{ to, event }])
  }

  async publishMany(em: EntityManager, items: Array<{ to: Audience; event: RealtimeEvent }>): Promise<void> {
    if (items.length === 0) return
    const { channel, payloads } = this.notification(items)
    await em
      .getConnection()
      .execute('SELECT pg_notify(?, payload) FROM json_array_elements_text(?::json) AS payload', [channel, payloads], 'all', em.getTransactionContext())
  }

  /**
   * What `publishMany` notifies, for a caller that writes `SELECT pg_notify(channel, payload) FROM
   * json_array_elements_text(payloads::json) AS payload` into a statement of its own (same transaction).
   */
  notification(items: Array<{ to: Audience; event: RealtimeEvent }>): { channel: string; payloads: string } {
    // As few notifications as fit under PostgreSQL's limit: each one is queued, sent and parsed on its own.
    const payloads: string[] = []
    let batch: string[] = []
    let size = 0
    const flush = () => {
      if (batch.length > 0) payloads.push(`{"batch":[${batch.join(',')}]}`)
      batch = []
      size = 0
    }
    for (const item of items) {
      const text = JSON.stringify(item)
      const bytes = Buffer.byteLength(text) + 1
      if (batch.length > 0 && size + bytes + '{"batch":[]}'.length >= NOTIFY_LIMIT) flush()
      batch.push(text)
      size += bytes
    }
    flush()
    // One JSON array rather than an array binding: knex would expand an array into a list of parameters.
    return { channel: CHANNEL, payloads: JSON.stringify(payloads) }
  }

  /**
   * Passes a message between browsers at once, outside any transaction: delivered to this instance's
   * sockets directly and to the other instances through NOTIFY (when it fits into one).
   */
  async relay(to: Audience, event: RealtimeEvent): Promise<void> {
    this.deliverTo(to, event)
    const payload = JSON.stringify({ to, event, origin: this.instance })
    if (Buffer.byteLength(payload) >= NOTIFY_LIMIT || !this.listener) return
    await this.listener.query('SELECT pg_notify($1, $2)', [CHANNEL, payload])
  }

  subscribe(socket: RealtimeSocket, who: Subscriber): () => void {
    const entries: Array<[Map<string, Set<RealtimeSocket>>, string]> =
      who.kind === 'provider'
        ? [
            [this.byPractice, who.practice],
            [this.byUser, who.user],
            [this.bySession, who.sessionHash]
          ]
        : [
            [this.byConsultation, who.consultation],
            [this.byParticipant, who.participant]
          ]
    for (const [map, key] of entries) {
      if (!map.has(key)) map.set(key, new Set())
      map.get(key)!.add(socket)
    }
    return () => {
      for (const [map, key] of entries) {
        const set = map.get(key)
        set?.delete(socket)
        if (set?.size === 0) map.delete(key)
      }
    }
  }

  /** Sockets of this participant on this instance (a participant may have several tabs open). */
  connectionsOf(participant: string): number {
    return this.byParticipant.get(participant)?.size ?? 0
  }

  private deliver(payload: string): void {
    let message: { to: Audience; event: RealtimeEvent; origin?: string; close?: { session?: string }; batch?: Array<{ to: Audience; event: RealtimeEvent }> }
    try {
      message = JSON.parse(payload)
    } catch {
      return
    }
    if (message.batch) {
      for (const item of message.batch) this.deliverTo(item.to, item.event)
      return
    }
    if (message.close?.session) return this.closeSession(message.close.session)
    if (message.origin === this.instance) return
    this.deliverTo(message.to, message.event)
  }

  private deliverTo(to: Audience, event: RealtimeEvent): void {
    const targets = new Set<RealtimeSocket>()
    if (to.practice) this.byPractice.get(to.practice)?.forEach(s => targets.add(s))
    if (to.user) this.byUser.get(to.user)?.forEach(s => targets.add(s))
    if (to.consultation) this.byConsultation.get(to.consultation)?.forEach(s => targets.add(s))
    if (to.participant) this.byParticipant.get(to.participant)?.forEach(s => targets.add(s))
    if (targets.size === 0) return
    const text = JSON.stringify(event)
    for (const socket of targets) {
      try {
        socket.send(text)
      } catch (err) {
        this.log.debug({ err }, 'realtime send failed')
      }
    }
  }

  /** A session ended (announced by the database): its sockets must not receive another event. */
  private closeSession(sessionHash: string): void {
    for (const socket of [...(this.bySession.get(sessionHash) ?? [])]) {
      // Off every list at once, not only when the closing handshake is over.
      for (const map of [this.byPractice, this.byUser, this.bySession]) {
        for (const [key, set] of map) if (set.delete(socket) && set.size === 0) map.delete(key)
      }
      try {
        socket.close(CLOSE_SESSION_ENDED, 'session ended')
      } catch (err) {
        this.log.debug({ err }, 'realtime close failed')
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.listener?.end().catch(() => {})
  }
}
