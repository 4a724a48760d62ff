import { Migration } from '@mikro-orm/migrations'

/** Sessions end after SZ_SESSION_IDLE without a request: the time of the last one. Existing sessions start a fresh idle window. */
export class SessionIdleMigration20261130090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "server_session" add column "last_seen_at" timestamptz not null default now();')
  }

  override async down(): Promise<void> {
    this.addSql('alter table "server_session" drop column "last_seen_at";')
  }
}
