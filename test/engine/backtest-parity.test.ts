/**
 * One executor (issue 16): the same signals over the same prices give the same trades, fees and
 * P&L whether the engine trades them on the paper exchange or the backtest replays them. Flat
 * candles (open = high = low = close) make every move a gap at a candle's open, where the
 * backtest fills at the tick price as live does, so the two must agree to the cent.
 *
 * The story, 0.1 % fee, 0.05 % slippage: a BUY at 100 sized at 10 ETH (1 000 max position), two
 * partial take-profits, then a SELL 20 minutes later closes the rest (signal_reverse); a second
 * BUY at 100 runs into its stop loss at 98 on a gap to 97.9. On spot the fee of a buy is taken in
 * the coin bought and the SELL only closes; on futures the SELL opens a short at once, sized on
 * the balance after the close, which the second BUY reverses in turn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { paperBalances, positions, trades } from '../../src/db/schema.ts';
import { createHarness, drain, T0, type Harness } from './harness.ts';
import { createExchangeRuntime } from '../../src/exchange/runtime.ts';
import { createDrizzlePaperStore } from '../../src/db/repos/paper-store.ts';
import { createReplayFeed, type ReplayFeed } from '../../src/exchange/replay-feed.ts';
import { runBacktest } from '../../src/backtest/engine.ts';
import { DEFAULT_SETTINGS } from '../../src/domain/settings.ts';
import type { Signal } from '../../src/domain/signals.ts';
import type { Candle } from '../../src/domain/types.ts';

const FEE = 0.001;
const SLIP = 0.0005;
const STEP = 5 * 60_000;
// one flat candle every 5 minutes; the last stays unplayed so the replay is not finished
const PRICES = [100, 100.6, 101.2, 102.2, 101.8, 101.5, 101, 100.5, 100, 99, 97.9, 97.9];
const CANDLES: Candle[] = PRICES.map((p, i) => ({ time: T0 + i * STEP, open: p, high: p, low: p, close: p, volume: 1 }));
/** candle index → the signal created at its open */
const SIGNALS: ReadonlyArray<[number, 'BUY' | 'SELL']> = [
  [0, 'BUY'],
  [4, 'SELL'],
  [8, 'BUY'],
];

