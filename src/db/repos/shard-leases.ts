/**
 * Shard leases and the processes that hold them (SPEC §12). Every time is the database's
 * (now()): processes on several hosts never compare their own clocks. A claim takes free or
 * expired shards with FOR UPDATE SKIP LOCKED (two processes claiming at once never take one shard
 * both) and raises the shard's epoch; a renewal extends only leases that have not expired yet.
 * A process is alive while it holds its liveness lock (Database.livenessLock): the shards of an
 * owner whose lock is gone (its session died with it: kill -9) are free at once, not at their expiry.
 */
import { sql, type SQL } from 'drizzle-orm';
import { livenessHeld, type Db } from '../client.ts';

export interface HeldLease {
  shard: number;
  epoch: number;
}

export interface ProcessRow {
  id: string;
  host: string;
  pid: number;
  /** ms since epoch */
  startedAt: number;
  heartbeatAt: number;
  shards: number[];
}

/** db.execute's rows on both drivers (postgres.js: the result is the list; PGlite: `.rows`) */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

const intArray = (values: readonly number[]): SQL => sql`${`{${values.map((v) => Math.trunc(v)).join(',')}}`}::int[]`;
const interval = (ms: number): SQL => sql`(${Math.round(ms)} * interval '1 millisecond')`;

const toLease = (r: { shard: number | string; epoch: number | string }): HeldLease => ({ shard: Number(r.shard), epoch: Number(r.epoch) });

export function createShardLeasesRepo(db: Db) {
  return {
    /** The lease rows of shards 0 … count−1 (a fresh database has none). */
    async ensureShards(count: number): Promise<void> {
      await db.execute(sql`insert into shard_leases (shard) select s from generate_series(0, ${count - 1}::int) as s on conflict do nothing`);
    },

    /** This process is alive (and holds `shards`); returns how many processes are alive, itself included. */
    async heartbeat(p: { id: string; host: string; pid: number; shards: readonly number[] }, ttlMs: number): Promise<number> {
      await db.execute(sql`
        insert into processes (id, host, pid, shards) values (${p.id}, ${p.host}, ${p.pid}, ${JSON.stringify(p.shards)}::jsonb)
        on conflict (id) do update set heartbeat_at = now(), shards = excluded.shards`);
      const [row] = rowsOf<{ live: number | string }>(await db.execute(sql`select count(*) as live from processes where heartbeat_at > now() - ${interval(ttlMs)} and ${livenessHeld(sql`id`)}`));
      return Math.max(1, Number(row?.live ?? 1));
    },

    /** Extends the leases `owner` still holds (not expired); returns those. */
    async renew(owner: string, shards: readonly number[], ttlMs: number): Promise<HeldLease[]> {
      if (shards.length === 0) return [];
      const rows = await db.execute(sql`
        update shard_leases set expires_at = now() + ${interval(ttlMs)}
        where owner = ${owner} and shard = any(${intArray(shards)}) and expires_at > now()
        returning shard, epoch`);
      return rowsOf<{ shard: number; epoch: number }>(rows).map(toLease);
    },

    /**
     * Takes up to `count` shards that are free, expired, held by a dead owner (its liveness lock
     * gone), or still recorded as this owner's but not in `held` (dropped locally after its lock session was cut),
     * each at its next epoch.
     */
    async claim(owner: string, count: number, ttlMs: number, held: readonly number[] = []): Promise<HeldLease[]> {
      if (count <= 0) return [];
      const rows = await db.execute(sql`
        with free as (
          select shard from shard_leases
          where owner is null or expires_at <= now() or (owner = ${owner} and shard <> all(${intArray(held)})) or not ${livenessHeld(sql`owner`)}
          order by shard limit ${count} for update skip locked
        )
        update shard_leases l set owner = ${owner}, epoch = l.epoch + 1, expires_at = now() + ${interval(ttlMs)}
        from free where l.shard = free.shard
        returning l.shard, l.epoch`);
      return rowsOf<{ shard: number; epoch: number }>(rows).map(toLease);
    },

    /** Hands shards back at once (a clean stop, or a share given to a process that joined). */
    async release(owner: string, shards: readonly number[]): Promise<void> {
      if (shards.length === 0) return;
      await db.execute(sql`update shard_leases set owner = null, expires_at = now() where owner = ${owner} and shard = any(${intArray(shards)})`);
    },

    async removeProcess(id: string): Promise<void> {
      await db.execute(sql`delete from processes where id = ${id}`);
    },

    /** The live processes: seen within `withinMs` (a frozen one drops out after it), their liveness lock held (a dead one drops out at once); oldest first. */
    async listProcesses(withinMs: number): Promise<ProcessRow[]> {
      const rows = rowsOf<{ id: string; host: string; pid: number; started_at: string | Date; heartbeat_at: string | Date; shards: number[] | string }>(
        await db.execute(sql`select id, host, pid, started_at, heartbeat_at, shards from processes where heartbeat_at > now() - ${interval(withinMs)} and ${livenessHeld(sql`id`)} order by started_at, id`),
      );
      return rows.map((r) => ({
        id: r.id,
        host: r.host,
        pid: Number(r.pid),
        startedAt: new Date(r.started_at).getTime(),
        heartbeatAt: new Date(r.heartbeat_at).getTime(),
        shards: typeof r.shards === 'string' ? (JSON.parse(r.shards) as number[]) : r.shards,
      }));
    },

    /** shard → owner and epoch, as the database holds them now (tests, /status) */
    async leases(): Promise<Array<{ shard: number; owner: string | null; epoch: number; expired: boolean }>> {
      const rows = rowsOf<{ shard: number; owner: string | null; epoch: number | string; expired: boolean }>(
        await db.execute(sql`select shard, owner, epoch, expires_at <= now() as expired from shard_leases order by shard`),
      );
      return rows.map((r) => ({ shard: Number(r.shard), owner: r.owner, epoch: Number(r.epoch), expired: r.expired }));
    },
  };
}

export type ShardLeasesRepo = ReturnType<typeof createShardLeasesRepo>;

/** The lease a write is fenced with: it lands only while `owner` holds `shard` at `epoch`, unexpired. */
export interface Fence {
  shard: number;
  owner: string;
  epoch: number;
}

/** A write refused because the writer no longer holds the trader's shard at its epoch. */
export class FencedError extends Error {
  override name = 'FencedError';
  constructor(
    readonly shard: number,
    why: string,
  ) {
    super(`shard ${shard} ${why}: nothing written, nothing sent`);
  }
}

export const heldNoMore = (f: Fence) => `is no longer held by ${f.owner} at epoch ${f.epoch}`;

/** The lease row, as a fencing condition: select it (FOR SHARE, so a takeover waits for the write's commit). */
export const fenceRow = (f: Fence): SQL =>
  sql`select 1 from shard_leases where shard = ${f.shard} and owner = ${f.owner} and epoch = ${f.epoch} and expires_at > now() for share`;

/**
 * Inside a transaction: holds the lease row until the commit, or throws FencedError. A takeover
 * (an update of the row) waits for this transaction, so whatever it wrote is seen by the new
 * owner's recovery.
 */
export async function holdFence(tx: Db, fence: Fence | undefined): Promise<void> {
  if (!fence) return;
  if (rowsOf(await tx.execute(fenceRow(fence))).length === 0) throw new FencedError(fence.shard, heldNoMore(fence));
}
