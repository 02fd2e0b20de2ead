/**
 * Database tests run on embedded PGlite always, and on the PostgreSQL server too when
 * TEST_DATABASE_URL is set (CI sets it). Each opened database is empty and migrated.
 *
 *   describe.each(databaseKinds())('… on %s', (kind) => { const db = await openTestDatabase(kind) … })
 *
 * Fast, because starting PGlite and running every migration takes seconds:
 * - PGlite: a test file's first database loads the migrated snapshot made once by the global
 *   setup (test/support/global-setup.ts); later ones reuse that instance, emptied (every row
 *   deleted, sequences restarted). A database opened while another is still open gets an
 *   instance of its own.
 * - PostgreSQL: each database is a copy of the migrated template database the global setup made.
 * Without the global setup (the bench) every database is fresh and runs all migrations.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/client.ts';

export type TestDatabaseKind = 'pglite' | 'postgres';

/** set by the global setup: a PGlite dumpDataDir tarball of a migrated database */
export const PGLITE_SNAPSHOT_ENV = 'ASE_TEST_PGLITE_SNAPSHOT';
/** set by the global setup: a migrated database on the TEST_DATABASE_URL server to copy */
export const POSTGRES_TEMPLATE_ENV = 'ASE_TEST_POSTGRES_TEMPLATE';

export function databaseKinds(): TestDatabaseKind[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabase extends Database {
  /** the postgres:// URL of this fresh database (postgres kind only), for child processes */
  readonly url?: string;
  /** close and drop (PGlite: hand the instance back for the file's next test) */
  destroy(): Promise<void>;
}

export async function openTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') return openPgliteTestDatabase();
  const url = await createFreshPostgresDatabase({ migrated: true });
  const database = await openDatabase({ url, maxConnections: 5 });
  return {
    ...database,
    url,
    destroy: async () => {
      await database.close();
      await dropPostgresDatabase(url);
    },
  };
}

// --- PGlite: one instance per test file, emptied between tests ---

let reusable: Promise<Database> | undefined;
let reusableInUse = false;
let emptyingStatement: Promise<string> | undefined;

async function openPgliteTestDatabase(): Promise<TestDatabase> {
  if (reusableInUse || !process.env[PGLITE_SNAPSHOT_ENV]) {
    // a second database at the same time, or outside the suite (the bench measures on fresh
    // ones): its own instance, closed on destroy
    const own = await openPgliteFromSnapshot();
    return { ...own, destroy: () => own.close() };
  }
  reusableInUse = true;
  try {
    const firstUse = reusable === undefined;
    reusable ??= openPgliteFromSnapshot();
    const database = await reusable;
    if (!firstUse) await emptyDatabase(database);
    return lease(database);
  } catch (e) {
    reusableInUse = false;
    reusable = undefined;
    throw e;
  }
}

async function openPgliteFromSnapshot(): Promise<Database> {
  const file = process.env[PGLITE_SNAPSHOT_ENV];
  const snapshot = file ? new Blob([await readFile(file)]) : undefined;
  // migrating a loaded snapshot finds nothing to do (and proves the snapshot is current)
  return openDatabase({ dataDir: 'memory://', pgliteSnapshot: snapshot });
}

/**
 * Every table back to how the migrations left it: no rows, sequences from 1. Deleting beats
 * TRUNCATE several times over on tables this small; with replication_role replica the foreign keys
 * do not care about the order (nothing is left to point anywhere).
 */
async function emptyDatabase(database: Database): Promise<void> {
  const names = async (query: ReturnType<typeof sql>) => ((await database.db.execute(query)) as unknown as { rows: Array<{ name: string }> }).rows.map((r) => `"public"."${r.name}"`);
  emptyingStatement ??= (async () => {
    const tables = await names(sql`select tablename as name from pg_tables where schemaname = 'public'`);
    const sequences = await names(sql`select sequencename as name from pg_sequences where schemaname = 'public'`);
    return [
      `do $$ begin perform set_config('session_replication_role', 'replica', true);`,
      ...tables.map((t) => `delete from ${t};`),
      ...sequences.map((q) => `alter sequence ${q} restart;`),
      'end $$',
    ].join(' ');
  })();
  await database.db.execute(sql.raw(await emptyingStatement));
}

/** The test's view of the reusable instance: close/destroy hand it back and drop its listeners. */
function lease(database: Database): TestDatabase {
  const unlistens = new Set<() => Promise<void>>();
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    for (const unlisten of [...unlistens]) await unlisten();
    reusableInUse = false;
  };
  return {
    db: database.db,
    kind: database.kind,
    async listen(channel, onPayload) {
      const unsubscribe = await database.listen(channel, onPayload);
      const unlisten = async () => {
        if (!unlistens.delete(unlisten)) return;
        await unsubscribe();
      };
      unlistens.add(unlisten);
      return unlisten;
    },
    ping: () => database.ping(),
    livenessLock: (key) => database.livenessLock(key),
    close: release,
    destroy: release,
  };
}

/**
 * Fills an empty PGlite data directory on disk with the migrated snapshot, so a process opening it
 * (the app as a child process, a CLI) skips initdb and the migrations. Without the global setup it
 * leaves the directory empty: the process initialises it. Tests of a first start on an empty
 * DATA_DIR do not call this.
 */
export function seedPgliteDataDir(dataDir: string): void {
  const file = process.env[PGLITE_SNAPSHOT_ENV];
  if (file) extractTar(readFileSync(file), dataDir);
}

/** the plain files and directories of a ustar archive (what PGlite's dumpDataDir writes) */
function extractTar(tar: Buffer, into: string): void {
  const root = resolve(into);
  const field = (header: Buffer, start: number, length: number) => header.toString('latin1', start, start + length).replace(/\0.*$/s, '');
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const name = [field(header, 345, 155), field(header, 0, 100)].filter(Boolean).join('/');
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = field(header, 156, 1) || '0';
    const mode = parseInt(field(header, 100, 8).trim() || '600', 8);
    const target = resolve(root, name.replace(/^\/+/, ''));
    if (relative(root, target).startsWith('..')) throw new Error(`tar entry ${name} leaves ${root}`);
    if (type === '5') mkdirSync(target, { recursive: true, mode });
    else if (type === '0') {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(join(target), tar.subarray(offset + 512, offset + 512 + size), { mode });
    } else throw new Error(`tar entry ${name}: type ${type} is not a file or directory`);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
}

// --- PostgreSQL: one database per test ---

/**
 * Creates a database on the TEST_DATABASE_URL server and returns its URL: empty, or with
 * `migrated` a copy of the global setup's migrated template (when there is one; the caller's
 * openDatabase migrates either way).
 */
export async function createFreshPostgresDatabase(options: { migrated?: boolean } = {}): Promise<string> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `ase_test_${randomBytes(6).toString('hex')}`;
  const template = options.migrated ? process.env[POSTGRES_TEMPLATE_ENV] : undefined;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(template ? `create database ${name} template ${template}` : `create database ${name}`);
  } finally {
    await admin.end();
  }
  return databaseUrl(base, name);
}

export async function dropPostgresDatabase(url: string): Promise<void> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return;
  const name = new URL(url).pathname.slice(1);
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}

export function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
