/** The backtest applies the same protections as live entries (src/domain/protections.ts). */
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/engine.ts';
import { parseSettings } from '../../src/domain/settings.ts';
import type { Signal } from '../../src/domain/signals.ts';
import type { Candle } from '../../src/domain/types.ts';

const T = Date.UTC(2026, 0, 7, 12, 0);
const MIN = 60_000;

/** flat at 100, except the minutes in `drops` that dip to 97 (through a 2 % stop at 98) */
function candles(minutes: number, drops: readonly number[]): Candle[] {
  return Array.from({ length: minutes }, (_, i) => ({ time: T + i * MIN, open: 100, high: 100.2, low: drops.includes(i) ? 97 : 99.8, close: 100, volume: 1 }));
}
const buy = (minute: number): Signal => ({ id: `s${minute}`, symbol: 'BTC/USDT', action: 'BUY', confidence: 0.8, source: 'titan_v3', createdAt: T + minute * MIN, expiresAt: null, stopLoss: null, takeProfit: null, userId: null });

function run(settings: Record<string, unknown>) {
  const s = parseSettings(settings);
  if (!s.ok) throw new Error(s.error.join('; '));
  const data = new Map([['BTC/USDT', candles(120, [1, 11, 21, 41])]]);
  return runBacktest(data, [buy(0), buy(10), buy(20), buy(40), buy(90)], { settings: s.value, balance: 10_000, fee: 0.001, slippage: 0, fixedQty: 1 });
}

describe('protections in the backtest', () => {
  it('the stop-loss guard: after three stop losses within an hour the 12:40 signal is refused until 13:21, the 13:30 one trades', () => {
    const r = run({ stoploss_guard_enabled: true, stoploss_guard_trades: 3, stoploss_guard_window_minutes: 60, stoploss_guard_cooldown_minutes: 60 });
    expect(r.trades.map((t) => [(t.entry_time - T) / MIN, t.exits.at(-1)!.reason])).toEqual([
      [0, 'stop_loss'],
      [10, 'stop_loss'],
      [20, 'stop_loss'],
      [90, 'end_of_data'],
    ]);
    expect(r.rejections).toHaveLength(1);
    expect(r.rejections[0]!.signal.id).toBe('s40');
    expect(r.rejections[0]!.reasons).toEqual([
      'protection stop-loss guard: 3 stop losses within 60 min (the last at 2026-01-07 12:21 UTC); no new entries on any pair until 2026-01-07 13:21 UTC',
    ]);
  });

  it('off (the default), all five trade', () => {
    expect(run({}).trades).toHaveLength(5);
  });
});
