/**
 * One drizzle schema, two drivers: embedded PGlite (DATA_DIR) when no DATABASE_URL is given,
 * postgres.js otherwise (Supabase is plain Postgres). Migrations run once at start.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { schema } from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  /** Subscribe to a NOTIFY channel; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Cheap health probe for /status. */
  ping(): Promise<boolean>;
  /**
   * SPEC §12: the lock that says a process is alive, named by its process id, held for the
   * process's lifetime (PostgreSQL frees it the moment the process's session dies: kill -9, a lost
   * host). PGlite: held by its one session (one process).
   */
  livenessLock(key: string): LivenessLock;
  close(): Promise<void>;
}

export interface LivenessLock {
  /**
   * Takes the lock when this session does not hold it: 'held' (already held), 'taken' (taken
   * again: the session was cut meanwhile, so others may have seen this process dead), or throws
   * when another session holds it or the database cannot be reached.
   */
  hold(): Promise<'held' | 'taken'>;
  /** `fn` runs when the session holding the lock closes (the lock went with it) */
  onLost(fn: () => void): void;
  release(): Promise<void>;
}

/** advisory lock class of the processes' liveness locks (the second key is hashtext(process id)) */
export const LIVENESS_LOCK_CLASS = 0x45_42_4c_56; // 'EBLV'

/** SQL: whether the process `owner` (an SQL expression) holds its liveness lock in this database */
export const livenessHeld = (owner: ReturnType<typeof sql>) => sql`exists (
  select 1 from pg_locks where locktype = 'advisory' and granted and objsubid = 2
    and database = (select oid from pg_database where datname = current_database())
    and classid = ${LIVENESS_LOCK_CLASS}::oid and objid = hashtext(${owner})::oid)`;

const holdLivenessSql = (key: string) => sql`select case when exists (
    select 1 from pg_locks where locktype = 'advisory' and granted and objsubid = 2 and pid = pg_backend_pid()
      and classid = ${LIVENESS_LOCK_CLASS}::oid and objid = hashtext(${key})::oid
  ) then 'held' else case when pg_try_advisory_lock(${LIVENESS_LOCK_CLASS}, hashtext(${key})) then 'taken' else 'busy' end end as state`;

function livenessState(key: string, state: unknown): 'held' | 'taken' {
  if (state === 'held' || state === 'taken') return state;
  throw new Error(`the liveness lock of process ${key} is held by another database session`);
}

export interface DatabaseOptions {
  /** postgres:// URL; unset → embedded PGlite in dataDir */
  url?: string | undefined;
  /** PGlite data directory; 'memory://' for an in-memory database */
  dataDir?: string | undefined;
  /**
   * PGlite only: start from this data directory tarball (PGlite's dumpDataDir) instead of an empty
   * cluster. Tests load a migrated snapshot: much faster than initdb and all migrations.
   */
  pgliteSnapshot?: Blob | undefined;
  /** pool size for postgres.js */
  maxConnections?: number;
  migrate?: boolean;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError';
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.url ? await openPostgres(options.url, options.maxConnections ?? 10) : await openPglite(options.dataDir ?? './data', options.pgliteSnapshot);
  if (options.migrate !== false) await migrateDatabase(database);
  return database;
}

export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(database.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  } else {
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    await migrate(database.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  }
}

