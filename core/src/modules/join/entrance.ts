import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errors } from '../../errors.js'
import type { SqlRunner } from '../../jobs.js'
import { inTransaction, onPooledConnection } from '../../db/pooled-connection.js'
import { accessRow } from '../../privacy/ip-anonymizer.js'
import { entryVerdict } from './link-rules.js'
import { insertEntries, readLinks, type LinkRow } from './entrance-sql.js'
import { participantView } from '../consultation/views.js'
import { Participant } from './participant.entity.js'

export interface Entry {
  tokenHash: string
  displayName: string
  request: FastifyRequest
}

export type EntryResult =
  | { kind: 'entered'; participant: Participant; consultationEndAt: Date }
  | { kind: 'refused'; error: Error }
  /** A deadline of the consultation is due but not yet applied: the route catches it up under the row lock. */
  | { kind: 'catch-up' }

interface Pending extends Entry {
  resolve: (result: EntryResult) => void
  reject: (err: unknown) => void
}

/** How many links the entrance remembers; a link not remembered is read again, so this bounds only memory. */
const RECENT_LINKS = 10_000

interface Entering {
  entry: Pending
  link: LinkRow
  participant: Participant
}

/**
 * The insert statement found a consultation changed since the batch read it, or a link fuller than
 * read (SZ001), or an invitation gone (a foreign key).
 */
function isStale(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code
  return code === 'SZ001' || code === '23503'
}

/**
 * Lets new clients into waiting rooms in batches: the entries that arrive while a batch is being
 * written are written together in the next one, with one statement for all of them (group commit).
 * A client's answer still waits for the commit of its own entry, so nothing is acknowledged that a
 * crash could lose; a batch that fails fails each of its requests.
 */
export class WaitingRoomEntrance {
  private queue: Pending[] = []
  /** The links read last, by token hash: no names, no tokens; only what the insert statement re-verifies. */
  private readonly recentLinks = new Map<string, LinkRow>()
  private writing = 0
  private scheduled = false

  constructor(
    private readonly app: FastifyInstance,
    private readonly maxBatch = 200,
    private readonly maxConcurrentBatches = 2
  ) {}

