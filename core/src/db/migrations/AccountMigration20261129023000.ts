import { Migration } from '@mikro-orm/migrations'

/** Account and practice API: deactivation and locale of users; tasks; consents; profile pictures. */
export class AccountMigration20261129023000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "app_user" add column "active" boolean not null default true, add column "locale" varchar(2) null;')

    this.addSql(
      'create table "task" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "user_id" uuid not null, "title" varchar(200) not null, "due_at" timestamptz null, "done" boolean not null default false, "consultation_id" uuid null, constraint "task_pkey" primary key ("id"));'
    )
    this.addSql('create index "task_user_id_index" on "task" ("user_id");')
    this.addSql('create index "task_consultation_id_index" on "task" ("consultation_id");')
    this.addSql(
      'alter table "task" add constraint "task_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;'
    )
    this.addSql(
      'alter table "task" add constraint "task_consultation_id_foreign" foreign key ("consultation_id") references "consultation" ("id") on update cascade on delete set null;'
    )

    this.addSql(
      'create table "consent" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "user_id" uuid not null, "kind" text check ("kind" in (\'profile_picture\')) not null, "text_version" varchar(50) not null, "given_at" timestamptz not null, "revoked_at" timestamptz null, constraint "consent_pkey" primary key ("id"));'
    )
    this.addSql('create index "consent_user_id_index" on "consent" ("user_id");')
    this.addSql(
      'alter table "consent" add constraint "consent_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;'
    )

    this.addSql(
      'create table "profile_picture" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "user_id" uuid not null, "content_type" varchar(20) not null, "data" bytea not null, constraint "profile_picture_pkey" primary key ("id"));'
    )
    this.addSql('alter table "profile_picture" add constraint "profile_picture_user_id_unique" unique ("user_id");')
    this.addSql(
      'alter table "profile_picture" add constraint "profile_picture_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;'
    )
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "profile_picture" cascade;')
    this.addSql('drop table if exists "consent" cascade;')
    this.addSql('drop table if exists "task" cascade;')
    this.addSql('alter table "app_user" drop column "active", drop column "locale";')
  }
}
