/**
 * A trader's action carried to the process that owns the trader (SPEC §12): a row per command,
 * `queued` → `running` (claimed by exactly one process) → `done` | `failed`. The status
 * transitions are the guard against running a command twice: each is a conditional update that
 * only one caller can win. A claim also requires the claimer to hold the trader's shard lease in
 * the database at that moment, so a command whose shard changed hands is run by the new owner.
 *
 * While a command is unfinished, `result` may hold the asker's note `{"unwatched": true}`: the
 * asker stopped waiting (its deadline passed), so the runner tells the trader through an alert.
 */
import { sql } from 'drizzle-orm';
import { livenessHeld, type Db } from '../client.ts';
import { COMMAND_CHANNEL, COMMAND_DONE_CHANNEL } from '../schema.ts';
import { rowsOf } from './shard-leases.ts';
import { SHARD_COUNT } from '../../domain/shards.ts';

export type CommandStatus = 'queued' | 'running' | 'done' | 'failed';

export interface CommandRow {
  id: string;
  userId: string;
  kind: string;
  args: unknown[];
  status: CommandStatus;
  result: unknown;
  error: string | null;
  askedBy: string;
  runBy: string | null;
}

/** the trader's shard in SQL, the same as domain/shards.ts shardOf */
const shardSql = (column: ReturnType<typeof sql>) => sql`((('x' || substr(${column}::text, 1, 8))::bit(32)::bigint) % ${SHARD_COUNT})`;

const ms = (value: number) => sql`(${Math.round(value)} * interval '1 millisecond')`;
const intArray = (values: readonly number[]) => sql`${`{${values.map((v) => Math.trunc(v)).join(',')}}`}::int[]`;

type RawRow = { id: string; user_id: string; kind: string; args: unknown; status: string; result: unknown; error: string | null; asked_by: string; run_by: string | null };

/** jsonb comes back parsed from postgres.js and PGlite alike; a string is parsed here in case */
const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

const toRow = (r: RawRow): CommandRow => ({
  id: r.id,
  userId: r.user_id,
  kind: r.kind,
  args: json(r.args) as unknown[],
  status: r.status as CommandStatus,
  result: json(r.result),
  error: r.error,
  askedBy: r.asked_by,
  runBy: r.run_by,
});

export const UNWATCHED = { unwatched: true } as const;

