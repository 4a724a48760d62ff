import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { Migration } from '@mikro-orm/migrations'
import { idProperty } from '@sprechzimmer/core'

/**
 * One row per outbox job whose mail the SMTP server accepted (or that was written to the outbox
 * folder). A retry of the same job, or the same job enqueued again by a redelivered notice, finds
 * the row and sends nothing. Ids and times only; rows go after 30 days, long after pg-boss forgot
 * the job.
 */
export const MailDelivery = defineEntity({
  name: 'MailDelivery',
  tableName: 'mail_delivery',
  properties: {
    id: idProperty,
    deliveredAt: p.datetime().index()
  }
})
export type MailDelivery = InferEntity<typeof MailDelivery>

export class MailMigration20261128000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table "mail_delivery" ("id" uuid not null, "delivered_at" timestamptz not null, constraint "mail_delivery_pkey" primary key ("id"));')
    this.addSql('create index "mail_delivery_delivered_at_index" on "mail_delivery" ("delivered_at");')
    this.addSql(
      'create table "mail_password_reset" ("id" uuid not null, "user_id" uuid not null, "token_hash" varchar(64) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, constraint "mail_password_reset_pkey" primary key ("id"));'
    )
    this.addSql('create index "mail_password_reset_user_id_index" on "mail_password_reset" ("user_id");')
    this.addSql('create index "mail_password_reset_expires_at_index" on "mail_password_reset" ("expires_at");')
    this.addSql('alter table "mail_password_reset" add constraint "mail_password_reset_token_hash_unique" unique ("token_hash");')
    this.addSql(
      'alter table "mail_password_reset" add constraint "mail_password_reset_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;'
    )
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "mail_password_reset" cascade;')
    this.addSql('drop table if exists "mail_delivery" cascade;')
  }
}

export class MailAccountMigration20261129023000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "mail_email_change" ("id" uuid not null, "user_id" uuid not null, "old_email" varchar(254) not null, "created_at" timestamptz not null, constraint "mail_email_change_pkey" primary key ("id"));'
    )
    this.addSql('create index "mail_email_change_user_id_index" on "mail_email_change" ("user_id");')
    this.addSql('create index "mail_email_change_created_at_index" on "mail_email_change" ("created_at");')
    this.addSql(
      'alter table "mail_email_change" add constraint "mail_email_change_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;'
    )
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "mail_email_change" cascade;')
  }
}

/**
 * The old address of a changed account now waits in core's undo link (email_verification), which the
 * notice to it carries; this plugin keeps no addresses of its own any more.
 */
export class MailVerificationMigration20261207130000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop table if exists "mail_email_change" cascade;')
  }

  // The table held only notices waiting for delivery: going back needs it empty, as MailAccountMigration makes it.
  override async down(): Promise<void> {
    this.addSql(
      'create table "mail_email_change" ("id" uuid not null, "user_id" uuid not null, "old_email" varchar(254) not null, "created_at" timestamptz not null, constraint "mail_email_change_pkey" primary key ("id"));'
    )
  }
}

/**
 * Password-reset links are core's now (`email_verification` rows of purpose `reset`, since core's
 * PasswordResetMigration): the links still open move there, with their token hashes, so they keep working.
 */
export class MailResetMovedMigration20261207200000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`insert into "email_verification" ("id", "user_id", "purpose", "email", "token_hash", "created_at", "expires_at", "used_at")
      select r."id", r."user_id", 'reset', u."email", r."token_hash", r."created_at", r."expires_at", null
        from "mail_password_reset" r join "app_user" u on u."id" = r."user_id"
       where r."expires_at" > now()
      on conflict do nothing;`)
    this.addSql('drop table if exists "mail_password_reset" cascade;')
  }

  // Going back starts with no open reset links: they stay in core's table, which the old code does not read.
  override async down(): Promise<void> {
    this.addSql(
      'create table "mail_password_reset" ("id" uuid not null, "user_id" uuid not null, "token_hash" varchar(64) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, constraint "mail_password_reset_pkey" primary key ("id"));'
    )
    this.addSql('create index "mail_password_reset_user_id_index" on "mail_password_reset" ("user_id");')
    this.addSql('create index "mail_password_reset_expires_at_index" on "mail_password_reset" ("expires_at");')
    this.addSql('alter table "mail_password_reset" add constraint "mail_password_reset_token_hash_unique" unique ("token_hash");')
    this.addSql(
      'alter table "mail_password_reset" add constraint "mail_password_reset_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;'
    )
  }
}

export const entities = [MailDelivery]
export const migrations = [
  { name: 'MailMigration20261128000000', class: MailMigration20261128000000 },
  { name: 'MailAccountMigration20261129023000', class: MailAccountMigration20261129023000 },
  { name: 'MailVerificationMigration20261207130000', class: MailVerificationMigration20261207130000 },
  { name: 'MailResetMovedMigration20261207200000', class: MailResetMovedMigration20261207200000 }
]
