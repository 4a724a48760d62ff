import { Migration } from '@mikro-orm/migrations'

/**
 * A server session that ends (logout, deactivation, password change, erasure, expiry purge) closes
 * that session's realtime sockets on every instance at once: a trigger announces it on the realtime
 * channel, so no code path can forget to. Only the token's hash travels, as everywhere.
 */
export class RealtimeMigration20261129052000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function sz_session_ended() returns trigger language plpgsql as $$
begin
  perform pg_notify('sz_realtime', json_build_object('close', json_build_object('session', old.token_hash))::text);
  return old;
end $$;`)
    this.addSql('create trigger sz_session_ended after delete on "server_session" for each row execute function sz_session_ended();')
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists sz_session_ended on "server_session";')
    this.addSql('drop function if exists sz_session_ended();')
  }
}
