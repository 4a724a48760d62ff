import { createRequire } from 'node:module'
import PgBoss from 'pg-boss'
import type { EntityManager, Knex } from '@mikro-orm/postgresql'

export type JobOptions = PgBoss.SendOptions & {
  /** Enqueue inside this EntityManager's open transaction: the job exists only if the transaction commits. */
  em?: EntityManager
}

export interface QueueOptions {
  /** pg-boss policy; `short` keeps at most one queued job per singletonKey. */
  policy?: 'standard' | 'short' | 'singleton' | 'stately'
  retryLimit?: number
  retryDelay?: number
  retryBackoff?: boolean
}

export interface WorkOptions {
  batchSize?: number
  pollingIntervalSeconds?: number
  /** How many workers of this queue run in this process. */
  concurrency?: number
}

/** Durable jobs on the same PostgreSQL (pg-boss 10): the plugin contract's `app.jobs`. */
export interface Jobs {
  createQueue(name: string, options?: QueueOptions): Promise<void>
  send<T extends object>(name: string, data: T, options?: JobOptions): Promise<string | null>
  /** Many jobs of one queue in one statement, on the transaction of `em` when given. */
  insert(name: string, jobs: Array<Omit<PgBoss.JobInsert, 'name'>>, options?: { em?: EntityManager }): Promise<void>
  work<T extends object>(name: string, options: WorkOptions, handler: (job: PgBoss.Job<T>) => Promise<void>): Promise<void>
  schedule(name: string, cron: string): Promise<void>
  /**
   * The statement `insert` runs (pg-boss 10's own), with its placeholders numbered from `$first`, and
   * its values: for writing jobs from inside a larger statement (a CTE) without a round trip of their
   * own. Run the whole statement with `sqlOn(em)` so that the jobs exist only if the transaction commits.
   */
  insertStatement(name: string, jobs: Array<Omit<PgBoss.JobInsert, 'name'>>, first: number): { sql: string; values: unknown[] }
  /** Ends a cron schedule (one a newer version no longer uses); nothing when there is none. */
  unschedule(name: string): Promise<void>
  /** Of these jobs of a queue, the ones not over yet (waiting, retrying or running). */
  unfinished(name: string, ids: string[]): Promise<Set<string>>
  stop(): Promise<void>
}

// This file is the one place that knows pg-boss: its API, and the internals below. pg-boss 10's own
// insert statement and configuration defaults (its package has no exports map), so that
// `insertStatement` writes exactly the rows `boss.insert` would, and its job table's states for
// `unfinished`. test/jobs.test.ts pins both: it fails when a pg-boss upgrade changes them.
const require = createRequire(import.meta.url)
const plans = require('pg-boss/src/plans.js') as { insertJobs(schema: string): string }
const attorney = require('pg-boss/src/attorney.js') as { getConfig(options: object): Record<string, unknown> }

/** Runs `$1`-style SQL with bound parameters; the shape pg-boss takes for its own statements (`db`). */
export type SqlRunner = PgBoss.Db

/**
 * Runs pg-boss's SQL (and other `$1`-style statements) on the request's transaction, which is what makes
 * mails, webhooks and deadlines an outbox. The values go to PostgreSQL as bound parameters through knex:
 * MikroORM's `execute` would format them into the SQL text, which for the waiting room's batches of
 * JSON cost more than the rest of the statement. The SQL must not contain a literal `?` (knex's placeholder).
 */
export function sqlOn(em: EntityManager): SqlRunner {
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const bindings: unknown[] = []
      const sql = text.replace(/\$(\d+)/g, (_, n: string) => {
        bindings.push(values[Number(n) - 1] ?? null)
        return '?'
      })
      const knex = em.getTransactionContext<Knex.Transaction>() ?? em.getConnection().getKnex()
      const result = await knex.raw(sql, bindings as Knex.RawBinding[])
      return { rows: result.rows }
    }
  }
}

export async function startJobs(connectionString: string, onError: (err: Error) => void): Promise<Jobs> {
  const options = { connectionString, max: 10, schema: 'pgboss', application_name: 'sprechzimmer-jobs' }
  const boss = new PgBoss(options)
  const config = attorney.getConfig(options)
  const insertJobsSql = plans.insertJobs(options.schema)
  boss.on('error', onError)
  await boss.start()
  const workers: string[] = []
  return {
    async createQueue(name, options = {}) {
      const existing = await boss.getQueue(name)
      if (!existing) await boss.createQueue(name, { name, policy: options.policy ?? 'standard', ...options })
    },
    async send(name, data, options = {}) {
      const { em, ...rest } = options
      return await boss.send(name, data, em ? { ...rest, db: sqlOn(em) } : rest)
    },
    async insert(name, jobs, options = {}) {
      if (jobs.length === 0) return
      await boss.insert(
        jobs.map(job => ({ ...job, name })),
        options.em ? { db: sqlOn(options.em) } : {}
      )
    },
    insertStatement(name, jobs, first) {
      return {
        sql: insertJobsSql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + first - 1}`),
        // The values boss.insert passes (manager.js), in the order of its placeholders.
        values: [
          JSON.stringify(jobs.map(job => ({ ...job, name }))),
          config.expireIn,
          config.keepUntil,
          config.retryLimit,
          config.retryDelay,
          config.retryBackoff
        ]
      }
    },
    async work(name, options, handler) {
      const { concurrency = 1, ...workOptions } = options
      const batchSize = workOptions.batchSize ?? 1
      for (let i = 0; i < concurrency; i++) {
        let workerId = ''
        workerId = await boss.work(name, { batchSize, pollingIntervalSeconds: 0.5, ...workOptions }, async (jobs: PgBoss.Job<any>[]) => {
          // In order, and each job of a batch succeeds or fails on its own; pg-boss completes the rest.
          for (const job of jobs) {
            try {
              await handler(job)
            } catch (err: any) {
              onError(err)
              await boss.fail(name, job.id, { message: String(err?.message ?? err) })
            }
          }
          // A full batch means more are waiting: fetch again at once instead of sleeping a polling interval.
          if (jobs.length === batchSize) boss.notifyWorker(workerId)
        })
        workers.push(workerId)
      }
    },
    async schedule(name, cron) {
      await boss.schedule(name, cron)
    },
    async unschedule(name) {
      await boss.unschedule(name)
    },
    async unfinished(name, ids) {
      if (ids.length === 0) return new Set()
      const { rows } = (await boss
        .getDb()
        .executeSql(`SELECT id FROM ${options.schema}.job WHERE name = $1 AND id = ANY($2::uuid[]) AND state IN ('created', 'retry', 'active')`, [
          name,
          ids
        ])) as { rows: Array<{ id: string }> }
      return new Set(rows.map(row => row.id))
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 5000 })
    }
  }
}
