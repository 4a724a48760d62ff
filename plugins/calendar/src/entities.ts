import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { Migration } from '@mikro-orm/migrations'
import { createdAtProperty, idProperty, practiceReference, updatedAtProperty, userReference } from '@sprechzimmer/core'

/**
 * A secret feed URL. The token is derived (HMAC of SESSION_SECRET and the row id), so the portal can
 * show the URL again; only its SHA-256 is stored and looked up. Rotating replaces the row: the old
 * token's hash is gone at once, so the old URL answers 404.
 */
export const CalendarFeed = defineEntity({
  name: 'CalendarFeed',
  tableName: 'calendar_feed',
  properties: {
    id: idProperty,
    user: userReference(),
    /** 'user': the user's own consultations; 'practice': every consultation of the practice (admins). */
    scope: p.enum(['user', 'practice'] as const),
    practice: practiceReference().nullable(),
    tokenHash: p.string().length(64).unique(),
    createdAt: createdAtProperty,
    /** The ETag last served, and when a different one was first served: Last-Modified moves with the ETag. */
    lastEtag: p.string().length(100).nullable(),
    changedAt: p.datetime().nullable()
  },
  uniques: [{ properties: ['user', 'scope'] }]
})
export type CalendarFeed = InferEntity<typeof CalendarFeed>

/** Per-practice feed settings; without a row the feeds are pseudonymised (no client names or e-mails). */
export const CalendarSetting = defineEntity({
  name: 'CalendarSetting',
  tableName: 'calendar_setting',
  properties: {
    practice: practiceReference().primary(),
    includeClientDetails: p.boolean().default(false),
    updatedAt: updatedAtProperty
  }
})
export type CalendarSetting = InferEntity<typeof CalendarSetting>

export class CalendarMigration20261128000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "calendar_feed" ("id" uuid not null, "user_id" uuid not null, "scope" text check ("scope" in (\'user\', \'practice\')) not null, "practice_id" uuid null, "token_hash" varchar(64) not null, "created_at" timestamptz not null, constraint "calendar_feed_pkey" primary key ("id"));'
    )
    this.addSql('alter table "calendar_feed" add constraint "calendar_feed_token_hash_unique" unique ("token_hash");')
    this.addSql('alter table "calendar_feed" add constraint "calendar_feed_user_id_scope_unique" unique ("user_id", "scope");')
    this.addSql(
      'alter table "calendar_feed" add constraint "calendar_feed_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;'
    )
    this.addSql(
      'alter table "calendar_feed" add constraint "calendar_feed_practice_id_foreign" foreign key ("practice_id") references "practice" ("id") on update cascade on delete cascade;'
    )
    this.addSql(
      'create table "calendar_setting" ("practice_id" uuid not null, "include_client_details" boolean not null default false, "updated_at" timestamptz not null, constraint "calendar_setting_pkey" primary key ("practice_id"));'
    )
    this.addSql(
      'alter table "calendar_setting" add constraint "calendar_setting_practice_id_foreign" foreign key ("practice_id") references "practice" ("id") on update cascade on delete cascade;'
    )
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "calendar_setting" cascade;')
    this.addSql('drop table if exists "calendar_feed" cascade;')
  }
}

export class CalendarIcalMigration20261129022800 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "calendar_feed" add column "last_etag" varchar(100) null, add column "changed_at" timestamptz null;')
  }

  override async down(): Promise<void> {
    this.addSql('alter table "calendar_feed" drop column "last_etag", drop column "changed_at";')
  }
}

export const entities = [CalendarFeed, CalendarSetting]
export const migrations = [
  { name: 'CalendarMigration20261128000000', class: CalendarMigration20261128000000 },
  { name: 'CalendarIcalMigration20261129022800', class: CalendarIcalMigration20261129022800 }
]
