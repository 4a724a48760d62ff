import { Migration } from '@mikro-orm/migrations'

export class Migration20261128134045 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "access_record" ("id" bigserial primary key, "at" timestamptz not null, "kind" text check ("kind" in ('register', 'login', 'login-failed', 'join')) not null, "ip" varchar(45) not null, "user_agent" varchar(300) null, "anonymized" boolean not null default false);`
    )
    this.addSql(`create index "access_record_at_index" on "access_record" ("at");`)

    this.addSql(
      `create table "practice" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(200) not null, "type" varchar(100) not null, "street" varchar(200) not null, "postal_code" varchar(20) not null, "city" varchar(100) not null, "country" varchar(2) not null, "contact_name" varchar(200) not null, "contact_email" varchar(254) not null, "iban" varchar(34) not null, "bic" varchar(11) null, "account_holder" varchar(200) not null, "time_zone" varchar(64) not null, "locale" varchar(2) not null, constraint "practice_pkey" primary key ("id"));`
    )

    this.addSql(
      `create table "app_user" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "kind" text check ("kind" in ('provider', 'client')) not null, "is_practice_admin" boolean not null default false, "practice_id" uuid null, "email" varchar(254) not null, "password_hash" varchar(200) not null, "salutation" varchar(50) null, "title" varchar(50) null, "first_name" varchar(100) not null, "last_name" varchar(100) not null, constraint "app_user_pkey" primary key ("id"));`
    )
    this.addSql(`create index "app_user_practice_id_index" on "app_user" ("practice_id");`)
    this.addSql(`alter table "app_user" add constraint "app_user_email_unique" unique ("email");`)

    this.addSql(
      `create table "server_session" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "token_hash" varchar(64) not null, "user_id" uuid not null, "expires_at" timestamptz not null, constraint "server_session_pkey" primary key ("id"));`
    )
    this.addSql(`alter table "server_session" add constraint "server_session_token_hash_unique" unique ("token_hash");`)
    this.addSql(`create index "server_session_user_id_index" on "server_session" ("user_id");`)

    this.addSql(
      `create table "consultation" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "practice_id" uuid not null, "provider_id" uuid not null, "title" varchar(200) not null, "start_at" timestamptz not null, "end_at" timestamptz not null, "state" text check ("state" in ('scheduled', 'waiting', 'live', 'ended', 'cancelled', 'purged')) not null, "snapshot" jsonb not null, "machine_version" varchar(20) not null, "version" int not null default 1, "no_show" boolean not null default false, "live_at" timestamptz null, "ended_at" timestamptz null, "cancelled_at" timestamptz null, "purged_at" timestamptz null, "empty_since" timestamptz null, "due_at" timestamptz null, "media" jsonb null, constraint "consultation_pkey" primary key ("id"));`
    )
    this.addSql(`create index "consultation_practice_id_index" on "consultation" ("practice_id");`)
    this.addSql(`create index "consultation_due_at_index" on "consultation" ("due_at");`)
    this.addSql(`create index "consultation_practice_id_start_at_index" on "consultation" ("practice_id", "start_at");`)

    this.addSql(
      `create table "invitation" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "consultation_id" uuid not null, "email" varchar(254) not null, "name" varchar(200) null, "locale" varchar(2) null, "token_hash" varchar(64) not null, constraint "invitation_pkey" primary key ("id"));`
    )
    this.addSql(`create index "invitation_consultation_id_index" on "invitation" ("consultation_id");`)
    this.addSql(`alter table "invitation" add constraint "invitation_token_hash_unique" unique ("token_hash");`)

    this.addSql(
      `create table "participant" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "consultation_id" uuid not null, "invitation_id" uuid null, "display_name" varchar(100) null, "status" text check ("status" in ('waiting', 'admitted', 'left')) not null, "waiting_since" timestamptz not null, "admitted_at" timestamptz null, "left_at" timestamptz null, constraint "participant_pkey" primary key ("id"));`
    )
    this.addSql(`create index "participant_consultation_id_index" on "participant" ("consultation_id");`)

    this.addSql(
      `alter table "app_user" add constraint "app_user_practice_id_foreign" foreign key ("practice_id") references "practice" ("id") on update cascade on delete cascade;`
    )

    this.addSql(
      `alter table "server_session" add constraint "server_session_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`
    )

    this.addSql(
      `alter table "consultation" add constraint "consultation_practice_id_foreign" foreign key ("practice_id") references "practice" ("id") on update cascade on delete cascade;`
    )
    this.addSql(
      `alter table "consultation" add constraint "consultation_provider_id_foreign" foreign key ("provider_id") references "app_user" ("id") on update cascade on delete cascade;`
    )

    this.addSql(
      `alter table "invitation" add constraint "invitation_consultation_id_foreign" foreign key ("consultation_id") references "consultation" ("id") on update cascade on delete cascade;`
    )

    this.addSql(
      `alter table "participant" add constraint "participant_consultation_id_foreign" foreign key ("consultation_id") references "consultation" ("id") on update cascade on delete cascade;`
    )
    this.addSql(
      `alter table "participant" add constraint "participant_invitation_id_foreign" foreign key ("invitation_id") references "invitation" ("id") on update cascade on delete set null;`
    )
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "app_user" drop constraint "app_user_practice_id_foreign";`)

    this.addSql(`alter table "consultation" drop constraint "consultation_practice_id_foreign";`)

    this.addSql(`alter table "server_session" drop constraint "server_session_user_id_foreign";`)

    this.addSql(`alter table "consultation" drop constraint "consultation_provider_id_foreign";`)

    this.addSql(`alter table "invitation" drop constraint "invitation_consultation_id_foreign";`)

    this.addSql(`alter table "participant" drop constraint "participant_consultation_id_foreign";`)

    this.addSql(`alter table "participant" drop constraint "participant_invitation_id_foreign";`)

    this.addSql(`drop table if exists "access_record" cascade;`)

    this.addSql(`drop table if exists "practice" cascade;`)

    this.addSql(`drop table if exists "app_user" cascade;`)

    this.addSql(`drop table if exists "server_session" cascade;`)

    this.addSql(`drop table if exists "consultation" cascade;`)

    this.addSql(`drop table if exists "invitation" cascade;`)

    this.addSql(`drop table if exists "participant" cascade;`)
  }
}
