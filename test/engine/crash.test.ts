/**
 * SIGKILL mid-run and restart, with the real engine in a child process: positions are restored,
 * every order the engine meant to place reached the exchange exactly once, and the database
 * agrees with the exchange. The child runs on the PostgreSQL server (TEST_DATABASE_URL) and on a
 * PGlite data directory on disk; PGlite is single-process, so the parent closes its own handle
 * while a child runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { createAccountsRepo } from '../../src/db/repos/accounts.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { orders, positions, signalExecutions, trades, tradingSignals } from '../../src/db/schema.ts';
import { createFreshPostgresDatabase, databaseKinds, dropPostgresDatabase, seedPgliteDataDir } from '../support/databases.ts';
import { FakeVenue } from '../fakes/fake-venue.ts';
import { secretBox, T0 } from './harness.ts';
import { CRASH_SYMBOL } from './fixtures/crash-path.ts';
import { onJsonLines } from '../support/json-lines.ts';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const TRADERS = 12;

interface ChildLine {
  event: string;
  step?: number;
  recovery?: Record<string, number>;
  open?: number;
  message?: string;
}

function runChild(env: Record<string, string>, onLine: (line: ChildLine, child: ChildProcess) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: ChildLine[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: ChildLine[] = [];
    let stderr = '';
    onJsonLines<ChildLine>(child.stdout!, (line) => {
      lines.push(line);
      onLine(line, child);
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${stderr.slice(-2000)} ${JSON.stringify(lines.slice(-3))}`));
      else resolve({ code, signal, lines });
    });
  });
}

describe.each(databaseKinds())('SIGKILL mid-run and restart on %s', (kind) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('restores positions and places no order twice', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ase-crash-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const journal = join(dir, 'venue.json');
    let url: string | undefined;
    const target: Record<string, string> = { VENUE_JOURNAL: journal };
    if (kind === 'postgres') {
      url = await createFreshPostgresDatabase();
      cleanups.push(() => dropPostgresDatabase(url!));
      target['DATABASE_URL'] = url;
    } else {
      target['DATA_DIR'] = join(dir, 'pgdata');
      seedPgliteDataDir(target['DATA_DIR']);
    }
    const open = (): Promise<Database> => openDatabase(url ? { url, maxConnections: 3 } : { dataDir: target['DATA_DIR'] });

    // traders and signals, written before the engine process starts
    let database = await open();
    const users = createUsersRepo(database.db);
    const accounts = createAccountsRepo(database.db, secretBox());
    const accountIds: string[] = [];
    for (let i = 0; i < TRADERS; i++) {
      const { user } = await users.upsertFromTelegram({ telegramId: 70_000 + i, chatId: 70_000 + i });
      accountIds.push((await accounts.create({ userId: user.id, exchange: 'binance', mode: 'spot' })).id);
    }
    await database.db.insert(tradingSignals).values({ symbol: CRASH_SYMBOL, action: 'BUY', confidence: 0.8, source: 'titan_v3', createdAt: new Date(T0) });
    await database.close();

    // run 1: killed with SIGKILL a random few ms after step 14 (partial take profits under way)
    let lastStep = -1;
    const delay = 5 + Math.floor(Math.random() * 30);
    const first = await runChild({ ...target, START_STEP: '0' }, (line, child) => {
      if (line.event === 'step') lastStep = line.step!;
      if (line.event === 'step' && line.step === 14) setTimeout(() => child.kill('SIGKILL'), delay);
    });
    expect(first.signal).toBe('SIGKILL');
    expect(first.lines.some((l) => l.event === 'done')).toBe(false);

    // run 2: restart, recover, play the rest of the path, each step's orders done before the next
    // (the kill was run 1's; under load 10+ the unpaced fall once ended before a slow partial exit
    // let the rules see it, and the last sweep closed at 97 by the stop loss: seen 2 in ~11 runs)
    const second = await runChild({ ...target, START_STEP: String(lastStep + 1), SETTLE_EACH_STEP: '1' }, () => {});
    const started = second.lines.find((l) => l.event === 'started')!;
    expect(started.recovery!['restored']! + started.recovery!['entriesResolved']!).toBe(TRADERS);
    expect(second.lines.at(-1)!.event).toBe('done');

    // the exchange's record (the venue journal) against ours
    const venue = new FakeVenue({ price: () => undefined, journal });
    database = await open();
    cleanups.push(() => database.close());
    expect(venue.duplicateSends()).toEqual([]);
    const orderRows = await database.db.select().from(orders);
    expect(orderRows.filter((o) => o.status !== 'filled' && o.status !== 'rejected')).toEqual([]);
    const placed = venue.allOrders();
    const filledIds = orderRows.filter((o) => o.status === 'filled').map((o) => o.clientOrderId).sort();
    expect(placed.map((o) => o.clientOrderId).sort()).toEqual(filledIds);

    const executions = await database.db.select().from(signalExecutions);
    expect(executions).toHaveLength(TRADERS);
    expect(executions.every((e) => e.status === 'executed')).toBe(true);
    const all = await database.db.select().from(positions);
    expect(all).toHaveLength(TRADERS);
    for (const p of all) {
      // the path ends far below the trailing stop: every position is closed, by the rules
      expect(p.status).toBe('closed');
      expect(p.closeReason).toBe('trailing_stop');
      const exits = await database.db.select().from(trades).where(eq(trades.positionId, p.id));
      const sold = exits.reduce((s, t) => s + Number(t.quantity), 0);
      expect(sold).toBeCloseTo(Number(p.qtyInitial), 8);
      // levels crossed while an earlier order was still in flight may be passed by; never taken twice
      const partials = exits.filter((t) => t.closeReason === 'partial_tp').length;
      expect(partials).toBeGreaterThanOrEqual(1);
      expect(partials).toBeLessThanOrEqual(3);
      const exitOrders = orderRows.filter((o) => o.positionId === p.id && o.purpose !== 'entry' && o.status === 'filled');
      expect(exitOrders).toHaveLength(exits.length);
      // the exchange holds nothing more of the asset than dust
      expect(venue.wallet(p.accountId).balances['BTC'] ?? 0).toBeLessThan(1e-6);
    }
    expect(accountIds).toHaveLength(TRADERS);
  });
});
