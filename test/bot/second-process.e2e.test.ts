/**
 * Issue 17 until the once-per-bot jobs are leased: every process polls Telegram and answers only
 * for the traders it owns, so a second process started by accident on the same PostgreSQL refuses
 * to start (as the old engine lock did), unless CLUSTER=true says several are meant (experimental).
 * The whole app as `npm start` runs it, against the Bot API emulator.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { createShardLeasesRepo } from '../../src/db/repos/shard-leases.ts';
import { startBotApiEmulator } from '../emulators/bot-api.ts';
import { startBotProcess, type BotProcess } from '../support/bot-process.ts';
import { createFreshPostgresDatabase, databaseKinds, dropPostgresDatabase } from '../support/databases.ts';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(databaseKinds().filter((k) => k === 'postgres'))('a second process on %s', () => {
  it('without CLUSTER it refuses to start (exit 3, naming the running one) while the first runs; with CLUSTER=true it joins', { timeout: 300_000 }, async () => {
    const emu = await startBotApiEmulator();
    cleanups.push(() => emu.close());
    const url = await createFreshPostgresDatabase({ migrated: true });
    cleanups.push(() => dropPostgresDatabase(url));
    const secretKey = randomBytes(32).toString('base64');
    const start = (name: string, extra: Record<string, string> = {}): BotProcess => {
      const dataDir = mkdtempSync(join(tmpdir(), `ase-e2e-second-${name}-`));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const app = startBotProcess({
        env: { TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.url, DATA_DIR: dataDir, DATABASE_URL: url, SECRET_KEY: secretKey, COUNCIL_ENABLED: 'false', LOG_LEVEL: 'info', ...extra },
      });
      cleanups.push(() => app.stop('SIGKILL'));
      return app;
    };

    const first = start('first');
    await first.waitForOutput('shard leases taken', 120_000);

    const second = start('second');
    const refused = await second.exited;
    expect(refused.code, second.output()).toBe(3);
    expect(second.output()).toContain('refusing to start: another ASE Bot process is already running on this database');
    expect(second.output()).toContain(`pid ${first.proc.pid}`);
    expect(second.output()).toContain('set CLUSTER=true to run several processes (experimental: Telegram still needs a single poller)');
    expect(second.output()).not.toContain('shard leases taken');

    const third = start('third', { CLUSTER: 'true' });
    await third.waitForOutput('shard leases taken', 120_000);
    const database = await openDatabase({ url, migrate: false });
    cleanups.push(() => database.close());
    const live = await createShardLeasesRepo(database.db).listProcesses(8_000);
    expect(live.map((p) => p.pid)).toContain(third.proc.pid);
    expect(third.output()).not.toContain('refusing to start');
    // (the first may be gone by now: the two poll Telegram, and the second getUpdates ends the other's
    // with 409 Conflict, which is why CLUSTER stays experimental)
    expect((await third.stop('SIGTERM')).code).toBe(0);
  });
});