export function createEngineCommandsRepo(db: Db) {
  return {
    /** Writes the command and NOTIFYs its id on COMMAND_CHANNEL (delivered at the commit). */
    async enqueue(c: { userId: string; kind: string; args: unknown[]; askedBy: string }): Promise<string> {
      const [row] = rowsOf<{ id: string }>(
        await db.execute(sql`
          with c as (
            insert into engine_commands (user_id, kind, args, asked_by)
            values (${c.userId}, ${c.kind}, ${JSON.stringify(c.args)}::jsonb, ${c.askedBy}) returning id
          )
          select id, pg_notify(${COMMAND_CHANNEL}, id::text) from c`),
      );
      if (!row) throw new Error(`the ${c.kind} command could not be written`);
      return row.id;
    },

    async get(id: string): Promise<CommandRow | undefined> {
      const [row] = rowsOf<RawRow>(await db.execute(sql`select * from engine_commands where id = ${id}`));
      return row && toRow(row);
    },

    /** Queued commands of traders in `shards`, oldest first (the sweep behind a lost NOTIFY). */
    async queuedFor(shards: readonly number[], limit = 100): Promise<string[]> {
      if (shards.length === 0) return [];
      const rows = rowsOf<{ id: string }>(
        await db.execute(sql`
          select id from engine_commands
          where status = 'queued' and ${shardSql(sql`user_id`)} = any(${intArray(shards)})
          order by created_at limit ${limit}`),
      );
      return rows.map((r) => r.id);
    },

    /**
     * queued → running, for `runner` only while it holds the trader's shard lease in the database
     * (unexpired); undefined when someone else claimed it, it is no longer queued, or the lease is not `runner`'s.
     */
    async claim(id: string, runner: string, maxAgeMs: number): Promise<CommandRow | undefined> {
      const [row] = rowsOf<RawRow>(
        await db.execute(sql`
          update engine_commands c set status = 'running', run_by = ${runner}
          where c.id = ${id} and c.status = 'queued' and c.created_at > now() - ${ms(maxAgeMs)}
            and exists (select 1 from shard_leases l where l.shard = ${shardSql(sql`c.user_id`)} and l.owner = ${runner} and l.expires_at > now())
          returning c.*`),
      );
      return row && toRow(row);
    },

    /**
     * queued → failed for commands of traders in `shards` queued longer than `maxAgeMs` (no owner
     * took them in time: a close pressed minutes ago is not sent now). Returns them, with whether
     * their asker had stopped waiting.
     */
    async expire(shards: readonly number[], maxAgeMs: number, error: string): Promise<Array<CommandRow & { unwatched: boolean }>> {
      if (shards.length === 0) return [];
      const rows = rowsOf<RawRow & { note: unknown }>(
        await db.execute(sql`
          with old as (
            select id, result as note from engine_commands
            where status = 'queued' and created_at <= now() - ${ms(maxAgeMs)} and ${shardSql(sql`user_id`)} = any(${intArray(shards)})
            for update skip locked
          ), gone as (
            update engine_commands c set status = 'failed', error = ${error}, result = null, done_at = now()
            from old where c.id = old.id and c.status = 'queued' returning c.*, old.note
          )
          select gone.*, pg_notify(${COMMAND_DONE_CHANNEL}, id::text) from gone`),
      );
      return rows.map((r) => ({ ...toRow(r), unwatched: (json(r.note) as { unwatched?: unknown } | null)?.unwatched === true }));
    },

    /**
     * running → failed for commands of traders in `shards` whose runner is dead (its liveness lock
     * is gone with its session): never run again, since it may have acted before it died.
     */
    async abandon(shards: readonly number[], error: string): Promise<Array<CommandRow & { unwatched: boolean }>> {
      if (shards.length === 0) return [];
      const rows = rowsOf<RawRow & { note: unknown }>(
        await db.execute(sql`
          with dead as (
            select id, result as note from engine_commands
            where status = 'running' and ${shardSql(sql`user_id`)} = any(${intArray(shards)}) and not ${livenessHeld(sql`run_by`)}
            for update skip locked
          ), gone as (
            update engine_commands c set status = 'failed', error = ${error}, result = null, done_at = now()
            from dead where c.id = dead.id and c.status = 'running' returning c.*, dead.note
          )
          select gone.*, pg_notify(${COMMAND_DONE_CHANNEL}, id::text) from gone`),
      );
      return rows.map((r) => ({ ...toRow(r), unwatched: (json(r.note) as { unwatched?: unknown } | null)?.unwatched === true }));
    },

    /** running → queued, by its runner (it found it no longer owns the trader before it started) */
    async unclaim(id: string, runner: string): Promise<void> {
      await db.execute(sql`update engine_commands set status = 'queued', run_by = null where id = ${id} and status = 'running' and run_by = ${runner}`);
    },

    /**
     * running → done | failed with its result or error, NOTIFYing COMMAND_DONE_CHANNEL. Returns
     * whether the asker had stopped waiting (its note, read under the row's lock), or undefined
     * when the command was not this runner's to finish.
     */
    async finish(id: string, runner: string, outcome: { status: 'done'; result: unknown } | { status: 'failed'; error: string }): Promise<{ unwatched: boolean } | undefined> {
      const result = outcome.status === 'done' ? JSON.stringify(outcome.result ?? null) : null;
      const error = outcome.status === 'failed' ? outcome.error : null;
      const [row] = rowsOf<{ note: unknown }>(
        await db.execute(sql`
          with prior as (
            select id, result as note from engine_commands where id = ${id} and status = 'running' and run_by = ${runner} for update
          ), done as (
            update engine_commands c set status = ${outcome.status}, result = ${result}::jsonb, error = ${error}, done_at = now()
            from prior where c.id = prior.id returning c.id, prior.note
          )
          select note, pg_notify(${COMMAND_DONE_CHANNEL}, id::text) from done`),
      );
      if (!row) return undefined;
      const note = json(row.note) as { unwatched?: unknown } | null;
      return { unwatched: note?.unwatched === true };
    },

    /**
     * The asker stops waiting: notes it on an unfinished command (the runner then alerts the
     * trader). False when the command is finished already: its result is there to read.
     */
    async stopWaiting(id: string): Promise<boolean> {
      const rows = rowsOf<{ id: string }>(
        await db.execute(sql`update engine_commands set result = ${JSON.stringify(UNWATCHED)}::jsonb where id = ${id} and status in ('queued', 'running') returning id`),
      );
      return rows.length > 0;
    },

    /** finished commands older than `olderThanMs` are deleted (their outcome was answered or alerted) */
    async prune(olderThanMs: number): Promise<number> {
      const rows = rowsOf<{ id: string }>(
        await db.execute(sql`delete from engine_commands where status in ('done', 'failed') and done_at < now() - ${ms(olderThanMs)} returning id`),
      );
      return rows.length;
    },
  };
}

export type EngineCommandsRepo = ReturnType<typeof createEngineCommandsRepo>;
