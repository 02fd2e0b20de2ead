import { describe, expect, it } from 'vitest';
import { runBacktest, type BacktestOptions } from '../../src/backtest/engine.ts';
import { DEFAULT_SETTINGS, type TradingSettings } from '../../src/domain/settings.ts';
import type { Signal } from '../../src/domain/signals.ts';
import type { Candle } from '../../src/domain/types.ts';

const T0 = Date.UTC(2025, 11, 17, 14, 0, 0); // a Wednesday afternoon: not the thin session
const MIN = 60_000;

/** Candles from [open, high, low, close], one minute apart. */
const candles = (rows: Array<[number, number, number, number]>): Candle[] =>
  rows.map(([open, high, low, close], i) => ({ time: T0 + i * MIN, open, high, low, close, volume: 1 }));

const signal = (over: Partial<Signal> = {}): Signal => ({
  id: 'a',
  symbol: 'ETH/USDT',
  action: 'BUY',
  confidence: 0.9,
  source: 'titan_v3',
  createdAt: T0,
  expiresAt: null,
  stopLoss: null,
  takeProfit: null,
  ...over,
});

const opts = (settings: Partial<TradingSettings> = {}, over: Partial<BacktestOptions> = {}): BacktestOptions => ({
  settings: { ...DEFAULT_SETTINGS, ...settings },
  balance: 10_000,
  fee: 0.001,
  slippage: 0,
  fixedQty: 1,
  ...over,
});

const run = (cs: Candle[], sigs: Signal[], o: BacktestOptions) => runBacktest(new Map([['ETH/USDT', cs]]), sigs, o);

