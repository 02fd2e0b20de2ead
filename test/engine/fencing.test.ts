/**
 * Fencing (SPEC §12): an order intent is written only while the writer holds the trader's shard at
 * its epoch, and nothing is sent without it. Real ccxt against the Binance emulator, the engine on
 * a real database with a lease manager holding every shard; then the database hands a trader's
 * shard to another process at the next epoch (what a claim after the lease ran out does) while this
 * process's own deadline has not passed yet: its exit and its entries are refused by the database,
 * and the exchange sees no order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createShardLeasesRepo } from '../../src/db/repos/shard-leases.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { orders, positions, shardLeases } from '../../src/db/schema.ts';
import { shardOf } from '../../src/domain/shards.ts';
import type { Engine } from '../../src/engine/create-engine.ts';
import { silentLogger } from '../../src/engine/ports.ts';
import { createLeaseManager, type LeaseManager } from '../../src/engine/shard-leases.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

const ORDER = '/api/v3/order';

describe.each(databaseKinds())('fenced order intents on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  let emulator: BinanceEmulator;
  let engine: Engine;
  let leases: LeaseManager;

  afterEach(async () => {
    await engine?.stop();
    await leases?.stop();
    await emulator?.close();
    await db?.destroy();
  });

  async function world() {
    db = await openTestDatabase(kind);
    emulator = await startBinanceEmulator();
    const factory = createExchangeFactory({
      options: { binance: { timeout: 2_000, urls: { api: emulator.ccxtApiUrls() } } },
      retryDeps: { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 10))), random: () => 0.5 },
      retryPolicy: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 2000 },
    });
    // a long lease: this process's own deadline stays ahead for the whole test
    leases = createLeaseManager({ repo: createShardLeasesRepo(db.db), id: 'this-process', host: 'test', pid: process.pid, liveness: db.livenessLock('this-process'), logger: silentLogger, timings: { ttlMs: 120_000, renewMs: 1_000, marginMs: 1_000 }, schedule: false });
    await leases.start();
    h = await createHarness(db, {}, { createExchange: (account) => factory.create(account), leases });
    engine = h.engine;
    const users = createUsersRepo(db.db);
    const traders: Array<{ userId: string; accountId: string; book: ReturnType<BinanceEmulator['addAccount']> }> = [];
    // two traders on different shards (a third is made when the first two share one)
    for (let i = 0; traders.length < 2 || (traders.length === 2 && shardOf(traders[0]!.userId) === shardOf(traders[1]!.userId)); i++) {
      if (traders.length === 2) traders.pop();
      const book = emulator.addAccount(`k${i + 1}`, `s${i + 1}`);
      book.spot('USDT').free = 100_000;
      const { user } = await users.upsertFromTelegram({ telegramId: 71_000 + i, chatId: 71_000 + i });
      const account = await h.accounts.create({ userId: user.id, exchange: 'binance', mode: 'spot', credentials: { apiKey: `k${i + 1}`, secret: `s${i + 1}` } });
      traders.push({ userId: user.id, accountId: account.id, book });
    }
    setPrice(100);
    await engine.start();
    return traders;
  }

  function setPrice(p: number): void {
    emulator.setPrice('BTCUSDT', p);
    h.feed.push('BTC/USDT', p);
  }

  const marketPosts = () => emulator.requests.filter((r) => r.method === 'POST' && r.path === ORDER && r.params.type === 'MARKET').length;

  async function signalsDone(): Promise<void> {
    await drain(engine);
    await engine.sweepSignals();
    await engine.settle();
  }

  /** another process took the shard after the lease ran out in the database: the next epoch, its owner */
  async function takenByAnother(userId: string): Promise<void> {
    await db.db
      .update(shardLeases)
      .set({ owner: 'another-process', epoch: sql`${shardLeases.epoch} + 1`, expiresAt: sql`now() + interval '2 minutes'` })
      .where(eq(shardLeases.shard, shardOf(userId)));
  }

  it('an owner whose shard went to the next epoch writes no exit intent and sends no exit; the new owner finds the position as it was', { timeout: 60_000 }, async () => {
    const [trader] = await world();
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId: trader!.userId });
    await signalsDone();
    const [open] = await engine.facade.listPositions(trader!.userId);
    expect(open).toMatchObject({ status: 'open' });
    expect(marketPosts()).toBe(1);

    await takenByAnother(trader!.userId);
    expect(leases.owns(shardOf(trader!.userId))).toBe(true); // its own deadline has not passed
    setPrice(97.9); // through the stop loss (−2 %)
    await drain(engine);
    await engine.sweepPositions();
    await engine.settle();

    expect(marketPosts()).toBe(1); // the entry only: no exit reached the exchange
    expect(await db.db.select().from(orders).where(eq(orders.purpose, 'close'))).toHaveLength(0);
    const [row] = await db.db.select().from(positions).where(eq(positions.id, open!.id));
    expect(row).toMatchObject({ status: 'open' });
    expect((row!.monitorState as { pendingAction?: unknown }).pendingAction ?? null).toBeNull();
  });

  it("a signal for a trader whose shard went to another process writes no entry and sends no order; the other trader's still trades", { timeout: 60_000 }, async () => {
    const [fenced, other] = await world();
    expect(shardOf(fenced!.userId)).not.toBe(shardOf(other!.userId));
    await takenByAnother(fenced!.userId);
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId: fenced!.userId });
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId: other!.userId });
    await signalsDone();

    expect(await db.db.select().from(positions).where(eq(positions.userId, fenced!.userId))).toHaveLength(0);
    expect(await db.db.select().from(orders).where(eq(orders.userId, fenced!.userId))).toHaveLength(0);
    expect(await engine.facade.listPositions(other!.userId)).toHaveLength(1);
    expect(marketPosts()).toBe(1); // the other trader's entry alone
    expect(fenced!.book.orders).toHaveLength(0);
  });
});
