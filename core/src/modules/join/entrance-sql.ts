import type { EntityManager } from '@mikro-orm/postgresql'
import type { SqlRunner } from '../../jobs.js'

/**
 * The waiting room's SQL, in one place (ADR 0004, 0006, 0010). The batched entrance reads links and
 * writes a whole batch of participants in one statement, around the ORM, because the ORM would write
 * them one by one; a returning client and a reconnect go through the ORM and the same rules
 * (`link-rules.ts`). Both ways write the same rows, notices and events (core/test/entrance.test.ts).
 * Values are always bound parameters; each table's rows go in as one JSON parameter.
 */

/** A join link with what the entrance checks of it, read in one query for a batch. */
export interface LinkRow {
  invitation_id: string
  token_hash: string
  consultation_id: string
  practice_id: string
  state: string
  start_at: Date
  end_at: Date
  due_at: Date | null
  version: number
  /** The link's participants who are not `left`, when the row was read. */
  present_participants: number
}

/**
 * The links with these token hashes and their consultations. With `lock`, the consultations are
 * share-locked and then the links' rows locked and their seat counts read as they are now (consultations
 * first, then links, each in id order, as the insert statement locks them: batches never wait in a circle).
 */
export async function readLinks(db: SqlRunner, tokenHashes: string[], lock: boolean): Promise<LinkRow[]> {
  const { rows } = (await db.executeSql(
    `SELECT i.id AS invitation_id, i.token_hash, i.present_participants,
            c.id AS consultation_id, c.practice_id, c.state, c.start_at, c.end_at, c.due_at, c.version
       FROM invitation i JOIN consultation c ON c.id = i.consultation_id
      WHERE i.token_hash IN (SELECT json_array_elements_text($1::json))
      ORDER BY c.id${lock ? ' FOR SHARE OF c' : ''}`,
    [JSON.stringify(tokenHashes)]
  )) as { rows: LinkRow[] }
  if (!lock || rows.length === 0) return rows
  const { rows: counts } = (await db.executeSql(
    `SELECT id, present_participants FROM invitation WHERE id IN (SELECT json_array_elements_text($1::json)::uuid) ORDER BY id FOR NO KEY UPDATE`,
    [JSON.stringify(rows.map(row => row.invitation_id))]
  )) as { rows: Array<{ id: string; present_participants: number }> }
  const now = new Map(counts.map(count => [count.id, count.present_participants]))
  for (const row of rows) row.present_participants = now.get(row.invitation_id) ?? row.present_participants
  return rows
}

export interface EntryRows {
  at: Date
  /** SZ_JOIN_LINK_PARTICIPANTS. */
  cap: number
  /** Each consultation at the version its entries were checked against. */
  versions: Array<{ id: string; version: number }>
  /** Each link as it was read. */
  invitations: Array<{ id: string; token_hash: string; consultation_id: string }>
  /** The seats the batch takes, by link. */
  claims: Array<{ id: string; n: number }>
  participants: Array<{ id: string; consultation_id: string; invitation_id: string; display_name: string }>
  access: object[]
  /** The `participant.joined` notices as one statement whose parameters start at `firstParam` (Lifecycle.emitManyStatement). */
  notices: (firstParam: number) => { sql: string; values: unknown[] }
  /** The `participant.waiting` events, sent with pg_notify on commit. */
  notification: { channel: string; payloads: string }
}

/**
 * Writes a batch's participants, access records, notices (one pg-boss job) and events (NOTIFY) in one
 * statement of data-modifying CTEs. It first share-locks the consultations and locks the links, and fails
 * with SZ001 (`sz_assert`) unless each consultation is at the version read, each invitation still has the
 * token and consultation it was read with, and each link, read anew under its lock, has a seat for each
 * of its entries: the caller then redoes the batch the slow way.
 */
export async function insertEntries(db: SqlRunner, rows: EntryRows): Promise<void> {
  const values: unknown[] = []
  const param = (value: unknown): string => `$${values.push(value)}`
  const checked = param(JSON.stringify(rows.versions))
  const links = param(JSON.stringify(rows.invitations))
  const claims = param(JSON.stringify(rows.claims))
  const participants = param(JSON.stringify(rows.participants))
  const time = param(rows.at.toISOString())
  const access = param(JSON.stringify(rows.access))
  const notices = rows.notices(values.length + 1)
  values.push(...notices.values)
  await db.executeSql(
    `WITH checked AS (
       SELECT c.id, c.version FROM consultation c
        WHERE c.id IN (SELECT id FROM json_to_recordset(${checked}::json) AS v (id uuid, version int))
        ORDER BY c.id FOR SHARE
     ), seats AS (
       -- A locked row is read as it is now, not as at the start of the statement: the exact count.
       SELECT i.id, i.present_participants FROM invitation i
        WHERE i.id IN (SELECT id FROM json_to_recordset(${claims}::json) AS s (id uuid, n int))
        ORDER BY i.id FOR NO KEY UPDATE
     ), unchanged AS (
       SELECT sz_assert(
           (SELECT count(*) FROM checked JOIN json_to_recordset(${checked}::json) AS v (id uuid, version int)
                                   ON v.id = checked.id AND v.version = checked.version) = ${param(rows.versions.length)}
           AND (SELECT count(*) FROM invitation i JOIN json_to_recordset(${links}::json) AS l (id uuid, token_hash text, consultation_id uuid)
                  ON l.id = i.id AND l.token_hash = i.token_hash AND l.consultation_id = i.consultation_id) = ${param(rows.invitations.length)}
           AND NOT EXISTS (SELECT 1 FROM seats JOIN json_to_recordset(${claims}::json) AS s (id uuid, n int) ON s.id = seats.id
                            WHERE seats.present_participants + s.n > ${param(rows.cap)}),
           'a join link or its consultation changed since the waiting room read it') AS ok
     ), participants AS (
       INSERT INTO participant (id, created_at, updated_at, consultation_id, invitation_id, display_name, status, waiting_since)
       SELECT id, ${time}::timestamptz, ${time}::timestamptz, consultation_id, invitation_id, display_name, 'waiting', ${time}::timestamptz
         FROM unchanged, json_to_recordset(${participants}::json) AS x (id uuid, consultation_id uuid, invitation_id uuid, display_name text)
     ), access AS (
       INSERT INTO access_record (at, kind, ip, user_agent, anonymized)
       SELECT at, kind, ip, "userAgent", anonymized
         FROM json_to_recordset(${access}::json) AS x (at timestamptz, kind text, ip text, "userAgent" text, anonymized boolean)
     ), notices AS (${notices.sql})
     SELECT pg_notify(${param(rows.notification.channel)}, payload) FROM json_array_elements_text(${param(rows.notification.payloads)}::json) AS payload`,
    values
  )
}

/**
 * How many of a link's seats are taken, with the link's row locked until the transaction ends, so that
 * entries through one link, on any instance, count one after the other. Null for an unknown link.
 */
export async function lockedSeatsTaken(em: EntityManager, invitationId: string): Promise<number | null> {
  const [row] = await em
    .getConnection()
    .execute<Array<{ present_participants: number }>>(
      'SELECT present_participants FROM invitation WHERE id = ? FOR NO KEY UPDATE',
      [invitationId],
      'all',
      em.getTransactionContext()
    )
  return row ? row.present_participants : null
}