describe('runBacktest with --fixed-qty (monitor rules alone)', () => {
  it('enters at the open, follows open → high → low, and fills the stop at its level: the spot buy holds 0.999 after its fee, pnl −1.998 − fees 0.197902', () => {
    // high − open = 1 ≤ open − low = 3 → 100 → 101 → 97 → 99; the stop at 98 is crossed on the way down
    const r = run(candles([[100, 101, 97, 99]]), [signal({ stopLoss: 98, takeProfit: 105 })], opts({ trailingEnabled: false, partialTpEnabled: false }));
    expect(r.trades).toHaveLength(1);
    const t = r.trades[0];
    expect(t?.entry_price).toBe(100);
    // the paper exchange takes a spot buy's fee in the coin bought (0.001 ETH): 0.999 ETH held and sold
    expect(t?.qty).toBeCloseTo(0.999, 12);
    expect(t?.exits).toEqual([{ time: T0, price: 98, qty: t?.qty, reason: 'stop_loss' }]);
    // gross (98 − 100) × 0.999, entry fee 0.001 ETH × 100, exit fee 0.999 × 98 × 0.001
    expect(t?.pnl).toBeCloseTo(-1.998 - 0.1 - 0.097902, 12);
    expect(r.fees).toBeCloseTo(0.1 + 0.097902, 12);
    // the wallet: 10 000 − 100 paid + 0.999 × 98 less the sell's fee
    expect(r.endBalance).toBeCloseTo(10_000 - 100 + 0.999 * 98 * 0.999, 9);
    expect(r.endBalance).toBeCloseTo(10_000 + t!.pnl, 9);
  });

  it('SPEC §10: the exchange stop (0.5 % beyond the bot stop) never fires while the bot watches a continuous move; a gap open through both counts once', () => {
    const noExtras = opts({ trailingEnabled: false, partialTpEnabled: false });
    // a fall through the stop at 98 and far below within a candle: the bot sells at 98 first
    const calm = run(candles([[100, 101, 90, 95]]), [signal({ stopLoss: 98, takeProfit: 105 })], noExtras);
    expect(calm.trades[0]?.exits[0]).toMatchObject({ price: 98, reason: 'stop_loss' });
    expect(calm.backstopFired).toBe(0);
    // the next candle opens at 97, below the bot's stop (98) and the exchange's (97.51): both would fire
    const gap = run(candles([[100, 101, 99, 100], [97, 97.5, 96, 96.5]]), [signal({ stopLoss: 98, takeProfit: 105 })], noExtras);
    expect(gap.trades[0]?.exits[0]).toMatchObject({ price: 97, reason: 'stop_loss' });
    expect(gap.backstopFired).toBe(1);
    // a gap open to 97.8: through the bot's stop, short of the exchange's; only the bot acts
    const shallow = run(candles([[100, 101, 99, 100], [97.8, 97.9, 97.6, 97.7]]), [signal({ stopLoss: 98, takeProfit: 105 })], noExtras);
    expect(shallow.trades[0]?.exits[0]).toMatchObject({ price: 97.8, reason: 'stop_loss' });
    expect(shallow.backstopFired).toBe(0);
  });

  it('the seed’s partial example inside a backtest: 1 ETH from 3000 sells 0.25 @3030, 0.375 @3060, 0.28125 @3090, rest at the end', () => {
    const cs = candles([
      [3000, 3010, 2995, 3005],
      [3005, 3035, 3000, 3030],
      [3030, 3065, 3025, 3060],
      [3060, 3095, 3055, 3080],
    ]);
    const r = run(cs, [signal({ stopLoss: 2900, takeProfit: 3300 })], opts({ trailingEnabled: false }, { fee: 0 }));
    const t = r.trades[0];
    expect(t?.exits).toEqual([
      { time: T0 + MIN, price: 3030, qty: 0.25, reason: 'partial_tp' },
      { time: T0 + 2 * MIN, price: 3060, qty: 0.375, reason: 'partial_tp' },
      { time: T0 + 3 * MIN, price: 3090, qty: 0.28125, reason: 'partial_tp' },
      { time: T0 + 3 * MIN, price: 3080, qty: 0.09375, reason: 'end_of_data' },
    ]);
    expect(t?.pnl).toBeCloseTo(0.25 * 30 + 0.375 * 60 + 0.28125 * 90 + 0.09375 * 80, 9);
  });

  it('a signal between candles enters at the next open with slippage; a short exits by trailing stop at its level', () => {
    // short from 200·(1 − 0.001) = 199.8; best 190 → trailing stop 191.9; filled 191.9·1.001
    const cs = candles([
      [201, 202, 199, 200],
      [200, 200.5, 190, 192],
      [192, 195, 191, 194],
    ]);
    const sig = signal({ action: 'SELL', createdAt: T0 + 30_000 });
    const r = run(cs, [sig], opts({ mode: 'futures', leverage: 2, partialTpEnabled: false }, { fee: 0, slippage: 0.001 }));
    const t = r.trades[0];
    expect(t?.side).toBe('short');
    expect(t?.entry_time).toBe(T0 + MIN);
    expect(t?.entry_price).toBeCloseTo(199.8, 10);
    expect(t?.exits).toHaveLength(1);
    expect(t?.exits[0]?.reason).toBe('trailing_stop');
    expect(t?.exits[0]?.price).toBeCloseTo(191.9 * 1.001, 9);
    expect(t?.pnl).toBeCloseTo(199.8 - 191.9 * 1.001, 9);
  });

  it('records why signals were not traded; HOLD never trades; a SELL within 15 min of the BUY cancels, a later one closes the spot long', () => {
    const cs = candles(Array.from({ length: 25 }, (_, i) => [100, 100.2, 99.9, i === 20 ? 100.1 : 100] as [number, number, number, number]));
    const sigs = [
      signal({ id: 'buy' }),
      signal({ id: 'hold', action: 'HOLD', createdAt: T0 + MIN }),
      signal({ id: 'early-sell', action: 'SELL', createdAt: T0 + 2 * MIN }),
      signal({ id: 'untrusted-sell', action: 'SELL', source: 'manual', createdAt: T0 + 19 * MIN }),
      signal({ id: 'sell', action: 'SELL', createdAt: T0 + 21 * MIN - 1 }),
    ];
    const r = run(cs, sigs, opts({ trailingEnabled: false, partialTpEnabled: false }, { fee: 0 }));
    expect(r.rejections.map((x) => [x.signal.id, x.reasons[0]])).toEqual([
      ['hold', 'HOLD signals are recorded, never traded'],
      ['early-sell', 'opposed by BUY 0.90 from titan_v3 (signal buy) within 15 min'],
      ['untrusted-sell', 'source "manual" is a trader\'s own and is trusted only with that trader\'s user_id'],
    ]);
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]?.exits).toEqual([{ time: T0 + 21 * MIN, price: 100, qty: 1, reason: 'signal_reverse' }]);
  });

  it('one position per symbol (SPEC §3 rule 7): a second BUY is refused, a SELL on futures closes the long at its open and opens a short there', () => {
    // flat 100 until minute 20, then 110 from minute 20: the long gains 10, the short opens at 110
    const cs = candles(Array.from({ length: 30 }, (_, i) => (i < 20 ? [100, 100.2, 99.9, 100] : [110, 110.2, 109.9, 110]) as [number, number, number, number]));
    const sigs = [
      signal({ id: 'buy' }),
      signal({ id: 'buy-again', createdAt: T0 + 2 * MIN }),
      signal({ id: 'sell', action: 'SELL', createdAt: T0 + 20 * MIN }),
    ];
    const r = run(cs, sigs, opts({ mode: 'futures', trailingEnabled: false, partialTpEnabled: false, stopLossPct: 50, takeProfitPct: 50 }, { fee: 0 }));
    expect(r.rejections.map((x) => [x.signal.id, x.reasons[0]])).toEqual([['buy-again', 'a long of ETH/USDT is already open']]);
    expect(r.trades.map((t) => [t.side, t.entry_time, t.entry_price, t.exits.map((e) => [e.time, e.price, e.reason])])).toEqual([
      ['long', T0, 100, [[T0 + 20 * MIN, 110, 'signal_reverse']]],
      ['short', T0 + 20 * MIN, 110, [[T0 + 29 * MIN, 110, 'end_of_data']]],
    ]);
    expect(r.trades[0]?.pnl).toBeCloseTo(10, 9);
  });
  it('consensus counts only signals valid on their own: a weak, untrusted or expired SELL before the BUY does not cancel it', () => {
    const cs = candles(Array.from({ length: 5 }, () => [100, 100.2, 99.9, 100] as [number, number, number, number]));
    const sigs = [
      signal({ id: 'weak-sell', action: 'SELL', confidence: 0.2 }),
      signal({ id: 'untrusted-sell', action: 'SELL', source: 'manual' }),
      signal({ id: 'expired-sell', action: 'SELL', expiresAt: T0 + 30_000 }),
      signal({ id: 'buy', createdAt: T0 + 2 * MIN }),
    ];
    const r = run(cs, sigs, opts({ trailingEnabled: false, partialTpEnabled: false }, { fee: 0 }));
    expect(r.trades.map((t) => [t.side, t.entry_time, t.entry_price])).toEqual([['long', T0 + 2 * MIN, 100]]);
    expect(r.rejections.map((x) => x.signal.id)).toEqual(['weak-sell', 'untrusted-sell', 'expired-sell']);
    // and a valid SELL 0.60 in its place does cancel, named in the reason
    const vetoed = run(cs, [signal({ id: 'sell', action: 'SELL', confidence: 0.6 }), signal({ id: 'buy', createdAt: T0 + 2 * MIN })], opts({}, { fee: 0 }));
    expect(vetoed.trades).toEqual([]);
    expect(vetoed.rejections.map((x) => [x.signal.id, x.reasons])).toEqual([
      ['sell', ['SELL on spot needs an open long to close (shorting needs margin or futures)']],
      ['buy', ['opposed by SELL 0.60 from titan_v3 (signal sell) within 15 min']],
    ]);
  });
});

