import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { Migration } from '@mikro-orm/migrations'
import { Consultation, createdAtProperty, idProperty, practiceReference, User } from '@sprechzimmer/core'

/** An API key of a practice: only the SHA-256 of the key is kept (it has 256 random bits, so no slow hash is needed). */
export const ApiKey = defineEntity({
  name: 'RestApiKey',
  tableName: 'rest_api_key',
  properties: {
    id: idProperty,
    practice: practiceReference().index(),
    name: p.string().length(100),
    /** The first characters of the key, so a person can tell keys apart; not enough to use it. */
    prefix: p.string().length(16),
    keyHash: p.string().length(64).unique(),
    scopes: p.json<string[]>(),
    createdBy: p.manyToOne(User).mapToPk().nullable().deleteRule('set null'),
    createdAt: createdAtProperty,
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable()
  }
})
export type ApiKey = InferEntity<typeof ApiKey>

/**
 * An Idempotency-Key of a practice and the answer it got. The row is claimed (inserted) first in the
 * transaction that creates the appointment, so a concurrent twin waits on the unique index and then
 * replays. `response` holds ids, times and states only: no e-mail address, no join link.
 */
export const IdempotencyRecord = defineEntity({
  name: 'RestIdempotencyRecord',
  tableName: 'rest_idempotency',
  properties: {
    id: idProperty,
    practice: practiceReference(),
    key: p.string().length(255),
    requestHash: p.string().length(64),
    statusCode: p.integer().nullable(),
    response: p.json<Record<string, unknown>>().nullable(),
    createdAt: createdAtProperty.index()
  },
  uniques: [{ properties: ['practice', 'key'] }]
})
export type IdempotencyRecord = InferEntity<typeof IdempotencyRecord>

/** The practice software's own id of an appointment (unique per practice), and the first answer for it. */
export const AppointmentLink = defineEntity({
  name: 'RestAppointment',
  tableName: 'rest_appointment',
  properties: {
    consultation: p.manyToOne(Consultation).mapToPk().primary().deleteRule('cascade'),
    practice: practiceReference(),
    externalId: p.string().length(200),
    requestHash: p.string().length(64),
    response: p.json<Record<string, unknown>>(),
    createdAt: createdAtProperty
  },
  uniques: [{ properties: ['practice', 'externalId'] }]
})
export type AppointmentLink = InferEntity<typeof AppointmentLink>

/** A webhook endpoint; its signing secret is derived from SESSION_SECRET and the id, never stored. */
export const WebhookEndpoint = defineEntity({
  name: 'RestWebhookEndpoint',
  tableName: 'rest_webhook_endpoint',
  properties: {
    id: idProperty,
    practice: practiceReference().index(),
    url: p.string().length(2000),
    events: p.json<string[]>(),
    createdAt: createdAtProperty
  }
})
export type WebhookEndpoint = InferEntity<typeof WebhookEndpoint>

/**
 * One event for one endpoint, and its delivery state. Events of one endpoint and consultation form a
 * stream ordered by (source_id, ordinal): the lifecycle notice's time-ordered id and the position of
 * the event within the notice. Only the head of a stream is delivered.
 */
