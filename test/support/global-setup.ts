/**
 * Vitest global setup: migrate once, so every database test starts from a copy (see databases.ts).
 * - PGlite: a migrated data directory tarball, kept in the OS temp directory under a name made of
 *   the migrations' and PGlite's hash, so later runs (and single-file runs) reuse it.
 * - PostgreSQL (TEST_DATABASE_URL set): a migrated template database for this run, dropped after.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { MIGRATIONS_FOLDER, openDatabase } from '../../src/db/client.ts';
import { databaseUrl, PGLITE_SNAPSHOT_ENV, POSTGRES_TEMPLATE_ENV } from './databases.ts';

const SHARED_BUFFERS = '16MB';

export default async function setup(): Promise<() => Promise<void>> {
  process.env[PGLITE_SNAPSHOT_ENV] = await pgliteSnapshot();
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return async () => {};
  const template = await createTemplate(base);
  process.env[POSTGRES_TEMPLATE_ENV] = template;
  return async () => {
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`drop database if exists ${template} with (force)`);
    } finally {
      await admin.end();
    }
  };
}

async function pgliteSnapshot(): Promise<string> {
  const dir = join(tmpdir(), 'ase-bot-test-snapshots');
  const file = join(dir, `pglite-${snapshotHash()}.tar`);
  if (existsSync(file)) return file;
  const database = await openDatabase({ dataDir: 'memory://' });
  try {
    const client = (database.db as unknown as { $client: PGlite }).$client;
    // test databases are tiny: a small buffer pool starts several times faster than the default 128 MB
    await client.exec(`alter system set shared_buffers = '${SHARED_BUFFERS}'`);
    // nothing left to replay from the WAL when a copy starts
    await client.exec('checkpoint');
    const tarball = Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer());
    mkdirSync(dir, { recursive: true });
    // written whole, then renamed: a concurrent run never reads half a file
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, tarball);
    renameSync(partial, file);
  } finally {
    await database.close();
  }
  return file;
}

/** the migrations' SQL and journal, the PGlite build that made the data directory, its settings */
function snapshotHash(): string {
  const hash = createHash('sha256').update(SHARED_BUFFERS);
  const files = (folder: string): string[] => readdirSync(folder, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(folder, e.name)) : [join(folder, e.name)]));
  for (const file of files(MIGRATIONS_FOLDER).sort()) hash.update(file.slice(MIGRATIONS_FOLDER.length)).update(readFileSync(file));
  const require = createRequire(import.meta.url);
  hash.update(readFileSync(join(require.resolve('@electric-sql/pglite'), '..', '..', 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

async function createTemplate(base: string): Promise<string> {
  const name = `ase_template_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const database = await openDatabase({ url: databaseUrl(base, name), maxConnections: 1 });
  await database.close();
  return name;
}