describe('runBacktest with sizing', () => {
  it('sizes from risk: 2 % of 10 000 over a 2 % stop, ×1.2 calm market, ×0.9 confidence → capped at 1 000 max position', () => {
    const flat = Array.from({ length: 5 }, () => [100, 100.01, 99.99, 100] as [number, number, number, number]);
    const r = run(candles(flat), [signal()], opts({}, { fixedQty: null, fee: 0 }));
    expect(r.trades[0]?.qty).toBeCloseTo(10, 9); // 1 000 / 100
    expect(r.trades[0]?.exits[0]?.reason).toBe('end_of_data');
  });

  it('the risk level caps risk per trade: level 1 → 0.5 % of 10 000 over a 4 % stop ×1.08 → 1 350 (13.5 ETH); level 5 → 2 % → 5 400, capped at 25 % of the balance (25 ETH)', () => {
    const flat = Array.from({ length: 5 }, () => [100, 100.01, 99.99, 100] as [number, number, number, number]);
    const sized = (riskLevel: number) => run(candles(flat), [signal()], opts({ riskLevel, maxPosition: 1e6, stopLossPct: 4 }, { fixedQty: null, fee: 0 })).trades[0]?.qty;
    expect(sized(1)).toBeCloseTo(13.5, 9);
    expect(sized(5)).toBeCloseTo(25, 9);
  });
});