async function openPglite(dataDir: string, snapshot: Blob | undefined): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  let releaseLock = () => {};
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    // PGlite is single-process: a second process opening the same directory would corrupt it
    const lockFile = join(dataDir, 'engine.pid');
    const release = takeLockFile(lockFile);
    if (!release) {
      throw new DatabaseInUseError(
        `the embedded database in ${dataDir} is in use by another process (pid ${readFileSync(lockFile, 'utf8').trim()}); stop it first`,
      );
    }
    releaseLock = release;
  }
  const client = await PGlite.create(snapshot ? { dataDir, loadDataDir: snapshot } : { dataDir });
  takeTurnsWithIo(client);
  const db = drizzle(client, { schema }) as unknown as Db;
  let closed = false;
  return {
    db,
    kind: 'pglite',
    async listen(channel, onPayload) {
      const unsub = await client.listen(channel, onPayload);
      return async () => {
        if (!closed) await unsub();
      };
    },
    ping: () => pingDb(db),
    // one session: its lock is seen by the (in-process) lease managers sharing it
    livenessLock: (key) => ({
      async hold() {
        const result = (await db.execute(holdLivenessSql(key))) as unknown as { rows: Array<{ state: string }> };
        return livenessState(key, result.rows[0]?.state);
      },
      onLost() {},
      async release() {
        if (!closed) await db.execute(sql`select pg_advisory_unlock(${LIVENESS_LOCK_CLASS}, hashtext(${key}))`);
      },
    }),
    async close() {
      if (closed) return;
      closed = true;
      releaseLock();
      await client.close();
    },
  };
}

/**
 * PGlite runs every query on this thread, and its own queue hands the next query over in a
 * microtask: a long queue (200 traders pressing a button at once, the alert outbox draining) ran
 * back to back without the event loop ever reaching a socket, so Telegram answers and exchange
 * replies waited seconds for the whole queue. Here the top-level calls still run one at a time in
 * the order they were made, with a turn of the event loop before each, so pending I/O goes between
 * two queries. A transaction's own queries run inside its turn. (PGlite already refuses a
 * top-level call made inside a transaction's callback: it waits for the transaction, as here.)
 */
function takeTurnsWithIo(client: { query: unknown; exec: unknown; transaction: unknown }): void {
  let last: Promise<unknown> = Promise.resolve();
  const inTurn = <A extends unknown[], R>(run: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const result = last.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => run(...args));
      last = result.catch(() => undefined);
      return result;
    };
  const c = client as Record<'query' | 'exec' | 'transaction', (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['query', 'exec', 'transaction'] as const) c[method] = inTurn(c[method].bind(client));
}

/** A pid file: taken when absent or when its process is gone. Returns the release function. */
function takeLockFile(file: string): (() => void) | undefined {
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) return undefined;
    writeFileSync(file, String(process.pid));
  }
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const client = postgres(url, { max, onnotice: () => {} });
  const db = drizzle(client, { schema }) as unknown as Db;
  const sessions = new Set<ReturnType<typeof postgres>>();
  return {
    db,
    kind: 'postgres',
    livenessLock(key) {
      // a session of its own, never recycled (a pool's connections end after max_lifetime, and a
      // reserved one the server cut crashes postgres.js 3.4 at its next statement); postgres.js
      // reconnects silently at the next statement after a cut, so hold() asks pg_locks each time
      let held = false;
      const lost: Array<() => void> = [];
      const session = postgres(url, {
        max: 1,
        idle_timeout: 0,
        max_lifetime: 0,
        connect_timeout: 5,
        onnotice: () => {},
        onclose: () => {
          if (!held) return;
          held = false;
          for (const fn of lost) fn();
        },
      });
      sessions.add(session);
      const sessionDb = drizzle(session);
      return {
        async hold() {
          const rows = (await sessionDb.execute(holdLivenessSql(key))) as unknown as Array<{ state: string }>;
          const state = livenessState(key, rows[0]?.state);
          held = true;
          return state;
        },
        onLost: (fn) => void lost.push(fn),
        async release() {
          held = false;
          sessions.delete(session);
          await session.end({ timeout: 5 });
        },
      };
    },
    async listen(channel, onPayload) {
      const sub = await client.listen(channel, (payload) => onPayload(payload));
      return () => sub.unlisten();
    },
    ping: () => pingDb(db),
    async close() {
      for (const session of sessions) await session.end({ timeout: 5 });
      sessions.clear();
      await client.end({ timeout: 5 });
    },
  };
}

async function pingDb(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}
