import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { build, pluginEntry as mailEntry } from '../../mail/test/helpers.js'

// The mail plugin's test helpers: MailCatcher (a real SMTP server on loopback), freePort, build, eventually, …
export * from '../../mail/test/helpers.js'

/** The compiled plugin, as an operator names it in SPRECHZIMMER_PLUGINS (the root `npm test` builds first). */
export const contactEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url))
export { mailEntry }

export const OPERATOR = 'operator@praxis.example'

/** The app with the mail plugin and then the contact plugin; CONTACT_TO is the operator unless `env` says otherwise. */
export async function contactApp(
  t: Parameters<typeof build>[0],
  overrides: Parameters<typeof build>[1] = {},
  env: Record<string, string | undefined> = {},
  databaseUrl?: string
) {
  const saved: Record<string, string | undefined> = {}
  const values = { CONTACT_TO: OPERATOR, ...env }
  for (const [k, v] of Object.entries(values)) {
    saved[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  try {
    return await build(t, { plugins: [mailEntry, contactEntry], ...overrides }, databaseUrl)
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** Runs one query against the test's database. */
export async function query(databaseUrl: string, sql: string, values: unknown[] = []): Promise<any[]> {
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  try {
    return (await db.query(sql, values)).rows
  } finally {
    await db.end()
  }
}

export const contactRows = (databaseUrl: string) => query(databaseUrl, 'select * from contact_message')
export const contactJobs = (databaseUrl: string) =>
  query(databaseUrl, `select id, state, retry_count, data, output from pgboss.job where name = 'contact.deliver'`)
