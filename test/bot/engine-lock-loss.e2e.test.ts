/**
 * The real app on PostgreSQL loses its engine lock's session (an administrator's
 * pg_terminate_backend) and another session takes the lock first: the app notices at once, sends
 * nothing more, and exits with code 3 saying why. A cut the app wins (the lock free when it asks
 * again) is covered in test/db/engine-lock.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { ENGINE_LOCK_KEY } from '../../src/db/client.ts';
import { startBotApiEmulator } from '../emulators/bot-api.ts';
import { startBotProcess } from '../support/bot-process.ts';
import { createFreshPostgresDatabase, databaseKinds, dropPostgresDatabase } from '../support/databases.ts';

describe.each(databaseKinds().filter((k) => k === 'postgres'))('engine lock of the running app on %s', () => {
  it('its lock session cut and the lock taken by another session: the app exits with code 3 and says why', { timeout: 180_000 }, async () => {
    const url = await createFreshPostgresDatabase({ migrated: true });
    const emu = await startBotApiEmulator();
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    // the exit journal goes to DATA_DIR even with PostgreSQL: a directory of this test's, not the repository's ./data
    const dataDir = mkdtempSync(join(tmpdir(), 'ase-lock-loss-'));
    try {
      const app = startBotProcess({
        env: { TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.url, DATABASE_URL: url, DATA_DIR: dataDir, SECRET_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'info' },
      });
      await app.waitForOutput('engine started', 120_000);
      const rows = await admin`select pid from pg_locks where locktype = 'advisory' and classid = 0 and objid = ${ENGINE_LOCK_KEY} and objsubid = 1 and granted`;
      expect(rows).toHaveLength(1);
      // the app's lock session is ended, and this session queues for the lock before it can ask again
      await admin`select pg_terminate_backend(${rows[0]!.pid}), pg_advisory_lock(${ENGINE_LOCK_KEY})`;
      const exit = await Promise.race([app.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 30_000))]);
      expect(exit, app.output()).toEqual({ code: 3, signal: null });
      expect(app.output()).toContain('another ASE Bot process took the engine lock of this database');
    } finally {
      await admin.end();
      await emu.close();
      await dropPostgresDatabase(url);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