export const WebhookEvent = defineEntity({
  name: 'RestWebhookEvent',
  tableName: 'rest_webhook_event',
  properties: {
    id: idProperty,
    eventId: p.uuid(),
    endpoint: p.manyToOne(WebhookEndpoint).mapToPk().deleteRule('cascade'),
    consultationId: p.uuid(),
    sourceId: p.uuid(),
    ordinal: p.smallint(),
    type: p.string().length(40),
    data: p.json<Record<string, unknown>>(),
    createdAt: createdAtProperty,
    status: p.string().length(10).default('pending'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    leaseUntil: p.datetime().nullable(),
    lastStatus: p.integer().nullable(),
    lastError: p.string().length(100).nullable(),
    deliveredAt: p.datetime().nullable()
  },
  uniques: [{ properties: ['endpoint', 'eventId'] }]
})
export type WebhookEvent = InferEntity<typeof WebhookEvent>

export class RestMigration20261128000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "rest_api_key" ("id" uuid not null, "practice_id" uuid not null, "name" varchar(100) not null, "prefix" varchar(16) not null, "key_hash" varchar(64) not null, "scopes" jsonb not null, "created_by_id" uuid null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "rest_api_key_pkey" primary key ("id"));`
    )
    this.addSql('create index "rest_api_key_practice_id_index" on "rest_api_key" ("practice_id");')
    this.addSql('alter table "rest_api_key" add constraint "rest_api_key_key_hash_unique" unique ("key_hash");')
    this.addSql(
      'alter table "rest_api_key" add constraint "rest_api_key_practice_id_foreign" foreign key ("practice_id") references "practice" ("id") on update cascade on delete cascade;'
    )
    this.addSql(
      'alter table "rest_api_key" add constraint "rest_api_key_created_by_id_foreign" foreign key ("created_by_id") references "app_user" ("id") on update cascade on delete set null;'
    )

    this.addSql(
      'create table "rest_idempotency" ("id" uuid not null, "practice_id" uuid not null, "key" varchar(255) not null, "request_hash" varchar(64) not null, "status_code" int null, "response" jsonb null, "created_at" timestamptz not null, constraint "rest_idempotency_pkey" primary key ("id"));'
    )
    this.addSql('create index "rest_idempotency_created_at_index" on "rest_idempotency" ("created_at");')
    this.addSql('alter table "rest_idempotency" add constraint "rest_idempotency_practice_id_key_unique" unique ("practice_id", "key");')
    this.addSql(
      'alter table "rest_idempotency" add constraint "rest_idempotency_practice_id_foreign" foreign key ("practice_id") references "practice" ("id") on update cascade on delete cascade;'
    )

    // The link row is claimed before the consultation row exists, hence the deferred foreign key.
    this.addSql(
      'create table "rest_appointment" ("consultation_id" uuid not null, "practice_id" uuid not null, "external_id" varchar(200) not null, "request_hash" varchar(64) not null, "response" jsonb not null, "created_at" timestamptz not null, constraint "rest_appointment_pkey" primary key ("consultation_id"));'
    )
    this.addSql('alter table "rest_appointment" add constraint "rest_appointment_practice_id_external_id_unique" unique ("practice_id", "external_id");')
    this.addSql(
      'alter table "rest_appointment" add constraint "rest_appointment_consultation_id_foreign" foreign key ("consultation_id") references "consultation" ("id") on update cascade on delete cascade deferrable initially deferred;'
    )
    this.addSql(
      'alter table "rest_appointment" add constraint "rest_appointment_practice_id_foreign" foreign key ("practice_id") references "practice" ("id") on update cascade on delete cascade;'
    )

    this.addSql(
      'create table "rest_webhook_endpoint" ("id" uuid not null, "practice_id" uuid not null, "url" varchar(2000) not null, "events" jsonb not null, "created_at" timestamptz not null, constraint "rest_webhook_endpoint_pkey" primary key ("id"));'
    )
    this.addSql('create index "rest_webhook_endpoint_practice_id_index" on "rest_webhook_endpoint" ("practice_id");')
    this.addSql(
      'alter table "rest_webhook_endpoint" add constraint "rest_webhook_endpoint_practice_id_foreign" foreign key ("practice_id") references "practice" ("id") on update cascade on delete cascade;'
    )

    this.addSql(
      `create table "rest_webhook_event" ("id" uuid not null, "event_id" uuid not null, "endpoint_id" uuid not null, "consultation_id" uuid not null, "source_id" uuid not null, "ordinal" smallint not null, "type" varchar(40) not null, "data" jsonb not null, "created_at" timestamptz not null, "status" varchar(10) not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "lease_until" timestamptz null, "last_status" int null, "last_error" varchar(100) null, "delivered_at" timestamptz null, constraint "rest_webhook_event_pkey" primary key ("id"));`
    )
    this.addSql('alter table "rest_webhook_event" add constraint "rest_webhook_event_endpoint_id_event_id_unique" unique ("endpoint_id", "event_id");')
    this.addSql(
      'alter table "rest_webhook_event" add constraint "rest_webhook_event_endpoint_id_foreign" foreign key ("endpoint_id") references "rest_webhook_endpoint" ("id") on update cascade on delete cascade;'
    )
    this.addSql(
      `create index "rest_webhook_event_stream_index" on "rest_webhook_event" ("endpoint_id", "consultation_id", "source_id", "ordinal") where "status" = 'pending';`
    )
    this.addSql(`create index "rest_webhook_event_due_index" on "rest_webhook_event" ("next_attempt_at") where "status" = 'pending';`)
    this.addSql('create index "rest_webhook_event_created_at_index" on "rest_webhook_event" ("created_at");')
  }

  override async down(): Promise<void> {
    for (const table of ['rest_webhook_event', 'rest_webhook_endpoint', 'rest_appointment', 'rest_idempotency', 'rest_api_key']) {
      this.addSql(`drop table if exists "${table}" cascade;`)
    }
  }
}

export const entities = [ApiKey, IdempotencyRecord, AppointmentLink, WebhookEndpoint, WebhookEvent]
export const migrations = [{ name: 'RestMigration20261128000000', class: RestMigration20261128000000 }]
