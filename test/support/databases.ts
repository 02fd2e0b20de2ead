/**
 * Database tests run on embedded PGlite always, and on the PostgreSQL server too when
 * TEST_DATABASE_URL is set (CI sets it). Each opened database is fresh and migrated.
 *
 *   describe.each(databaseKinds())('… on %s', (kind) => { const db = await openTestDatabase(kind) … })
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/client.ts';

export type TestDatabaseKind = 'pglite' | 'postgres';

export function databaseKinds(): TestDatabaseKind[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabase extends Database {
  /** the postgres:// URL of this fresh database (postgres kind only), for child processes */
  readonly url?: string;
  /** close and drop */
  destroy(): Promise<void>;
}

export async function openTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openDatabase({ dataDir: 'memory://' });
    return { ...database, destroy: () => database.close() };
  }
  const url = await createFreshPostgresDatabase();
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

/** Creates an empty database on the TEST_DATABASE_URL server and returns its URL. */
export async function createFreshPostgresDatabase(): Promise<string> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `ase_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
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
