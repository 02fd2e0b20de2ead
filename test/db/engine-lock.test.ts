/**
 * The embedded database must never be opened by two processes: its directory lock is released
 * when its holder closes or dies. (Several processes on PostgreSQL share the traders by shard
 * leases instead: test/engine/shard-leases.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseInUseError, openDatabase } from '../../src/db/client.ts';
import { seedPgliteDataDir } from '../support/databases.ts';

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
      await first.close();

      const second = await openDatabase({ dataDir });
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