describe('runBacktest: time exit, liquidation and several symbols', () => {
  it('closes after max_hold_hours at the tick price: 2 h hold on hourly candles', () => {
    const HOUR = 60 * MIN;
    const cs: Candle[] = [0, 1, 2, 3].map((i) => ({ time: T0 + i * HOUR, open: 100, high: 100.3, low: 99.8, close: 100.1, volume: 1 }));
    const r = runBacktest(new Map([['ETH/USDT', cs]]), [signal({ stopLoss: 95, takeProfit: 120 })], opts({ maxHoldHours: 2, trailingEnabled: false, partialTpEnabled: false }, { fee: 0 }));
    // the 2 h candle's open tick is the first at t − openedAt ≥ 2 h: exit at its open, 100
    expect(r.trades[0]?.exits).toEqual([{ time: T0 + 2 * HOUR, price: 100, qty: 1, reason: 'time_exit' }]);
  });

  it('futures 10×: the liquidation price 90.5 is 9.5 % away, so the warning reduces 25 % at once; a fall to 93 closes', () => {
    const cs = candles([
      [100, 100.1, 99.9, 100],
      [100, 100, 92, 93],
    ]);
    const r = run(cs, [signal()], opts({ mode: 'futures', leverage: 10, trailingEnabled: false, partialTpEnabled: false, stopLossPct: 20 }, { fee: 0 }));
    const exits = r.trades[0]?.exits ?? [];
    expect(exits[0]).toEqual({ time: T0, price: 100, qty: 0.25, reason: 'liquidation_protection' });
    // close level: 90.5 / (1 − 0.035) = 93.78…, crossed on the way down to 92
    expect(exits[1]?.reason).toBe('liquidation_protection');
    expect(exits[1]?.price).toBeCloseTo(90.5 / 0.965, 9);
    expect(exits[1]?.qty).toBeCloseTo(0.75, 12);
  });

  it('runs several symbols on one clock, each signal on its own candles', () => {
    const eth = candles([[100, 101, 99.5, 100.5], [100.5, 103, 100.4, 102.5]]);
    const btc = candles([[50_000, 50_100, 48_000, 48_500], [48_500, 48_600, 48_400, 48_500]]);
    const r = runBacktest(
      new Map([['ETH/USDT', eth], ['BTC/USDT', btc]]),
      [signal({ takeProfit: 102, stopLoss: 90 }), signal({ id: 'b', symbol: 'BTC/USDT', stopLoss: 49_000, takeProfit: 60_000 })],
      opts({ trailingEnabled: false, partialTpEnabled: false }, { fee: 0 }),
    );
    // same entry time: listed in the order they closed (BTC in the first minute)
    expect(r.trades.map((t) => [t.symbol, t.exits[0]?.reason, t.exits[0]?.price])).toEqual([
      ['BTC/USDT', 'stop_loss', 49_000],
      ['ETH/USDT', 'take_profit', 102],
    ]);
  });
});
