import { Migration } from '@mikro-orm/migrations'

/**
 * `sz_assert(ok, reason)` aborts the statement it is part of (SQLSTATE SZ001) unless `ok` holds. The
 * waiting room writes a batch in one statement that first re-reads its consultations under a share
 * lock; if one changed since it was read, the whole statement, and so the whole batch, is undone.
 */
export class EntranceMigration20261129150000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function sz_assert(ok boolean, reason text) returns boolean language plpgsql volatile as $$
begin
  if ok is not true then
    raise exception '%', reason using errcode = 'SZ001';
  end if;
  return true;
end $$;`)
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists sz_assert(boolean, text);')
  }
}
