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
  close(): Promise<void>;
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

/** pg advisory lock key of the engine: one process per database monitors positions */
const ENGINE_LOCK_KEY = 0x45_42_4f_54; // 'EBOT'

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
    async close() {
      if (closed) return;
      closed = true;
      releaseLock();
      await client.close();
    },
  };
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
  // the session that holds the engine lock: kept out of the pool until close
  let lockConnection: { release(): void } | undefined;
  return {
    db,
    kind: 'postgres',
    async listen(channel, onPayload) {
      const sub = await client.listen(channel, (payload) => onPayload(payload));
      return () => sub.unlisten();
    },
    ping: () => pingDb(db),
    async acquireEngineLock() {
      if (lockConnection) return true;
      const reserved = await client.reserve();
      const [row] = await reserved`select pg_try_advisory_lock(${ENGINE_LOCK_KEY}) as ok`;
      if (row?.ok === true) {
        lockConnection = reserved;
        return true;
      }
      reserved.release();
      return false;
    },
    async close() {
      lockConnection?.release();
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
