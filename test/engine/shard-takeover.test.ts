/**
 * Engines that own shards (SPEC §12): two engines on one database, each with its own lease
 * manager, as two processes would run; real ccxt against the Binance emulator. A process that
 * joins gets half the shards (the first hands them back after it stopped monitoring their
 * positions, the second restores and reconciles them); a process that stops renewing loses its
 * shards, and the other monitors its traders' positions again through the restart's recovery: a
 * price through the stops closes every position once, from the owner only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createShardLeasesRepo } from '../../src/db/repos/shard-leases.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { positions, trades } from '../../src/db/schema.ts';
import { shardOf } from '../../src/domain/shards.ts';
import type { Engine } from '../../src/engine/create-engine.ts';
import { silentLogger } from '../../src/engine/ports.ts';
import { createLeaseManager, type LeaseManager } from '../../src/engine/shard-leases.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

const TRADERS = 8;
/** leases long enough that a loaded machine renews them in time, short enough to wait out one */
const TIMINGS = { ttlMs: 5_000, renewMs: 500, marginMs: 1_500 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// several processes need the PostgreSQL server (the embedded database is one process's)
describe.each(databaseKinds().filter((k) => k === 'postgres'))('engines owning shards on %s', (kind) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });

  it('a joining engine takes half the traders, and takes all of them when the other stops renewing: every stop acts once', { timeout: 120_000 }, async () => {
    const db: TestDatabase = await openTestDatabase(kind);
    cleanups.push(() => db.destroy());
    const emulator: BinanceEmulator = await startBinanceEmulator();
    cleanups.push(() => emulator.close());
    const factory = createExchangeFactory({
      options: { binance: { timeout: 2_000, urls: { api: emulator.ccxtApiUrls() } } },
      retryDeps: { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 10))), random: () => 0.5 },
      retryPolicy: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 2000 },
    });
    const repo = createShardLeasesRepo(db.db);
    /** a manager renewed by a timer of the test's (clearing it freezes the process's renewals) */
    const manager = (id: string): LeaseManager & { freeze(): void } => {
      const m = createLeaseManager({ repo, id, host: 'test', pid: 1, liveness: db.livenessLock(id), logger: silentLogger, timings: TIMINGS, schedule: false });
      const timer = setInterval(() => void m.tick(), TIMINGS.renewMs);
      cleanups.push(async () => clearInterval(timer));
      return Object.assign(m, { freeze: () => clearInterval(timer) });
    };
    const first = manager('first');
    await first.start();
    const h: Harness = await createHarness(db, {}, { createExchange: (account) => factory.create(account), leases: first });
    const a: Engine = h.engine;
    cleanups.push(() => a.stop());
    const setPrice = (p: number) => {
      emulator.setPrice('BTCUSDT', p);
      h.feed.push('BTC/USDT', p);
    };
    setPrice(100);
    const users = createUsersRepo(db.db);
    const books = [];
    const userIds: string[] = [];
    for (let i = 0; i < TRADERS; i++) {
      const book = emulator.addAccount(`key${i}`, `secret${i}`);
      book.spot('USDT').free = 100_000;
      books.push(book);
      const { user } = await users.upsertFromTelegram({ telegramId: 72_000 + i, chatId: 72_000 + i });
      await h.accounts.create({ userId: user.id, exchange: 'binance', mode: 'spot', credentials: { apiKey: `key${i}`, secret: `secret${i}` } });
      userIds.push(user.id);
    }
    await a.start();
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY' });
    await drain(a);
    await a.sweepSignals();
    await a.settle();
    expect(a.openPositionCount()).toBe(TRADERS);

    // a second process joins: the first hands back half the shards, the second restores their traders
    const second = manager('second');
    await second.start();
    const b = h.newEngine({ leases: second });
    cleanups.push(() => b.stop());
    await b.start();
    await first.tick();
    await second.tick();
    await drain(b);
    const owner = (userId: string) => (first.owns(shardOf(userId)) ? 'first' : second.owns(shardOf(userId)) ? 'second' : 'none');
    const ofSecond = userIds.filter((u) => owner(u) === 'second').length;
    expect(userIds.every((u) => owner(u) !== 'none')).toBe(true);
    expect([a.openPositionCount(), b.openPositionCount()]).toEqual([TRADERS - ofSecond, ofSecond]);
    // /status (through the facade) lists both processes and their shards
    const processes = (await b.facade.status()).processes!;
    expect(processes.map((p) => [p.id, p.shards.length, p.self])).toEqual([
      ['first', 32, false],
      ['second', 32, true],
    ]);

    // the first stops renewing (frozen): the second takes every shard once the leases ran out
    first.freeze();
    while (second.held().length < 64) await sleep(100);
    await drain(b);
    expect(a.openPositionCount()).toBe(0); // its watchdog took the positions out of its monitor
    expect(b.openPositionCount()).toBe(TRADERS);

    const sellsBefore = emulator.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order' && r.params.type === 'MARKET' && r.params.side === 'SELL').length;
    expect(sellsBefore).toBe(0);
    setPrice(97.9); // through every stop loss (−2 %)
    await drain(b);
    await drain(a);
    const closed = await db.db.select().from(positions).where(eq(positions.status, 'closed'));
    expect(closed).toHaveLength(TRADERS);
    expect(closed.every((p) => p.closeReason === 'stop_loss')).toBe(true);
    expect(await db.db.select().from(trades).where(eq(trades.closeReason, 'stop_loss'))).toHaveLength(TRADERS);
    // one sell per trader, and every account flat
    for (const book of books) {
      expect(book.orders.filter((o) => o.side === 'SELL' && o.type === 'MARKET')).toHaveLength(1);
      expect(book.spot('BTC').free + book.spot('BTC').locked).toBeLessThan(1e-6);
    }
  });
});
