import { Migration } from '@mikro-orm/migrations'

/**
 * Password-reset links become core's, as `email_verification` rows of purpose `reset`: a reset is an
 * account use case, and a link mailed to an address is the one kind of row that proves it. The mail
 * plugin's own table goes in its migration, which copies the links still open.
 */
export class PasswordResetMigration20261207200000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "email_verification" drop constraint if exists "email_verification_purpose_check";')
    this.addSql(
      `alter table "email_verification" add constraint "email_verification_purpose_check" check ("purpose" in ('register', 'change', 'undo', 'reset'));`
    )
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "email_verification" where "purpose" = 'reset';`)
    this.addSql('alter table "email_verification" drop constraint if exists "email_verification_purpose_check";')
    this.addSql(`alter table "email_verification" add constraint "email_verification_purpose_check" check ("purpose" in ('register', 'change', 'undo'));`)
  }
}
