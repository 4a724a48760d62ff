import type { MigrationObject } from '@mikro-orm/core'
import { Migration20261128134045 } from './Migration20261128134045.js'
import { PrivacyMigration20261129021000 } from './PrivacyMigration20261129021000.js'
import { AccountMigration20261129023000 } from './AccountMigration20261129023000.js'
import { MediaMigration20261129051500 } from './MediaMigration20261129051500.js'
import { RealtimeMigration20261129052000 } from './RealtimeMigration20261129052000.js'
import { EntranceMigration20261129150000 } from './EntranceMigration20261129150000.js'
import { SessionIdleMigration20261130090000 } from './SessionIdleMigration20261130090000.js'
import { VerificationMigration20261207130000 } from './VerificationMigration20261207130000.js'
import { AbuseMigration20261207150000 } from './AbuseMigration20261207150000.js'
import { AuditMigration20261207160000 } from './AuditMigration20261207160000.js'
import { SeatsMigration20261207170000 } from './SeatsMigration20261207170000.js'
import { PasswordResetMigration20261207200000 } from './PasswordResetMigration20261207200000.js'

/** Committed migrations in order; `npm run migration:create -w core` appends new ones. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261128134045', class: Migration20261128134045 },
  { name: 'PrivacyMigration20261129021000', class: PrivacyMigration20261129021000 },
  { name: 'AccountMigration20261129023000', class: AccountMigration20261129023000 },
  { name: 'MediaMigration20261129051500', class: MediaMigration20261129051500 },
  { name: 'RealtimeMigration20261129052000', class: RealtimeMigration20261129052000 },
  { name: 'EntranceMigration20261129150000', class: EntranceMigration20261129150000 },
  { name: 'SessionIdleMigration20261130090000', class: SessionIdleMigration20261130090000 },
  { name: 'VerificationMigration20261207130000', class: VerificationMigration20261207130000 },
  { name: 'AbuseMigration20261207150000', class: AbuseMigration20261207150000 },
  { name: 'AuditMigration20261207160000', class: AuditMigration20261207160000 },
  { name: 'SeatsMigration20261207170000', class: SeatsMigration20261207170000 },
  { name: 'PasswordResetMigration20261207200000', class: PasswordResetMigration20261207200000 }
]
