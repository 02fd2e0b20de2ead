/**
 * SPEC §12 with the whole app as `npm start` runs it, against the Bot API emulator: a second
 * process started on the same PostgreSQL joins (half the shards each), and only the process that
 * holds the Telegram job's lease polls — no 409 Conflict at Telegram. A rolling restart (stop the
 * first with SIGTERM) hands the shards and the job over at once: the trader is answered throughout.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { createShardLeasesRepo } from '../../src/db/repos/shard-leases.ts';
import { SHARD_COUNT } from '../../src/domain/shards.ts';
import { startBotApiEmulator } from '../emulators/bot-api.ts';
import { startBotProcess, type BotProcess } from '../support/bot-process.ts';
import { createFreshPostgresDatabase, databaseKinds, dropPostgresDatabase } from '../support/databases.ts';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(databaseKinds().filter((k) => k === 'postgres'))('a second process on %s', () => {
  it('joins and takes half the shards; one poller at a time; a rolling restart hands everything over and the trader is answered', { timeout: 300_000 }, async () => {
    const emu = await startBotApiEmulator();
    cleanups.push(() => emu.close());
    const url = await createFreshPostgresDatabase({ migrated: true });
    cleanups.push(() => dropPostgresDatabase(url));
    const secretKey = randomBytes(32).toString('base64');
    const start = (name: string): BotProcess => {
      const dataDir = mkdtempSync(join(tmpdir(), `ase-e2e-second-${name}-`));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const app = startBotProcess({
        env: { TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.url, DATA_DIR: dataDir, DATABASE_URL: url, SECRET_KEY: secretKey, COUNCIL_ENABLED: 'false', LOG_LEVEL: 'info', HTTP_PORT: '0' },
      });
      cleanups.push(() => app.stop('SIGKILL'));
      return app;
    };
    const database = await openDatabase({ url, migrate: false });
    cleanups.push(() => database.close());
    const leases = createShardLeasesRepo(database.db);
    const owners = async () => {
      const counts = new Map<string | null, number>();
      for (const l of await leases.leases()) counts.set(l.expired ? null : l.owner, (counts.get(l.expired ? null : l.owner) ?? 0) + 1);
      return counts;
    };
    /** the process's own /metrics (SPEC §12: per process) */
    const metricsOf = async (app: BotProcess) => {
      const port = /HTTP server listening on port (\d+)/.exec(app.output())![1];
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      return { shards: value('ase_shards_held'), alone: value('ase_process_alone'), telegram: value('ase_job_running{job="telegram"}'), sweep: value('ase_job_running{job="sweep"}') };
    };
    const conflicts = () => emu.calls('getUpdates').filter((c) => c.status === 409).length;
    const alice = { id: 7001, first_name: 'Alice' };

    const first = start('first');
    await first.waitForOutput('bot started', 120_000);
    expect([...(await owners()).values()]).toEqual([SHARD_COUNT]);
    emu.sendCommand(alice, 'start');
    await emu.waitForMessage(alice.id, /Welcome/, 15_000);

    const second = start('second');
    await second.waitForOutput('shard leases taken', 120_000);
    // the first hands back half at once (the join is announced), the second claims them
    const deadline = Date.now() + 30_000;
    while ((await owners()).size !== 2 && Date.now() < deadline) await sleep(200);
    const split = await owners();
    expect([...split.values()].sort((a, b) => a - b)).toEqual([SHARD_COUNT / 2, SHARD_COUNT / 2]);
    const live = await leases.listProcesses(8_000);
    expect(live.map((p) => p.pid).sort()).toEqual([first.proc.pid, second.proc.pid].sort());
    // the second does not poll: Telegram never ends a poll with 409
    await sleep(3_000);
    expect(second.output()).not.toContain('bot started');
    expect(conflicts()).toBe(0);
    emu.sendCommand(alice, 'help');
    await emu.waitForMessage(alice.id, /\/positions/, 15_000);
    // each process says what it holds and runs: the first keeps the low shards and their jobs
    expect(await metricsOf(first)).toEqual({ shards: 32, alone: 0, telegram: 1, sweep: 1 });
    expect(await metricsOf(second)).toEqual({ shards: 32, alone: 0, telegram: NaN, sweep: NaN });

    // rolling restart: the first stops cleanly; the second takes every shard and the Telegram job
    const stoppedAt = Date.now();
    expect((await first.stop('SIGTERM')).code, first.output()).toBe(0);
    await second.waitForOutput('bot started', 30_000);
    const handedOverMs = Date.now() - stoppedAt;
    while ((await owners()).get(live.find((p) => p.pid === second.proc.pid)!.id) !== SHARD_COUNT && Date.now() < deadline + 30_000) await sleep(200);
    expect([...(await owners()).entries()]).toEqual([[live.find((p) => p.pid === second.proc.pid)!.id, SHARD_COUNT]]);
    emu.sendCommand(alice, 'help');
    await emu.waitForMessage(alice.id, /\/positions/, 15_000);
    expect(conflicts()).toBe(0);
    expect(await metricsOf(second)).toEqual({ shards: SHARD_COUNT, alone: 1, telegram: 1, sweep: 1 });
    console.log(`rolling restart: Telegram job and ${SHARD_COUNT} shards with the second process ${handedOverMs} ms after SIGTERM to the first`);
    expect((await second.stop('SIGTERM')).code).toBe(0);
  });
});
