import { MikroORM, PostgreSqlDriver, type Options } from '@mikro-orm/postgresql'
import { Migrator } from '@mikro-orm/migrations'
import type { EntitySchema, MigrationObject } from '@mikro-orm/core'
import { entities } from './entities.js'
import { migrations } from './migrations/index.js'

/** Tables that plugins bring along: their entities and migrations run with core's. */
export interface SchemaExtension {
  entities?: EntitySchema<any, any>[]
  migrations?: MigrationObject[]
}

export function ormOptions(clientUrl: string, extra: Partial<Options> = {}, extension: SchemaExtension = {}): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl,
    entities: [...entities, ...(extension.entities ?? [])],
    extensions: [Migrator],
    migrations: {
      migrationsList: [...migrations, ...(extension.migrations ?? [])],
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true
    },
    forceUtcTimezone: true,
    pool: { min: 0, max: 20 },
    // The ORM must never log SQL parameters: they carry names and e-mail addresses.
    debug: false,
    allowGlobalContext: false,
    ...extra
  }
}

/** Connects and applies the committed migrations; the schema is never synced from entities. */
export async function openDatabase(clientUrl: string, extension: SchemaExtension = {}): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(clientUrl, {}, extension))
  await orm.getMigrator().up()
  return orm
}
