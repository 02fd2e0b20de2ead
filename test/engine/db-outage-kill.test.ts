/**
 * SPEC §10 with the engine in a child process killed by SIGKILL (real ccxt, the Binance emulator):
 * - exits do not wait on the database, also when the process dies in between: a stop-loss exit is
 *   sent while the database is unreachable and the process is killed before it returns. The intent
 *   is in the local journal (fsync'ed before the order left); the next start writes it to the
 *   database and looks the order up by its client id: recorded once, never sent again.
 * - the backstop while the bot is dead: the price walks through it, the emulator closes the
 *   position; the restart records `exchange_stop` once, with one alert.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { createAccountsRepo } from '../../src/db/repos/accounts.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { orders, positions, trades, tradingSettings, tradingSignals } from '../../src/db/schema.ts';
import { startBinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { createFreshPostgresDatabase, databaseKinds, dropPostgresDatabase, seedPgliteDataDir } from '../support/databases.ts';
import { secretBox } from './harness.ts';
import { waitFor } from './db-outage-world.ts';
import { onJsonLines } from '../support/json-lines.ts';

const CHILD = fileURLToPath(new URL('./fixtures/outage-child.ts', import.meta.url));

interface Line {
  event: string;
  open?: number;
  outage?: { exitsAwaitingRecord: number } | null;
  alerts?: string[];
  message?: string;
}

function startChild(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  let stderr = '';
  onJsonLines<Line>(child.stdout!, (line) => lines.push(line));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  return {
    lines,
    exited,
    send: (o: Record<string, unknown>) => child.stdin!.write(`${JSON.stringify(o)}\n`),
    kill: () => child.kill('SIGKILL'),
    async next(event: string, timeoutMs = 60_000): Promise<Line> {
      const seen = lines.length;
      await waitFor(() => lines.slice(seen).some((l) => l.event === event || l.event === 'error'), timeoutMs).catch(() => {
        throw new Error(`no ${event} from the child: ${stderr.slice(-2000)}`);
      });
      const line = lines.slice(seen).find((l) => l.event === event || l.event === 'error')!;
      if (line.event === 'error') throw new Error(line.message);
      return line;
    },
    async waitFor(event: string, timeoutMs = 60_000): Promise<Line> {
      await waitFor(() => lines.some((l) => l.event === event || l.event === 'error'), timeoutMs).catch(() => {
        throw new Error(`no ${event} from the child: ${stderr.slice(-2000)}`);
      });
      const line = lines.find((l) => l.event === event || l.event === 'error')!;
      if (line.event === 'error') throw new Error(line.message);
      return line;
    },
  };
}

describe.each(databaseKinds())('SIGKILL of the engine process (%s)', (kind) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('an exit sent while the database is down is recorded once at the next start and never sent again', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ase-outage-kill-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ex = await startBinanceEmulator();
    cleanups.push(() => ex.close());
    ex.book.futuresWallet = 10_000;
    ex.setPrice('BTCUSDT', 50_000);
    const journal = join(dir, 'exit-journal.ndjson');
    const env: Record<string, string> = { EMULATOR_URLS: JSON.stringify(ex.ccxtApiUrls()), JOURNAL: journal };
    let url: string | undefined;
    if (kind === 'postgres') {
      url = await createFreshPostgresDatabase({ migrated: true });
      cleanups.push(() => dropPostgresDatabase(url!));
      env['DATABASE_URL'] = url;
    } else {
      env['DATA_DIR'] = join(dir, 'pgdata');
      seedPgliteDataDir(env['DATA_DIR']);
    }
    const open = (): Promise<Database> => openDatabase(url ? { url, maxConnections: 3 } : { dataDir: env['DATA_DIR'] });

    let database = await open();
    const { user } = await createUsersRepo(database.db).upsertFromTelegram({ telegramId: 91_001, chatId: 91_001 });
    await database.db.update(tradingSettings).set({ mode: 'futures', partialTpEnabled: false }).where(sql`${tradingSettings.userId} = ${user.id}`);
    await createAccountsRepo(database.db, secretBox()).create({ userId: user.id, exchange: 'binance', mode: 'futures', marginMode: 'cross', credentials: { apiKey: ex.apiKey, secret: ex.secret } });
    await database.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9, source: 'titan_v3', userId: user.id, createdAt: new Date() });
    await database.close();

    // first life: the entry, then the database goes away and the price falls through the bot's stop
    const first = startChild(env);
    cleanups.push(() => void first.kill());
    expect((await first.waitFor('started')).open).toBe(1);
    const sells = () => ex.requests.filter((r) => r.method === 'POST' && r.path === '/fapi/v1/order' && r.params['type'] === 'MARKET' && r.params['side'] === 'SELL');
    const stop = ex.book.algoOrders.find((a) => a.algoStatus === 'NEW')!;
    expect(stop).toBeDefined();
    first.send({ cmd: 'cut' });
    await first.next('cut');
    const price = Math.round(stop.triggerPrice + 60); // below the bot's stop (0.5 % above the backstop), above the backstop
    ex.setPrice('BTCUSDT', price);
    first.send({ cmd: 'price', price });
    await waitFor(() => sells().length === 1, 10_000);
    await waitFor(async () => {
      first.send({ cmd: 'status' });
      return (await first.next('status')).outage?.exitsAwaitingRecord === 1;
    }, 10_000);
    expect(readFileSync(journal, 'utf8')).toContain('"t":"intent"');
    first.kill();
    expect(await first.exited).toBe('SIGKILL');
    expect([...ex.book.positions.values()].filter((x) => x.amount !== 0)).toEqual([]);

    // second life, the database back: the journaled exit is recorded from the exchange's fill
    const second = startChild(env);
    cleanups.push(() => void second.kill());
    const started = await second.waitFor('started');
    expect(started.open).toBe(0);
    expect(started.alerts).toEqual(['stop_loss']);
    second.send({ cmd: 'stop' });
    await second.waitFor('done');
    expect(sells()).toHaveLength(1);
    expect(existsSync(journal) ? readFileSync(journal, 'utf8') : '').toBe('');

    database = await open();
    cleanups.push(() => database.close());
    const [p] = await database.db.select().from(positions);
    expect(p).toMatchObject({ status: 'closed', closeReason: 'stop_loss' });
    const rows = await database.db.select().from(trades).where(eq(trades.positionId, p!.id));
    expect(rows.map((t) => [t.closeReason, Number(t.exitPrice)])).toEqual([['stop_loss', price]]);
    const closeOrders = await database.db.select().from(orders).where(eq(orders.purpose, 'close'));
    expect(closeOrders.map((o) => [o.status, o.clientOrderId])).toEqual([['filled', sells()[0]!.params['newClientOrderId']]]);
  });

  it('SIGKILL, then the price walks through the backstop: the emulator closes the position; the restart records exchange_stop once, with one alert', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ase-kill-stop-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ex = await startBinanceEmulator();
    cleanups.push(() => ex.close());
    ex.book.futuresWallet = 10_000;
    ex.setPrice('BTCUSDT', 50_000);
    const env: Record<string, string> = { EMULATOR_URLS: JSON.stringify(ex.ccxtApiUrls()), JOURNAL: join(dir, 'exit-journal.ndjson') };
    let url: string | undefined;
    if (kind === 'postgres') {
      url = await createFreshPostgresDatabase({ migrated: true });
      cleanups.push(() => dropPostgresDatabase(url!));
      env['DATABASE_URL'] = url;
    } else {
      env['DATA_DIR'] = join(dir, 'pgdata');
      seedPgliteDataDir(env['DATA_DIR']);
    }
    const open = (): Promise<Database> => openDatabase(url ? { url, maxConnections: 3 } : { dataDir: env['DATA_DIR'] });
    let database = await open();
    const { user } = await createUsersRepo(database.db).upsertFromTelegram({ telegramId: 91_002, chatId: 91_002 });
    await database.db.update(tradingSettings).set({ mode: 'futures', partialTpEnabled: false }).where(sql`${tradingSettings.userId} = ${user.id}`);
    await createAccountsRepo(database.db, secretBox()).create({ userId: user.id, exchange: 'binance', mode: 'futures', marginMode: 'cross', credentials: { apiKey: ex.apiKey, secret: ex.secret } });
    await database.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9, source: 'titan_v3', userId: user.id, createdAt: new Date() });
    await database.close();

    const first = startChild(env);
    cleanups.push(() => void first.kill());
    expect((await first.waitFor('started')).open).toBe(1);
    const stop = ex.book.algoOrders.find((a) => a.algoStatus === 'NEW')!;
    first.kill();
    expect(await first.exited).toBe('SIGKILL');
    // nothing watches: the price walks through the bot's stop and the backstop
    for (const price of [49_500, 49_000, stop.triggerPrice + 20, stop.triggerPrice - 40]) ex.setPrice('BTCUSDT', price);
    expect([...ex.book.positions.values()].filter((x) => x.amount !== 0)).toEqual([]);
    const fired = ex.book.trades.at(-1)!;

    const second = startChild(env);
    cleanups.push(() => void second.kill());
    expect(await second.waitFor('started')).toMatchObject({ open: 0, alerts: ['exchange_stop'] });
    second.send({ cmd: 'stop' });
    await second.waitFor('done');
    const third = startChild(env); // and once more: nothing new
    cleanups.push(() => void third.kill());
    expect(await third.waitFor('started')).toMatchObject({ open: 0, alerts: [] });
    third.send({ cmd: 'stop' });
    await third.waitFor('done');

    database = await open();
    cleanups.push(() => database.close());
    const rows = await database.db.select().from(trades);
    expect(rows.map((t) => [t.closeReason, Number(t.exitPrice)])).toEqual([['exchange_stop', fired.price]]);
    const marketSells = ex.requests.filter((r) => r.method === 'POST' && r.path === '/fapi/v1/order' && r.params['side'] === 'SELL');
    expect(marketSells).toEqual([]); // the bot never sold what the exchange's stop had sold
  });
});
