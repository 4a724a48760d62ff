import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { Migration } from '@mikro-orm/migrations'
import { Consultation, createdAtProperty, idProperty, practiceReference, userReference } from '@sprechzimmer/core'

/** A practice calendar that becomes consultations: a polled URL, or uploads (url null). */
export const CalendarSource = defineEntity({
  name: 'CalendarSource',
  tableName: 'ical_source',
  properties: {
    id: idProperty,
    practice: practiceReference().index(),
    /** The provider whose consultations the events become (the admin who registered the source). */
    provider: userReference(),
    url: p.string().length(2000).nullable(),
    /** 'all', or only events with this category / with this keyword in summary or location. */
    selection: p.enum(['all', 'category', 'keyword'] as const),
    selectionValue: p.string().length(200).nullable(),
    pollIntervalMs: p.integer(),
    etag: p.string().length(500).nullable(),
    /** The Last-Modified of the last successful download, sent back as If-Modified-Since. */
    lastModified: p.string().length(100).nullable(),
    lastSyncAt: p.datetime().nullable(),
    lastError: p.string().length(500).nullable(),
    createdAt: createdAtProperty
  }
})
export type CalendarSource = InferEntity<typeof CalendarSource>

/** One imported event instance (UID + RECURRENCE-ID) and the consultation made from it. */
export const ImportedEvent = defineEntity({
  name: 'ImportedEvent',
  tableName: 'ical_imported_event',
  properties: {
    id: idProperty,
    source: p.manyToOne(CalendarSource).mapToPk().deleteRule('cascade'),
    eventKey: p.string().length(1100),
    consultation: p.manyToOne(Consultation).mapToPk().nullable().deleteRule('set null'),
    /** Hash of what the consultation was made from; unchanged hash, nothing written. */
    hash: p.string().length(64),
    startAt: p.datetime(),
    cancelled: p.boolean().default(false)
  },
  uniques: [{ properties: ['source', 'eventKey'] }]
})
export type ImportedEvent = InferEntity<typeof ImportedEvent>

export class IcalMigration20261128000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "ical_source" ("id" uuid not null, "practice_id" uuid not null, "provider_id" uuid not null, "url" varchar(2000) null, "selection" text check ("selection" in (\'all\', \'category\', \'keyword\')) not null, "selection_value" varchar(200) null, "poll_interval_ms" int not null, "etag" varchar(500) null, "last_sync_at" timestamptz null, "last_error" varchar(500) null, "created_at" timestamptz not null, constraint "ical_source_pkey" primary key ("id"));'
    )
    this.addSql('create index "ical_source_practice_id_index" on "ical_source" ("practice_id");')
    this.addSql(
      'alter table "ical_source" add constraint "ical_source_practice_id_foreign" foreign key ("practice_id") references "practice" ("id") on update cascade on delete cascade;'
    )
    this.addSql(
      'alter table "ical_source" add constraint "ical_source_provider_id_foreign" foreign key ("provider_id") references "app_user" ("id") on update cascade on delete cascade;'
    )
    this.addSql(
      'create table "ical_imported_event" ("id" uuid not null, "source_id" uuid not null, "event_key" varchar(1100) not null, "consultation_id" uuid null, "hash" varchar(64) not null, "start_at" timestamptz not null, "cancelled" boolean not null default false, constraint "ical_imported_event_pkey" primary key ("id"));'
    )
    this.addSql('alter table "ical_imported_event" add constraint "ical_imported_event_source_id_event_key_unique" unique ("source_id", "event_key");')
    this.addSql(
      'alter table "ical_imported_event" add constraint "ical_imported_event_source_id_foreign" foreign key ("source_id") references "ical_source" ("id") on update cascade on delete cascade;'
    )
    this.addSql(
      'alter table "ical_imported_event" add constraint "ical_imported_event_consultation_id_foreign" foreign key ("consultation_id") references "consultation" ("id") on update cascade on delete set null;'
    )
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "ical_imported_event" cascade;')
    this.addSql('drop table if exists "ical_source" cascade;')
  }
}

export class IcalMigration20261129021000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "ical_source" add column "last_modified" varchar(100) null;')
  }

  override async down(): Promise<void> {
    this.addSql('alter table "ical_source" drop column "last_modified";')
  }
}

export const entities = [CalendarSource, ImportedEvent]
export const migrations = [
  { name: 'IcalMigration20261128000000', class: IcalMigration20261128000000 },
  { name: 'IcalMigration20261129021000', class: IcalMigration20261129021000 }
]
