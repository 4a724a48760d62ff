import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Debian's Chromium, headless, with a fake camera and microphone; loopback candidates allowed. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection'
]

export const until = async (what: string, check: () => Promise<boolean>, ms = 30_000) => {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

/** Every file below `dir`, for the canary searches in DATA_DIR. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

interface AppWithData {
  config: { dataDir: string }
  orm: { em: { fork(): { getConnection(): { execute(sql: string, params?: unknown[]): Promise<any[]> } } } }
}

/** A chat or document canary appears in no server log line, no table row and no file under DATA_DIR. */
export async function assertNowhere(
  t: { notOk(value: unknown, message: string): void; equal(a: unknown, b: unknown, message: string): void },
  app: AppWithData,
  logs: string[],
  canary: string
): Promise<void> {
  const what = canary.split('-')[0]
  t.notOk(logs.join('').includes(canary), `${what}: not in the server log`)
  const connection = app.orm.em.fork().getConnection()
  const tables = await connection.execute(
    "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema IN ('public', 'pgboss') AND table_type = 'BASE TABLE'"
  )
  let found = 0
  for (const { name } of tables) {
    const [row] = await connection.execute(`SELECT count(*)::int AS n FROM ${name} AS r WHERE r::text LIKE ?`, [`%${canary}%`])
    found += row.n
  }
  t.equal(found, 0, `${what}: not in any table`)
  t.notOk(
    filesUnder(app.config.dataDir).some(file => readFileSync(file).includes(canary)),
    `${what}: not in DATA_DIR`
  )
}
