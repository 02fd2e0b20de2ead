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
import { LEASES_CHANNEL } from '../schema.ts';

/** ms a lone process's shards wait after its last heartbeat (and after a database restart) before another takes them */
export const SOLO_GRACE_MS = 6_000;

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
const bigintArray = (values: readonly number[]): SQL => sql`${`{${values.map((v) => Math.trunc(v)).join(',')}}`}::bigint[]`;
const interval = (ms: number): SQL => sql`(${Math.round(ms)} * interval '1 millisecond')`;

const toLease = (r: { shard: number | string; epoch: number | string }): HeldLease => ({ shard: Number(r.shard), epoch: Number(r.epoch) });

export function createShardLeasesRepo(db: Db) {
  return {
    /** The lease rows of shards 0 … count−1 (a fresh database has none). */
    async ensureShards(count: number): Promise<void> {
      await db.execute(sql`insert into shard_leases (shard) select s from generate_series(0, ${count - 1}::int) as s on conflict do nothing`);
    },

    /**
     * This process is alive (and holds `shards`). Returns how many processes are alive, itself
     * included; the row records whether it was alone (no other live process), which keeps its
     * shards its own through a database outage (see claim).
     */
    async heartbeat(p: { id: string; host: string; pid: number; shards: readonly number[] }, ttlMs: number): Promise<{ live: number; alone: boolean }> {
      // live (for the fair share): a heartbeat within a lease and the liveness lock held; alone:
      // no other process holds its liveness lock at all, however late its heartbeat (a slow or
      // frozen one still could act when it wakes)
      const [row] = rowsOf<{ live: number | string; locked: number | string; joined: boolean }>(
        await db.execute(sql`
          with others as (
            select count(*) filter (where heartbeat_at > now() - ${interval(ttlMs)}) as live, count(*) as locked from processes
            where id <> ${p.id} and ${livenessHeld(sql`id`)}
          ), upsert as (
            insert into processes (id, host, pid, shards, alone)
            select ${p.id}, ${p.host}, ${p.pid}, ${JSON.stringify(p.shards)}::jsonb, locked = 0 from others
            on conflict (id) do update set heartbeat_at = now(), shards = excluded.shards, alone = excluded.alone
            returning (xmax = 0) as joined
          )
          select (select live from others) as live, (select locked from others) as locked, (select joined from upsert) as joined`),
      );
      // a process that just joined: the others hand back its share at once, not at their next round
      if (row?.joined) await db.execute(sql`select pg_notify(${LEASES_CHANNEL}, ${p.id})`);
      return { live: 1 + Number(row?.live ?? 0), alone: Number(row?.locked ?? 0) === 0 };
    },

    /**
     * Extends the leases `owner` still holds at their epoch, expired or not (nobody took a shard
     * whose epoch did not move: a lone process renews what it kept through an outage); returns those.
     */
    async renew(owner: string, leases: readonly HeldLease[], ttlMs: number): Promise<HeldLease[]> {
      if (leases.length === 0) return [];
      const rows = await db.execute(sql`
        update shard_leases l set expires_at = now() + ${interval(ttlMs)}
        from unnest(${intArray(leases.map((x) => x.shard))}, ${bigintArray(leases.map((x) => x.epoch))}) as mine(shard, epoch)
        where l.owner = ${owner} and l.shard = mine.shard and l.epoch = mine.epoch
        returning l.shard, l.epoch`);
      return rowsOf<{ shard: number; epoch: number }>(rows).map(toLease);
    },

    /**
     * Takes up to `count` shards, each at its next epoch: free ones; ones still recorded as this
     * owner's but not in `held` (dropped locally); and another owner's when
     * - that owner had company at its last heartbeat: its lease expired, or its liveness lock is
     *   gone (its session died with it: kill -9);
     * - that owner was alone: it keeps acting through a database outage, so only once it is gone —
     *   its liveness lock free, no heartbeat for `soloGraceMs`, and the database up for as long
     *   (after a database restart every lock is free, and the lone process gets that long to come back).
     */
    async claim(owner: string, count: number, ttlMs: number, held: readonly number[] = [], soloGraceMs = SOLO_GRACE_MS): Promise<HeldLease[]> {
      if (count <= 0) return [];
      const rows = await db.execute(sql`
        with free as (
          select l.shard from shard_leases l left join processes p on p.id = l.owner
          where l.owner is null
             or (l.owner = ${owner} and l.shard <> all(${intArray(held)}))
             or (l.owner <> ${owner} and case when coalesce(p.alone, false)
                   then not ${livenessHeld(sql`l.owner`)} and p.heartbeat_at < now() - ${interval(soloGraceMs)}
                        and pg_postmaster_start_time() < now() - ${interval(soloGraceMs)}
                   else l.expires_at <= now() or not ${livenessHeld(sql`l.owner`)} end)
          order by l.shard limit ${count} for update of l skip locked
        )
        update shard_leases l set owner = ${owner}, epoch = l.epoch + 1, expires_at = now() + ${interval(ttlMs)}
        from free where l.shard = free.shard
        returning l.shard, l.epoch`);
      return rowsOf<{ shard: number; epoch: number }>(rows).map(toLease);
    },

    /**
     * Shards the database still gives `owner` that it does not hold (its memory and the database
     * parted: a round given up while its claim still landed), taken at their next epoch.
     */
    async reclaimOwn(owner: string, held: readonly number[], ttlMs: number): Promise<HeldLease[]> {
      const rows = await db.execute(sql`
        update shard_leases set epoch = epoch + 1, expires_at = now() + ${interval(ttlMs)}
        where owner = ${owner} and shard <> all(${intArray(held)})
        returning shard, epoch`);
      return rowsOf<{ shard: number; epoch: number }>(rows).map(toLease);
    },

    /** Hands shards back at once (a clean stop, or a share given to a process that joined). */
    async release(owner: string, shards: readonly number[]): Promise<void> {
      if (shards.length === 0) return;
      await db.execute(sql`update shard_leases set owner = null, expires_at = now() where owner = ${owner} and shard = any(${intArray(shards)})`);
      await db.execute(sql`select pg_notify(${LEASES_CHANNEL}, ${owner})`);
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

/**
 * The lease row, as a fencing condition: held at this epoch and unexpired — or expired while its
 * owner was alone, whose shards nobody takes while it lives (a lone process writes what it did
 * through an outage) — selected FOR SHARE, so a takeover waits for the write's commit.
 */
export const fenceRow = (f: Fence): SQL =>
  sql`select 1 from shard_leases l where l.shard = ${f.shard} and l.owner = ${f.owner} and l.epoch = ${f.epoch}
      and (l.expires_at > now() or exists (select 1 from processes p where p.id = l.owner and p.alone)) for share of l`;

/**
 * Inside a transaction: holds the lease row until the commit, or throws FencedError. A takeover
 * (an update of the row) waits for this transaction, so whatever it wrote is seen by the new
 * owner's recovery.
 */
export async function holdFence(tx: Db, fence: Fence | undefined): Promise<void> {
  if (!fence) return;
  if (rowsOf(await tx.execute(fenceRow(fence))).length === 0) throw new FencedError(fence.shard, heldNoMore(fence));
}
