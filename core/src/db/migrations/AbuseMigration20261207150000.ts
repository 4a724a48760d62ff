import { Migration } from '@mikro-orm/migrations'

/** Per-address sign-in backoff (abuse limits of the security issue). */
export class AbuseMigration20261207150000 extends Migration {
  override async up (): Promise<void> {
    this.addSql('create table "login_backoff" ("key_hash" varchar(64) not null, "failures" int not null, "last_failed_at" timestamptz not null, "blocked_until" timestamptz null, "notified_at" timestamptz null, constraint "login_backoff_pkey" primary key ("key_hash"));')
    this.addSql('create index "login_backoff_last_failed_at_index" on "login_backoff" ("last_failed_at");')
  }

  override async down (): Promise<void> {
    this.addSql('drop table if exists "login_backoff" cascade;')
  }
}
