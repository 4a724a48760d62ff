import { Migration } from '@mikro-orm/migrations'

/**
 * The security audit trail. No foreign keys: deleting an account or a practice must not erase the
 * trail of what happened to it silently; the rows go after SZ_AUDIT_KEEP (ADR 0009).
 */
export class AuditMigration20261207160000 extends Migration {
  override async up(): Promise<void> {
    // Written out, not imported: a migration stays as it ran. A new kind comes with a migration that widens the check.
    const kinds =
      "'login', 'login-failed', 'login-backoff', 'logout', 'password-changed', 'password-reset', " +
      "'email-change-requested', 'email-changed', 'email-change-undone', 'email-verified', 'api-key-created', 'api-key-revoked', " +
      "'role-changed', 'provider-added', 'provider-deactivated', 'provider-activated', 'practice-approved', 'practice-suspended', " +
      "'practice-resumed', 'account-deleted'"
    this.addSql(
      `create table "security_event" ("id" bigserial primary key, "at" timestamptz not null, "user_id" uuid null, "practice_id" uuid null, "actor_id" uuid null, "kind" text check ("kind" in (${kinds})) not null, "network" varchar(45) null);`
    )
    this.addSql('create index "security_event_at_index" on "security_event" ("at");')
    this.addSql('create index "security_event_practice_id_at_index" on "security_event" ("practice_id", "at");')
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "security_event" cascade;')
  }
}
