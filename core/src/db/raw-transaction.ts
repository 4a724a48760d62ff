import type { MikroORM } from '@mikro-orm/postgresql'
import type { SqlRunner } from '../jobs.js'

interface PooledConnection {
  query (text: string, values?: unknown[]): Promise<{ rows: any[] }>
}

/**
 * A transaction on one of the ORM's pooled connections, for statements written by hand that run
 * very often (the waiting room's batches). MikroORM's `transactional` costs about 0.35 ms of CPU more
 * per transaction (a knex transaction object, the unit of work, its AsyncLocalStorage context), which
 * is work those statements never use.
 */
export async function rawTransaction<T> (orm: MikroORM, work: (db: SqlRunner) => Promise<T>): Promise<T> {
  const client = orm.em.getConnection().getKnex().client
  const connection = await client.acquireConnection() as PooledConnection
  const db: SqlRunner = { executeSql: async (text, values) => ({ rows: (await connection.query(text, values)).rows }) }
  try {
    await connection.query('BEGIN')
    const result = await work(db)
    await connection.query('COMMIT')
    return result
  } catch (err) {
    await connection.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.releaseConnection(connection)
  }
}
