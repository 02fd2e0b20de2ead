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
   * Takes the database-wide lock that lets one process run the engine on this database. Resolves
   * to false when another live process holds it. Released on close (or when the process dies).
   */
  acquireEngineLock(): Promise<boolean>;
  /**
   * Whether this process still holds the engine lock, taking it again when it is free (its
   * session was cut: a database restart, a network cut, an administrator's pg_terminate_backend).
   * 'taken': another process holds it now. Throws when the database cannot be reached.
   */
  checkEngineLock(): Promise<EngineLockCheck>;
  /** `fn` runs each time the connection that holds the engine lock closes: the lock went with it */
  onEngineLockConnectionClosed(fn: () => void): void;
  close(): Promise<void>;
}

export type EngineLockCheck = 'held' | 'taken';

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

/** pg advisory lock key of the engine: one process per database monitors positions */
export const ENGINE_LOCK_KEY = 0x45_42_4f_54; // 'EBOT'

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
    // the directory lock taken at open already makes this process the only one
    acquireEngineLock: async () => true,
    checkEngineLock: async () => 'held',
    onEngineLockConnectionClosed: () => {},
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
  // The engine lock lives on a session of its own: one connection, never recycled (a pool's
  // connections are ended after max_lifetime, and a reserved one that the server cut answers the
  // next statement with a crash inside postgres.js 3.4). When that session drops, the lock is gone:
  // postgres.js reconnects silently at the next statement, so each check asks pg_locks whether
  // this session holds it, and takes it again when it is free.
  let lockClient: ReturnType<typeof postgres> | undefined;
  let locked = false;
  const lockClosed: Array<() => void> = [];
  const lockSession = () =>
    (lockClient ??= postgres(url, {
      max: 1,
      idle_timeout: 0,
      max_lifetime: 0,
      connect_timeout: 5,
      onnotice: () => {},
      onclose: () => {
        if (!locked) return;
        for (const fn of lockClosed) fn();
      },
    }));
  const tryLock = async (): Promise<boolean> => {
    const session = lockSession();
    const [row] = await session`select case when exists (
        select 1 from pg_locks
        where locktype = 'advisory' and classid = 0 and objid = ${ENGINE_LOCK_KEY} and objsubid = 1
          and pid = pg_backend_pid() and granted
      ) then true else pg_try_advisory_lock(${ENGINE_LOCK_KEY}) end as ok`;
    return row?.ok === true;
  };
  return {
    db,
    kind: 'postgres',
    async listen(channel, onPayload) {
      const sub = await client.listen(channel, (payload) => onPayload(payload));
      return () => sub.unlisten();
    },
    ping: () => pingDb(db),
    async acquireEngineLock() {
      if (!(await tryLock())) return false;
      locked = true;
      return true;
    },
    async checkEngineLock() {
      if (!locked) throw new Error('checkEngineLock before acquireEngineLock');
      return (await tryLock()) ? 'held' : 'taken';
    },
    onEngineLockConnectionClosed(fn) {
      lockClosed.push(fn);
    },
    async close() {
      locked = false;
      await lockClient?.end({ timeout: 5 });
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