  enter(entry: Entry): Promise<EntryResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...entry, resolve, reject })
      if (!this.scheduled) {
        // After this turn of the event loop, so that requests parsed in the same turn share a batch.
        this.scheduled = true
        setImmediate(() => {
          this.scheduled = false
          this.pump()
        })
      }
    })
  }

  private pump(): void {
    while (this.writing < this.maxConcurrentBatches && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch)
      this.writing++
      this.write(batch)
        .catch(err => {
          for (const entry of batch) entry.reject(err)
        })
        .finally(() => {
          this.writing--
          this.pump()
        })
    }
  }

  /**
   * Reads the batch's links, checks them, and writes the entries in one statement that commits by
   * itself. That statement re-reads the consultations under a share lock and undoes itself if one
   * changed since its link was read (an END, a reschedule, a deadline); then, and only then, the
   * batch is written again the slow way, in a transaction that holds the share locks from its first read.
   */
  private async write(batch: Pending[]): Promise<void> {
    const { app } = this
    const now = Date.now()
    const settled = await onPooledConnection(app.orm, async db => {
      // Armed before the records exist: a cut that finds nothing due re-arms itself for the next record.
      await app.ipAnonymizer.armSoon(db)
      try {
        return await this.readAndInsert(db, batch, now, false)
      } catch (err) {
        if (!isStale(err)) throw err
        return await inTransaction(db, async tx => await this.readAndInsert(tx, batch, now, true))
      }
    })
    for (const [entry, result] of settled) entry.resolve(result)
  }

  /**
   * The links of a batch whose every entry would go in by what this instance read of them before:
   * no read is needed, because the insert statement verifies under its lock that each link and
   * consultation is still exactly as read. Null when any entry would be refused or was not read
   * yet: refusals are only ever given on a fresh read.
   */
  private remembered(batch: Pending[], now: number): Map<string, LinkRow> | null {
    const links = new Map<string, LinkRow>()
    const seats = new Seats()
    for (const entry of batch) {
      const link = this.recentLinks.get(entry.tokenHash)
      if (!link || this.check(link, now, seats)) return null
      seats.take(link)
      links.set(entry.tokenHash, link)
    }
    return links
  }

  private remember(rows: LinkRow[]): void {
    for (const row of rows) {
      this.recentLinks.delete(row.token_hash)
      this.recentLinks.set(row.token_hash, row)
    }
    // A Map iterates in insertion order, and a link read again goes to the end: the oldest go first.
    for (const hash of this.recentLinks.keys()) {
      if (this.recentLinks.size <= RECENT_LINKS) break
      this.recentLinks.delete(hash)
    }
  }

  private async readAndInsert(db: SqlRunner, batch: Pending[], now: number, lock: boolean): Promise<Array<[Pending, EntryResult]>> {
    // The shared lock (in the transaction, or in the insert statement) lets entries pass each other,
    // but an END waits for them (and they for it), so a name is never written after an ended
    // consultation's names were erased.
    let links = lock ? null : this.remembered(batch, now)
    if (!links) {
      const rows = await readLinks(db, [...new Set(batch.map(entry => entry.tokenHash))], lock)
      this.remember(rows)
      links = new Map(rows.map(row => [row.token_hash, row]))
    }
    const settled: Array<[Pending, EntryResult]> = []
    const entered: Entering[] = []
    const at = new Date(now)
    const seats = new Seats()
    for (const entry of batch) {
      const link = links.get(entry.tokenHash)
      const refusal = link ? this.check(link, now, seats) : { kind: 'refused' as const, error: new errors.joinLinkInvalid() }
      if (refusal) {
        settled.push([entry, refusal])
        continue
      }
      seats.take(link!)
      const participant = {
        id: randomUUID(),
        createdAt: at,
        updatedAt: at,
        consultation: link!.consultation_id,
        invitation: link!.invitation_id,
        displayName: entry.displayName,
        status: 'waiting',
        waitingSince: at,
        admittedAt: null,
        leftAt: null
      } as unknown as Participant
      entered.push({ entry, link: link!, participant })
    }
    if (entered.length > 0) await this.insert(db, at, entered, seats)
    for (const e of entered) settled.push([e.entry, { kind: 'entered', participant: e.participant, consultationEndAt: new Date(e.link.end_at) }])
    return settled
  }

  /**
   * Writes a batch's participants, access records, `participant.joined` notices (one pg-boss job) and
   * `participant.waiting` events (NOTIFY) in one statement of data-modifying CTEs: the same rows,
   * notices and events as the single-entry path writes. It first takes a share lock on the batch's
   * consultations and fails with SZ001 (`sz_assert`) unless each is at the version its entries were
   * checked against, each invitation still has the token and consultation they were read with, and
   * each link, locked and read anew, still has a seat for each of its entries. Each table's rows go in as one JSON parameter (`json_to_recordset`), bound,
   * never formatted into the SQL.
   */
  private async insert(db: SqlRunner, at: Date, entered: Entering[], seats: Seats): Promise<void> {
    const { app } = this
    const { channel, payloads } = app.realtime.notification(
      entered.map(e => ({
        to: { practice: e.link.practice_id },
        event: { type: 'participant.waiting', consultationId: e.link.consultation_id, participant: participantView(e.participant) }
      }))
    )
    await insertEntries(db, {
      at,
      cap: app.config.joinLinkParticipants,
      versions: [...new Map(entered.map(e => [e.link.consultation_id, { id: e.link.consultation_id, version: e.link.version }])).values()],
      invitations: [
        ...new Map(
          entered.map(e => [e.link.invitation_id, { id: e.link.invitation_id, token_hash: e.link.token_hash, consultation_id: e.link.consultation_id }])
        ).values()
      ],
      claims: seats.claims(),
      participants: entered.map(e => ({
        id: e.participant.id,
        consultation_id: e.link.consultation_id,
        invitation_id: e.link.invitation_id,
        display_name: e.entry.displayName
      })),
      access: entered.map(e => accessRow('join', e.entry.request)),
      notices: firstParam =>
        app.lifecycle.emitManyStatement(
          'participant.joined',
          entered.map(e => ({ consultation: { id: e.link.consultation_id, practice: e.link.practice_id }, data: { participantId: e.participant.id } })),
          firstParam
        ),
      notification: { channel, payloads }
    })
  }

  /** The same answers as every other way in (entryVerdict), then the seats; null when the entry may go in. */
  private check(link: LinkRow, now: number, seats: Seats): EntryResult | null {
    const verdict = entryVerdict(
      { state: link.state, startAt: new Date(link.start_at), endAt: new Date(link.end_at), dueAt: link.due_at && new Date(link.due_at) },
      now,
      this.app.config
    )
    if (verdict) return verdict
    const cap = this.app.config.joinLinkParticipants
    if (link.present_participants + seats.takenOn(link) >= cap) return { kind: 'refused', error: new errors.joinLinkFull(cap) }
    return null
  }
}

/** The seats a batch takes, by link: a link's entries in one batch count against its cap together. */
class Seats {
  private readonly taken = new Map<string, number>()
  take(link: LinkRow): void {
    this.taken.set(link.invitation_id, this.takenOn(link) + 1)
  }
  takenOn(link: LinkRow): number {
    return this.taken.get(link.invitation_id) ?? 0
  }
  claims(): Array<{ id: string; n: number }> {
    return [...this.taken].map(([id, n]) => ({ id, n }))
  }
}
