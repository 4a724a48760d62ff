import { Migration } from '@mikro-orm/migrations'

/**
 * Verified e-mail addresses. Providers registered before this migration keep working as verified (their
 * practices' mails would otherwise stop at once); client accounts must prove their address, because a
 * client account is how someone else's invitations were read.
 */
export class VerificationMigration20261207130000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "app_user" add column "email_verified_at" timestamptz null;')
    this.addSql('update "app_user" set "email_verified_at" = "created_at" where "kind" = \'provider\';')
    this.addSql(
      'create table "email_verification" ("id" uuid not null, "user_id" uuid not null, "purpose" text check ("purpose" in (\'register\', \'change\', \'undo\')) not null, "email" varchar(254) not null, "token_hash" varchar(64) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, constraint "email_verification_pkey" primary key ("id"));'
    )
    this.addSql('create index "email_verification_user_id_index" on "email_verification" ("user_id");')
    this.addSql('create index "email_verification_expires_at_index" on "email_verification" ("expires_at");')
    this.addSql('alter table "email_verification" add constraint "email_verification_token_hash_unique" unique ("token_hash");')
    this.addSql(
      'alter table "email_verification" add constraint "email_verification_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;'
    )
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "email_verification" cascade;')
    this.addSql('alter table "app_user" drop column "email_verified_at";')
  }
}
