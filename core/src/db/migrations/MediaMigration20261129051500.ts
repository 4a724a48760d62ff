import { Migration } from '@mikro-orm/migrations'

/** A practice may send every call through the media server, not only calls of three or more. */
export class MediaMigration20261129051500 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "practice" add column "calls_through_media_server" boolean not null default false;')
  }

  override async down(): Promise<void> {
    this.addSql('alter table "practice" drop column "calls_through_media_server";')
  }
}
