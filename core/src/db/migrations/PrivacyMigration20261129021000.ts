import { Migration } from '@mikro-orm/migrations'

/** The deletion log (counts, no identifiers) and pending account erasures. */
export class PrivacyMigration20261129021000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "deletion_log" ("id" bigserial primary key, "category" varchar(40) not null, "count" int not null, "deleted_at" timestamptz not null, "practice_id" uuid null);'
    )
    this.addSql('create index "deletion_log_deleted_at_index" on "deletion_log" ("deleted_at");')
    this.addSql('create index "deletion_log_practice_id_index" on "deletion_log" ("practice_id");')
    this.addSql(
      'create table "account_erasure" ("user_id" uuid not null, "practice_id" uuid null, "requested_at" timestamptz not null, constraint "account_erasure_pkey" primary key ("user_id"));'
    )
    this.addSql(
      'alter table "account_erasure" add constraint "account_erasure_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;'
    )
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "account_erasure" cascade;')
    this.addSql('drop table if exists "deletion_log" cascade;')
  }
}
