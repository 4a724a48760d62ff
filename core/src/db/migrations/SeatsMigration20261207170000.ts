import { Migration } from '@mikro-orm/migrations'

/**
 * `invitation.present_participants` counts the link's participants who are not `left`. A trigger keeps
 * it, so every path that writes a participant (the batched entrance, a returning client, a reconnect,
 * a leave, a purge) counts alike. Entries lock the link's row and compare this count with
 * SZ_JOIN_LINK_PARTICIPANTS: two instances admitting through one link count one after the other.
 */
export class SeatsMigration20261207170000 extends Migration {
  override async up (): Promise<void> {
    this.addSql('alter table "invitation" add column "present_participants" int not null default 0;')
    this.addSql(`update "invitation" i set "present_participants" =
      (select count(*) from "participant" p where p."invitation_id" = i."id" and p."status" <> 'left');`)
    this.addSql(`create function participant_seats() returns trigger language plpgsql as $$
begin
  if tg_op in ('UPDATE', 'DELETE') and old.status <> 'left' and old.invitation_id is not null
     and (tg_op = 'DELETE' or new.status = 'left') then
    update invitation set present_participants = present_participants - 1 where id = old.invitation_id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.status <> 'left' and new.invitation_id is not null
     and (tg_op = 'INSERT' or old.status = 'left') then
    update invitation set present_participants = present_participants + 1 where id = new.invitation_id;
  end if;
  return null;
end $$;`)
    this.addSql(`create trigger participant_seats after insert or delete or update of status on participant
      for each row execute function participant_seats();`)
  }

  override async down (): Promise<void> {
    this.addSql('drop trigger if exists participant_seats on participant;')
    this.addSql('drop function if exists participant_seats();')
    this.addSql('alter table "invitation" drop column if exists "present_participants";')
  }
}
