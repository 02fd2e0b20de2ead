/**
 * Orders whose answer was lost, resolved by client id on spot and USDⓈ-M futures, against real
 * ccxt and the Binance emulator, the engine on a real database: an entry the exchange certainly
 * never took is sent again under the next id of the same intent (never the same id); an order the
 * exchange holds is found as what it was and never sent twice; and where the exchange's lookup
 * lags (-2013 though the order is on the book) the account's own order list finds it, so nothing
 * is sent again after the horizon.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { orders, positions, signalExecutions, trades, tradingSettings } from '../../src/db/schema.ts';
import type { Engine } from '../../src/engine/create-engine.ts';
import { intentOf } from '../../src/engine/tracked-order.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

/** ms: ccxt's timeout here (a loaded machine answers ordinary requests slowly too) */
const TIMEOUT_MS = 1_000;
/** ms: Binance's recvWindow (its default); the horizon of an unknown order is timeout + this (the engine's clock is moved by hand) */
const RECV_WINDOW_MS = 10_000;
const HORIZON_MS = TIMEOUT_MS + RECV_WINDOW_MS;

const MODES = [
  { mode: 'spot', path: '/api/v3/order', symbol: 'BTC/USDT' },
  { mode: 'futures', path: '/fapi/v1/order', symbol: 'BTC/USDT:USDT' },
] as const;

