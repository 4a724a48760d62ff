import { Migration } from '@mikro-orm/migrations'

/**
 * `invitation.present_participants` counts the link's participants who are not `left`. A trigger keeps
 * it, so every path that writes a participant (the batched entrance, a returning client, a reconnect,
 * a leave, a purge) counts alike. Entries lock the link's row and compare this count with
 * SZ_JOIN_LINK_PARTICIPANTS: two instances admitting through one link count one after the other.
 */
export class SeatsMigration20261207170000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "invitation" add column "present_participants" int not null default 0;')
    this.addSql(`update "invitation" i set "present_participants" =
      (select count(*) from "participant" p where p."invitation_id" = i."id" and p."status" <> 'left');`)
    // Statement-level, with transition tables: a batch of entries through one link is one update of
    // the link's row, not one a participant.
    this.addSql(`create function participant_seats() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    update invitation i set present_participants = i.present_participants + d.n
      from (select invitation_id, count(*)::int as n from new_rows where status <> 'left' group by invitation_id) d
     where i.id = d.invitation_id;
  elsif tg_op = 'DELETE' then
    update invitation i set present_participants = i.present_participants - d.n
      from (select invitation_id, count(*)::int as n from old_rows where status <> 'left' group by invitation_id) d
     where i.id = d.invitation_id;
  else
    update invitation i set present_participants = i.present_participants + d.n
      from (select invitation_id, sum(n)::int as n
              from (select invitation_id, -1 as n from old_rows where status <> 'left'
                    union all select invitation_id, 1 from new_rows where status <> 'left') changes
             group by invitation_id having sum(n) <> 0) d
     where i.id = d.invitation_id;
  end if;
  return null;
end $$;`)
    this.addSql(
      'create trigger participant_seats_insert after insert on participant referencing new table as new_rows for each statement execute function participant_seats();'
    )
    this.addSql(
      'create trigger participant_seats_update after update on participant referencing old table as old_rows new table as new_rows for each statement execute function participant_seats();'
    )
    this.addSql(
      'create trigger participant_seats_delete after delete on participant referencing old table as old_rows for each statement execute function participant_seats();'
    )
  }

  override async down(): Promise<void> {
    for (const on of ['insert', 'update', 'delete']) this.addSql(`drop trigger if exists participant_seats_${on} on participant;`)
    this.addSql('drop function if exists participant_seats();')
    this.addSql('alter table "invitation" drop column if exists "present_participants";')
  }
}
