/**
 * Protections in the live engine (SPEC §9): a trader with the stop-loss guard on takes three stop
 * losses within an hour; the next signal is refused naming the protection and until when, /signals
 * shows that reason and /status the lock. Real database, real engine, the fake venue.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, signalsDone, T0, type Harness } from './harness.ts';

const MIN = 60_000;

describe.each(databaseKinds())('protections on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;

  afterEach(async () => {
    await h?.engine.stop();
    await db?.destroy();
  });

  async function opened(userId: string, count: number) {
    for (const start = Date.now(); Date.now() - start < 10_000; ) {
      await drain(h.engine);
      const list = await h.engine.facade.listPositions(userId);
      if (list.length === count) return list;
    }
    throw new Error(`expected ${count} open positions`);
  }

  it('three stop losses within an hour: the next signal is refused by the stop-loss guard until 60 min after the last', async () => {
    db = await openTestDatabase(kind);
    h = await createHarness(db);
    await h.engine.start();
    const trader = await h.addTrader(7, {
      settings: { extra: { stoploss_guard_enabled: true, stoploss_guard_trades: 3, stoploss_guard_window_minutes: 60, stoploss_guard_cooldown_minutes: 60 } },
    });
    const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
    const prices: Record<string, number> = { 'BTC/USDT': 100_000, 'ETH/USDT': 3_000, 'SOL/USDT': 150, 'XRP/USDT': 2 };
    for (const [s, p] of Object.entries(prices)) h.feed.push(s, p);

    // 12:00, 12:10, 12:20: a long each, stopped out 5 minutes later (default stop loss 2 % below entry)
    for (const [i, symbol] of symbols.entries()) {
      h.clock.set(T0 + i * 10 * MIN);
      await h.insertSignal({ symbol, action: 'BUY', userId: trader.userId });
      const [position] = await opened(trader.userId, 1);
      expect(position!.symbol).toBe(symbol);
      h.clock.set(T0 + i * 10 * MIN + 5 * MIN);
      h.feed.push(symbol, prices[symbol]! * 0.97);
      await drain(h.engine);
      expect(await h.engine.facade.listPositions(trader.userId)).toHaveLength(0);
      h.feed.push(symbol, prices[symbol]!);
    }
    const trades = await h.engine.facade.recentTrades(trader.userId, 10);
    expect(trades).toHaveLength(3);

    // 12:40: a fresh signal on another pair is refused: the guard locks every pair until 13:25 (60 min after the third stop at 12:25)
    h.clock.set(T0 + 40 * MIN);
    await h.insertSignal({ symbol: 'XRP/USDT', action: 'BUY', userId: trader.userId });
    await signalsDone(h);
    await h.engine.sweepSignals();
    await h.engine.settle();
    expect(await h.engine.facade.listPositions(trader.userId)).toHaveLength(0);
    const [latest] = await h.engine.facade.recentSignals(trader.userId, 1);
    expect(latest!.outcome).toBe('rejected');
    expect(latest!.reasons).toEqual([
      'protection stop-loss guard: 3 stop losses within 60 min (the last at 2026-01-07 12:25 UTC); no new entries on any pair until 2026-01-07 13:25 UTC',
    ]);
    const status = await h.engine.facade.status();
    expect(status.protections).toEqual([
      expect.objectContaining({ userId: trader.userId, locks: [expect.objectContaining({ protection: 'stoploss_guard', scope: 'all', until: new Date(T0 + 85 * MIN) })] }),
    ]);

    // 13:26: the lock has run out and the same kind of signal opens
    h.clock.set(T0 + 86 * MIN);
    await h.insertSignal({ symbol: 'XRP/USDT', action: 'BUY', userId: trader.userId });
    const [xrp] = await opened(trader.userId, 1);
    expect(xrp!.symbol).toBe('XRP/USDT');
  });
});
