/**
 * One engine per database: a second process must not monitor the same positions (it could send
 * the same exit twice), and the embedded database must never be opened by two processes.
 * The lock is released when its holder closes or dies.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseInUseError, openDatabase } from '../../src/db/client.ts';
import { createFreshPostgresDatabase, databaseKinds, dropPostgresDatabase, seedPgliteDataDir } from '../support/databases.ts';

describe('engine lock on an embedded database directory', () => {
  it('refuses a directory a live process holds, takes over from a dead one, and frees it on close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ase-lock-'));
    const pidFile = join(dataDir, 'engine.pid');
    seedPgliteDataDir(dataDir);
    try {
      writeFileSync(pidFile, String(process.ppid)); // a live process holds it
      await expect(openDatabase({ dataDir })).rejects.toThrow(DatabaseInUseError);
      await expect(openDatabase({ dataDir })).rejects.toThrow(`in use by another process (pid ${process.ppid})`);

      writeFileSync(pidFile, '999999999'); // a process that no longer exists (killed)
      const first = await openDatabase({ dataDir });
      expect(await first.acquireEngineLock()).toBe(true);
      await first.close();

      const second = await openDatabase({ dataDir });
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

// the server case exists where a server does (TEST_DATABASE_URL), like every database test
describe.each(databaseKinds().filter((k) => k === 'postgres'))('engine lock on %s', () => {
  it('a second connection pool is refused until the first closes', async () => {
    const url = await createFreshPostgresDatabase();
    try {
      const first = await openDatabase({ url, maxConnections: 2 });
      const second = await openDatabase({ url, maxConnections: 2, migrate: false });
      expect(await first.acquireEngineLock()).toBe(true);
      expect(await second.acquireEngineLock()).toBe(false);
      await first.close();
      expect(await second.acquireEngineLock()).toBe(true);
      await second.close();
    } finally {
      await dropPostgresDatabase(url);
    }
  });
});
