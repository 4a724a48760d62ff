import type { MikroORM } from '@mikro-orm/postgresql'
import type { SqlRunner } from '../jobs.js'

interface PooledConnection {
  query(query: { text: string; values?: unknown[]; name?: string }): Promise<{ rows: any[] }>
}

/**
 * Statements with parameters run as prepared statements named after their text, so that each pooled
 * connection parses and plans a statement once, not on every batch. The texts are the few templates
 * of the hand-written statements; the bound keeps a text that varies from filling the server.
 */
const statementNames = new Map<string, string>()
const MAX_PREPARED = 64

function statementName(text: string): string | undefined {
  let name = statementNames.get(text)
  if (name === undefined && statementNames.size < MAX_PREPARED) statementNames.set(text, (name = `sz_${statementNames.size}`))
  return name
}

/**
 * One of the ORM's pooled connections, for statements written by hand that run very often (the
 * waiting room's batches). Each statement on it commits by itself unless `inTransaction` wraps them.
 * MikroORM's `transactional` would cost about 0.35 ms of CPU more per transaction (a knex transaction
 * object, the unit of work, its AsyncLocalStorage context), work these statements never use.
 */
export async function onPooledConnection<T>(orm: MikroORM, work: (db: SqlRunner) => Promise<T>): Promise<T> {
  const client = orm.em.getConnection().getKnex().client
  const connection = (await client.acquireConnection()) as PooledConnection
  try {
    return await work({
      executeSql: async (text, values) => {
        const name = values && values.length > 0 ? statementName(text) : undefined
        return { rows: (await connection.query({ text, values, name })).rows }
      }
    })
  } finally {
    client.releaseConnection(connection)
  }
}

/** Runs `work` in a transaction on `db`, a connection from `onPooledConnection`. */
export async function inTransaction<T>(db: SqlRunner, work: (db: SqlRunner) => Promise<T>): Promise<T> {
  await db.executeSql('BEGIN', [])
  try {
    const result = await work(db)
    await db.executeSql('COMMIT', [])
    return result
  } catch (err) {
    await db.executeSql('ROLLBACK', []).catch(() => {})
    throw err
  }
}