describe.each(databaseKinds())('orders whose answer was lost, resolved by client id, on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  let emulator: BinanceEmulator;
  let engine: Engine;

  afterEach(async () => {
    await engine?.stop();
    await emulator?.close();
    await db?.destroy();
  });

  describe.each(MODES)('$mode', ({ mode, path, symbol }) => {
    async function world(): Promise<{ userId: string }> {
      db = await openTestDatabase(kind);
      emulator = await startBinanceEmulator();
      emulator.book.spot('USDT').free = 100_000;
      emulator.book.futuresWallet = 100_000;
      const factory = createExchangeFactory({
        options: { binance: { timeout: TIMEOUT_MS, urls: { api: emulator.ccxtApiUrls() }, options: { recvWindow: RECV_WINDOW_MS } } },
        retryDeps: { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 10))), random: () => 0.5 },
        retryPolicy: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 2000 },
      });
      h = await createHarness(db, {}, { createExchange: (account) => factory.create(account) });
      engine = h.engine;
      setPrice(100);
      const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: 71_001, chatId: 71_001 });
      await db.db.update(tradingSettings).set({ mode }).where(sql`${tradingSettings.userId} = ${user.id}`);
      await h.accounts.create({ userId: user.id, exchange: 'binance', mode, ...(mode === 'futures' ? { marginMode: 'cross' as const } : {}), credentials: { apiKey: emulator.apiKey, secret: emulator.secret } });
      await engine.start();
      return { userId: user.id };
    }

    function setPrice(p: number): void {
      emulator.setPrice('BTCUSDT', p);
      h.feed.push('BTC/USDT', p);
      h.feed.push('BTC/USDT:USDT', p);
    }

    async function restart(): Promise<void> {
      await engine.stop();
      engine = h.newEngine();
      await engine.start();
    }

    async function signalsDone(): Promise<void> {
      await drain(engine);
      await engine.sweepSignals();
      await engine.settle();
    }

    /** the bot's market orders as sent (each POST, whatever became of it) and as the book holds them */
    const marketPosts = () => emulator.requests.filter((r) => r.method === 'POST' && r.path === path && r.params.type === 'MARKET');
    const marketOrders = () => emulator.book.orders.filter((o) => o.type === 'MARKET');
    const lookups = () => emulator.requests.filter((r) => r.method === 'GET' && r.path === path).length;
    const positionRow = async (userId: string) => (await db.db.select().from(positions).where(eq(positions.userId, userId)))[0];
    const entryRows = async () => db.db.select().from(orders).where(eq(orders.purpose, 'entry')).orderBy(orders.createdAt);

    it('an entry the exchange never took is sent again after the horizon under the next id of its intent, and fills once', { timeout: 60_000 }, async () => {
      const { userId } = await world();
      emulator.inject({ method: 'POST', path, params: { type: 'MARKET' }, fault: { kind: 'timeout' } });
      const signalId = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
      await signalsDone();
      expect(await positionRow(userId)).toMatchObject({ status: 'pending' });

      await restart(); // killed while unknown: the new process waits out the horizon from its own start
      h.clock.advance(HORIZON_MS - 500);
      await engine.sweepPositions();
      expect(marketPosts()).toHaveLength(1); // not yet certain: nothing sent again
      h.clock.advance(1_000);
      await engine.sweepPositions();

      const posts = marketPosts().map((r) => r.params.newClientOrderId!);
      expect(posts).toHaveLength(2);
      expect(posts[1]).not.toBe(posts[0]);
      expect(intentOf(posts[1]!)).toBe(intentOf(posts[0]!));
      expect(posts.map((id) => id.slice(-2))).toEqual(['n1', 'n2']);
      expect(marketOrders().map((o) => o.clientOrderId)).toEqual([posts[1]]); // one entry on the book: the second send
      expect((await entryRows()).map((o) => [o.clientOrderId, o.status])).toEqual([
        [posts[0], 'rejected'],
        [posts[1], 'filled'],
      ]);
      const [open] = await engine.facade.listPositions(userId);
      expect(open).toMatchObject({ status: 'open', entryPrice: 100 });
      const [execution] = await db.db.select().from(signalExecutions).where(eq(signalExecutions.signalId, signalId));
      expect(execution).toMatchObject({ status: 'executed', positionId: open!.id });
      expect(h.notifier.ofKind('position_opened')).toHaveLength(1);
    });

    it('an entry the exchange holds past two restarts is found as its first send: the next id is never sent', { timeout: 60_000 }, async () => {
      const { userId } = await world();
      // held until the test matches it (after the restarts, however loaded the machine), within the receive window of the engine's clock
      emulator.inject({ method: 'POST', path, params: { type: 'MARKET' }, fault: { kind: 'hold-then-execute', delayMs: 600_000 } });
      await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
      await signalsDone();
      await restart();
      await engine.sweepPositions();
      await restart();
      expect(await positionRow(userId)).toMatchObject({ status: 'pending' });
      expect(marketOrders()).toHaveLength(0);
      expect(emulator.matchHeld()).toBe(1); // the exchange matches it
      expect(marketOrders()).toHaveLength(1);
      h.clock.advance(HORIZON_MS + 1_000);
      await engine.sweepPositions();
      expect(marketPosts()).toHaveLength(1);
      expect(marketOrders()).toHaveLength(1);
      expect(marketOrders()[0]!.clientOrderId.endsWith('n1')).toBe(true);
      expect(await positionRow(userId)).toMatchObject({ status: 'open' });
      expect((await entryRows()).map((o) => o.status)).toEqual(['filled']);
    });

    it('an entry whose answer was dropped while the lookup answers -2013 is found in the account\'s orders: opened once, never sent again', { timeout: 60_000 }, async () => {
      const { userId } = await world();
      emulator.inject({ method: 'POST', path, params: { type: 'MARKET' }, fault: { kind: 'drop-after-accept' } });
      emulator.inject({ method: 'GET', path, times: 1_000, fault: { kind: 'not-found' } });
      await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
      await signalsDone();
      await restart();
      h.clock.advance(HORIZON_MS + 1_000);
      await engine.sweepPositions();
      expect(lookups()).toBeGreaterThan(0); // the lookup was asked and said "does not exist"
      expect(marketPosts()).toHaveLength(1);
      expect(marketOrders()).toHaveLength(1);
      const [open] = await engine.facade.listPositions(userId);
      expect(open).toMatchObject({ status: 'open', entryPrice: 100 });
      expect((await entryRows()).map((o) => o.status)).toEqual(['filled']);
    });

    it('a close whose answer was dropped while the lookup answers -2013 is booked once from the account\'s orders, told as the stop it was', { timeout: 60_000 }, async () => {
      const { userId } = await world();
      await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
      await signalsDone();
      const [open] = await engine.facade.listPositions(userId);
      expect(open).toMatchObject({ status: 'open' });
      emulator.inject({ method: 'POST', path, params: { type: 'MARKET' }, fault: { kind: 'drop-after-accept' } });
      emulator.inject({ method: 'GET', path, times: 1_000, fault: { kind: 'not-found' } });
      setPrice(97.9); // past the bot's stop (98), not the backstop's
      await engine.settle();
      await restart();
      h.clock.advance(HORIZON_MS + 1_000);
      setPrice(97.8);
      await engine.settle();
      await engine.sweepPositions();

      expect(await positionRow(userId)).toMatchObject({ status: 'closed', closeReason: 'stop_loss' });
      expect(marketPosts()).toHaveLength(2); // the entry and the one close
      expect(marketOrders().filter((o) => o.side === 'SELL')).toHaveLength(1);
      const exits = await db.db.select().from(trades).where(eq(trades.positionId, open!.id));
      expect(exits).toHaveLength(1);
      expect(Number(exits[0]!.exitPrice)).toBe(97.9);
      expect(h.notifier.ofKind('stop_loss')).toHaveLength(1);
      expect(h.notifier.ofKind('order_failed')).toEqual([]);
    });
  });
});
