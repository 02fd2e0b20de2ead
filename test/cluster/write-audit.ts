/**
 * Who wrote which row when, recorded by the PostgreSQL server itself: a row trigger on every table
 * of the app logs the writing session's application_name (each app process of the cluster test
 * connects with its own, `?application_name=` in its DATABASE_URL) at the server's clock. Row
 * triggers fire only for rows really written: a fenced write that matched nothing leaves no trace.
 * Heartbeats (`processes`) are not logged; a lease row is logged only when its epoch changes (a claim).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.ts';
import { rowsOf } from '../../src/db/repos/shard-leases.ts';

export interface AuditedWrite {
  table: string;
  op: string;
  app: string;
  /** ms since the epoch, the server's clock_timestamp() */
  at: number;
  /** shard_leases claims: the shard and the new epoch */
  shard: number | null;
  epoch: number | null;
  /** the row's trader, where the table has a user_id */
  userId: string | null;
}

export async function installWriteAudit(db: Db): Promise<void> {
  await db.execute(sql`create table cluster_writes (id bigserial primary key, tbl text not null, op text not null, app text not null, at timestamptz not null default clock_timestamp(), shard int, epoch bigint, user_id text)`);
  await db.execute(sql.raw(`create function cluster_audit() returns trigger language plpgsql as $$
    begin
      if TG_TABLE_NAME = 'shard_leases' then
        if TG_OP = 'UPDATE' and NEW.epoch <> OLD.epoch then
          insert into cluster_writes (tbl, op, app, shard, epoch) values (TG_TABLE_NAME, 'CLAIM', current_setting('application_name'), NEW.shard, NEW.epoch);
        end if;
      else
        insert into cluster_writes (tbl, op, app, user_id) values (TG_TABLE_NAME, TG_OP, current_setting('application_name'),
          case when TG_OP = 'DELETE' then to_jsonb(OLD)->>'user_id' else to_jsonb(NEW)->>'user_id' end);
      end if;
      return null;
    end $$`));
  const tables = rowsOf<{ name: string }>(
    await db.execute(sql`select tablename as name from pg_tables where schemaname = 'public' and tablename not in ('cluster_writes', 'processes') and tablename not like '__drizzle%'`),
  );
  for (const { name } of tables) {
    await db.execute(sql.raw(`create trigger cluster_audit after insert or update or delete on "${name}" for each row execute function cluster_audit()`));
  }
}

/** `app` undefined: every writer's */
export async function auditedWrites(db: Db, app: string | undefined, fromMs: number, toMs: number): Promise<AuditedWrite[]> {
  const rows = rowsOf<{ tbl: string; op: string; app: string; at: Date | string; shard: number | null; epoch: number | string | null; user_id: string | null }>(
    await db.execute(
      sql`select tbl, op, app, at, shard, epoch, user_id from cluster_writes where (${app ?? null}::text is null or app = ${app ?? null}) and at > ${new Date(fromMs).toISOString()}::timestamptz and at < ${new Date(toMs).toISOString()}::timestamptz order by id`,
    ),
  );
  return rows.map((r) => ({ table: r.tbl, op: r.op, app: r.app, at: new Date(r.at).getTime(), shard: r.shard, epoch: r.epoch === null ? null : Number(r.epoch), userId: r.user_id }));
}

/** the first lease claimed by `app` after `fromMs` (server clock), ms; undefined: none yet */
export async function firstClaimAfter(db: Db, app: string, fromMs: number): Promise<number | undefined> {
  const [row] = rowsOf<{ at: Date | string | null }>(
    await db.execute(sql`select min(at) as at from cluster_writes where app = ${app} and tbl = 'shard_leases' and op = 'CLAIM' and at > ${new Date(fromMs).toISOString()}::timestamptz`),
  );
  return row?.at ? new Date(row.at).getTime() : undefined;
}
