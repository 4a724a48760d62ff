import type { MigrationObject } from '@mikro-orm/core'
import { Migration20261128134045 } from './Migration20261128134045.js'

/** Committed migrations in order; `npm run migration:create -w core` appends new ones. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261128134045', class: Migration20261128134045 }
]
import { PrivacyMigration20261129021000 } from './PrivacyMigration20261129021000.js'
migrations.push({ name: 'PrivacyMigration20261129021000', class: PrivacyMigration20261129021000 })
