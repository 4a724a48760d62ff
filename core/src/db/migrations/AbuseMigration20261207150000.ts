import { Migration } from '@mikro-orm/migrations'

/**
 * Per-address sign-in backoff, and the operator's approval of practices (SZ_REGISTRATION); the
 * practices that exist already count as approved.
 */
export class AbuseMigration20261207150000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "login_backoff" ("key_hash" varchar(64) not null, "failures" int not null, "last_failed_at" timestamptz not null, "blocked_until" timestamptz null, "notified_at" timestamptz null, constraint "login_backoff_pkey" primary key ("key_hash"));'
    )
    this.addSql('create index "login_backoff_last_failed_at_index" on "login_backoff" ("last_failed_at");')
    this.addSql('alter table "practice" add column "approved_at" timestamptz null, add column "suspended_at" timestamptz null;')
    this.addSql('update "practice" set "approved_at" = "created_at";')
  }

  override async down(): Promise<void> {
    this.addSql('alter table "practice" drop column "approved_at", drop column "suspended_at";')
    this.addSql('drop table if exists "login_backoff" cascade;')
  }
}
