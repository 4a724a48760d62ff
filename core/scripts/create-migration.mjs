// Writes a new migration for the difference between the entities and a scratch database's schema.
// Usage: npm run migration:create -w core   (needs DATABASE_URL pointing at a server where it may create a database)
import { MikroORM } from '@mikro-orm/postgresql'
import pg from 'pg'
import { fileURLToPath } from 'node:url'
import { readdirSync, writeFileSync } from 'node:fs'
import { ormOptions } from '../dist/db/orm.js'

const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const scratch = `sz_migration_${Date.now()}`
const admin = new pg.Client({ connectionString: base })
await admin.connect()
await admin.query(`CREATE DATABASE ${scratch}`)
const url = new URL(base)
url.pathname = '/' + scratch
const folder = fileURLToPath(new URL('../src/db/migrations', import.meta.url))
try {
  const orm = await MikroORM.init(
    ormOptions(url.toString(), { migrations: { ...ormOptions('').migrations, path: folder, emit: 'ts', fileName: ts => `Migration${ts}` } })
  )
  await orm.getMigrator().up()
  const result = await orm.getMigrator().createMigration(folder)
  await orm.close()
  if (!result.fileName) {
    console.log('No schema changes.')
    process.exit(0)
  }
  const names = readdirSync(folder)
    .filter(f => /^Migration\d+\.ts$/.test(f))
    .sort()
    .map(f => f.replace(/\.ts$/, ''))
  writeFileSync(
    `${folder}/index.ts`,
    [
      "import type { MigrationObject } from '@mikro-orm/core'",
      ...names.map(n => `import { ${n} } from './${n}.js'`),
      '',
      '/** Committed migrations in order; `npm run migration:create -w core` appends new ones. */',
      'export const migrations: MigrationObject[] = [',
      names.map(n => `  { name: '${n}', class: ${n} }`).join(',\n'),
      ']',
      ''
    ].join('\n')
  )
  console.log('Created', result.fileName)
} finally {
  await admin.query(`DROP DATABASE ${scratch} WITH (FORCE)`)
  await admin.end()
}
