import { describe, expect, it } from 'vitest';
import { candleToTicks } from '../../src/domain/candles.ts';

const T = 1613692800000;

describe('candleToTicks (SPEC §6 backtest ticks, TradingView path)', () => {
  it('goes open → high → low → close when the high is nearer the open', () => {
    const ticks = candleToTicks({ time: T, open: 100, high: 101, low: 97, close: 99, volume: 1 });
    expect(ticks.map((t) => t.price)).toEqual([100, 101, 97, 99]);
  });

  it('goes open → low → high → close when the low is nearer the open', () => {
    const ticks = candleToTicks({ time: T, open: 100, high: 104, low: 99, close: 103, volume: 1 });
    expect(ticks.map((t) => t.price)).toEqual([100, 99, 104, 103]);
  });

  it('treats equal distances as high first (high − open ≤ open − low)', () => {
    const ticks = candleToTicks({ time: T, open: 100, high: 102, low: 98, close: 100, volume: 1 });
    expect(ticks.map((t) => t.price)).toEqual([100, 102, 98, 100]);
  });

  it('marks the open as a gap and the rest as continuous, all at the candle open time', () => {
    const ticks = candleToTicks({ time: T, open: 51552.61, high: 51657.05, low: 51545, close: 51613.38, volume: 134.98 }, 51500);
    expect(ticks.map((t) => t.continuous)).toEqual([false, true, true, true]);
    expect(ticks.every((t) => t.time === T)).toBe(true);
    // 51657.05 − 51552.61 = 104.44 > 51552.61 − 51545 = 7.61 → low first
    expect(ticks.map((t) => t.price)).toEqual([51552.61, 51545, 51657.05, 51613.38]);
  });
});
