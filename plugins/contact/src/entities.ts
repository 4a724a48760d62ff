import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { Migration } from '@mikro-orm/migrations'
import { createdAtProperty, idProperty } from '@sprechzimmer/core'

/**
 * One contact message between the request and its delivery; the row is the outbox's stored copy.
 * The pg-boss job carries only this row's id (and has it as its own id), because pg-boss keeps jobs
 * for days. Once the operator's mail is accepted the text, name and subject are blanked; once the
 * confirmation is out the row is deleted. Rows whose job has failed for good are deleted by the
 * cleanup job, so nothing stays behind either way.
 */
export const ContactMessage = defineEntity({
  name: 'ContactMessage',
  tableName: 'contact_message',
  properties: {
    id: idProperty,
    name: p.string().length(200),
    email: p.string().length(254),
    subject: p.string().length(200),
    message: p.text(),
    /** The sender's language, for the confirmation. */
    locale: p.string().length(2),
    createdAt: createdAtProperty.index(),
    /** Set when the SMTP server accepted the mail to the operator; a retry then sends only the confirmation. */
    operatorSentAt: p.datetime().nullable()
  }
})
export type ContactMessage = InferEntity<typeof ContactMessage>

export class ContactMigration20261128000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "contact_message" ("id" uuid not null, "name" varchar(200) not null, "email" varchar(254) not null, "subject" varchar(200) not null, "message" text not null, "locale" varchar(2) not null, "created_at" timestamptz not null, "operator_sent_at" timestamptz null, constraint "contact_message_pkey" primary key ("id"));'
    )
    this.addSql('create index "contact_message_created_at_index" on "contact_message" ("created_at");')
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "contact_message" cascade;')
  }
}

export const entities = [ContactMessage]
export const migrations = [{ name: 'ContactMigration20261128000000', class: ContactMigration20261128000000 }]