describe.each(databaseKinds())('one executor: engine on the paper exchange = backtest (%s)', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  let runtime: ReturnType<typeof createExchangeRuntime> | undefined;

  afterEach(async () => {
    await h?.engine.stop();
    await runtime?.close();
    await db?.destroy();
  });

  it.each([
    ['spot', 'ETH/USDT', ['partial_tp', 'partial_tp', 'signal_reverse', 'stop_loss']],
    ['futures', 'ETH/USDT:USDT', ['partial_tp', 'partial_tp', 'signal_reverse', 'partial_tp', 'signal_reverse', 'stop_loss']],
  ] as const)('%s: the same trades, exit prices, quantities, fees, P&L and end balance', async (mode, market, reasons) => {
    db = await openTestDatabase(kind);
    let replay: ReplayFeed | undefined;
    runtime = createExchangeRuntime({ paper: { store: createDrizzlePaperStore(db.db), settings: { feeRate: FEE, slippage: SLIP } }, get priceFeed() { return replay; } });
    h = await createHarness(db, {}, { createExchange: (account) => runtime!.create(account), feeds: () => replay });
    replay = createReplayFeed({ series: [{ symbol: market, candles: CANDLES }], speed: 0, exchange: 'binance', now: () => h.clock.now() });
    const { userId, accountId } = await h.addTrader(1001, { mode });
    await h.engine.start();

    const signals: Signal[] = [];
    for (let i = 0; i < PRICES.length - 1; i++) {
      h.clock.set(CANDLES[i]!.time);
      replay.step(4);
      await h.engine.settle();
      const due = SIGNALS.find(([at]) => at === i);
      if (due) {
        const id = await h.insertSignal({ symbol: 'ETH/USDT', action: due[1], confidence: 0.8 });
        signals.push({ id, symbol: 'ETH/USDT', action: due[1], confidence: 0.8, source: 'titan_v3', createdAt: CANDLES[i]!.time, expiresAt: null, stopLoss: null, takeProfit: null, userId: null });
        await drain(h.engine);
        await h.engine.sweepSignals();
      }
      await h.engine.settle();
    }
    await h.engine.flush();

    const bt = runBacktest(new Map([['ETH/USDT', CANDLES.slice(0, -1)]]), signals, { settings: { ...DEFAULT_SETTINGS, mode }, balance: 10_000, fee: FEE, slippage: SLIP, fixedQty: null, trustedSources: ['titan_v3', 'COUNCIL_V2.0_FALLBACK'] });

    const live = await db.db.select().from(positions).where(eq(positions.userId, userId)).orderBy(asc(positions.openedAt));
    const rows = await db.db.select().from(trades).where(eq(trades.userId, userId)).orderBy(asc(trades.closedAt), asc(trades.createdAt));
    const positionsOpened = mode === 'spot' ? 2 : 3;
    expect(live.map((p) => p.status)).toEqual(Array(positionsOpened).fill('closed'));
    expect(bt.trades).toHaveLength(positionsOpened);
    expect(bt.rejections).toEqual([]);

    // the numbers both must reach: 10 ETH bought at 100.05; on spot 9.99 held after the fee in ETH
    expect(bt.trades[0]!.entry_price).toBeCloseTo(100.05, 9);
    expect(bt.trades[0]!.qty).toBeCloseTo(mode === 'spot' ? 9.99 : 10, 9);
    expect(bt.trades.map((t) => t.side)).toEqual(mode === 'spot' ? ['long', 'long'] : ['long', 'short', 'long']);
    // the paper exchange rounds an order to its market's step (1e-8 here) and the backtest has no
    // market to round to: quantities agree within a step, money to 1e-6
    for (const [k, p] of live.entries()) {
      const t = bt.trades[k]!;
      expect(Number(p.entryPrice)).toBeCloseTo(t.entry_price, 9);
      expect(Number(p.qtyInitial)).toBeCloseTo(t.qty, 7);
      expect(Number(p.realizedPnl)).toBeCloseTo(t.pnl, 6);
    }
    const btExits = bt.trades.flatMap((t) => t.exits);
    expect(btExits.map((e) => e.reason)).toEqual(reasons);
    expect(rows.map((r) => r.closeReason)).toEqual(btExits.map((e) => e.reason));
    rows.forEach((r, i) => {
      expect(Number(r.exitPrice)).toBeCloseTo(btExits[i]!.price, 9);
      expect(Number(r.quantity)).toBeCloseTo(btExits[i]!.qty, 7);
    });
    // the long's exits at 101.2 and 102.2 (partials), 101.8 (the SELL) and 97.9 (the stop), each less
    // slippage; the short's buy-backs at 100.5 (its first partial, 1 % below 101.75) and 100 (the BUY), plus slippage
    const expected = mode === 'spot' ? [101.2, 102.2, 101.8, 97.9].map((p) => p * (1 - SLIP)) : [101.2 * (1 - SLIP), 102.2 * (1 - SLIP), 101.8 * (1 - SLIP), 100.5 * (1 + SLIP), 100 * (1 + SLIP), 97.9 * (1 - SLIP)];
    expect(btExits.map((e) => e.price)).toEqual(expected.map((p) => expect.closeTo(p, 9)));

    const fees = live.reduce((s, p) => s + Number(p.feesPaid), 0);
    expect(fees).toBeCloseTo(bt.fees, 6);
    const [usdt] = await db.db.select().from(paperBalances).where(eq(paperBalances.accountId, accountId));
    expect(Number(usdt!.total)).toBeCloseTo(bt.endBalance, 6);
    expect(bt.endBalance).toBeCloseTo(10_000 + bt.trades.reduce((s, t) => s + t.pnl, 0), 9);
  });
});
