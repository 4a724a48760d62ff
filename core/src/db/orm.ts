import { MikroORM, PostgreSqlDriver, type Options } from '@mikro-orm/postgresql'
import { Migrator } from '@mikro-orm/migrations'
import { entities } from './entities.js'
import { migrations } from './migrations/index.js'

export function ormOptions (clientUrl: string, extra: Partial<Options> = {}): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl,
    entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: migrations,
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
export async function openDatabase (clientUrl: string): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(clientUrl))
  await orm.getMigrator().up()
  return orm
}
