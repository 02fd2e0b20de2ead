import { describe, expect, it } from 'vitest';
import { computeSlTp, detectRegime } from '../../src/domain/sltp.ts';
import type { Candle } from '../../src/domain/types.ts';

const mk = (closes: number[], halfRange: (i: number) => number = () => 0.5): Candle[] =>
  closes.map((close, i) => ({
    time: i * 60_000,
    open: closes[i - 1] ?? close,
    high: Math.max(close, closes[i - 1] ?? close) + halfRange(i),
    low: Math.min(close, closes[i - 1] ?? close) - halfRange(i),
    close,
    volume: 1,
  }));

const trending = mk(Array.from({ length: 60 }, (_, i) => 100 + i));
// a ±2 swing every 8 candles: no direction
const wave = Array.from({ length: 60 }, (_, i) => 100 + 2 * Math.sin((i * 2 * Math.PI) / 8));
const sideways = mk(wave);
const volatile = mk(wave, (i) => (i >= 53 ? 4 : 0.5));

describe('detectRegime', () => {
  it('a steady climb with even ranges is trending (ADX ≥ 25)', () => {
    const r = detectRegime(trending);
    expect(r?.regime).toBe('trending');
    expect(r?.adx).toBeGreaterThanOrEqual(25);
    expect(r?.atr).toBeCloseTo(2, 2); // true range: 1 move + 2·0.5 wick (Wilder-smoothed from a 1.0 first range)
  });

  it('a back-and-forth market is sideways (ADX < 25, ranges steady)', () => {
    const r = detectRegime(sideways);
    expect(r?.regime).toBe('sideways');
    expect(r?.adx).toBeCloseTo(10.74, 2);
  });

  it('ranges that suddenly widen make it volatile (ATR(7) ≥ 1.5 · ATR(28))', () => {
    const r = detectRegime(volatile);
    expect(r?.regime).toBe('volatile');
    expect(r?.atrRatio).toBeGreaterThanOrEqual(1.5);
  });

  it('needs 28 candles', () => {
    expect(detectRegime(trending.slice(0, 27))).toBeNull();
    expect(detectRegime(trending.slice(0, 28))).not.toBeNull();
  });
});

const pct = { stopLossPct: 2, takeProfitPct: 10 };

describe('computeSlTp (SPEC §4)', () => {
  it('uses the signal’s own levels when they are on the right side of entry', () => {
    const r = computeSlTp({ side: 'long', entry: 100, signalStopLoss: 97, signalTakeProfit: 108, candles: trending, ...pct });
    expect(r).toMatchObject({ stopLoss: 97, takeProfit: 108, slSource: 'signal', tpSource: 'signal' });
    expect(r.stopLossPct).toBeCloseTo(3, 12);
  });

  it('trending: a long’s wrong-side signal stop falls back to ATR 2 → SL 100 − 2·1.5·0.8 = 97.6, TP 100 + 2·2·1.25·1.5 = 107.5', () => {
    const r = computeSlTp({ side: 'long', entry: 100, signalStopLoss: 101, signalTakeProfit: null, candles: trending, ...pct });
    expect(r.slSource).toBe('atr');
    expect(r.stopLoss).toBeCloseTo(97.6, 2);
    expect(r.takeProfit).toBeCloseTo(107.5, 1);
    expect(r.stopLoss).toBeCloseTo(100 - (r.regime?.atr ?? NaN) * 1.5 * 0.8, 12);
  });

  it('sideways widens the stop and tightens the target; a short mirrors them', () => {
    const r = computeSlTp({ side: 'short', entry: 100, signalStopLoss: null, signalTakeProfit: null, candles: sideways, ...pct });
    const atr = r.regime?.atr ?? NaN;
    expect(r.regime?.regime).toBe('sideways');
    expect(r.stopLoss).toBeCloseTo(100 + atr * 1.5 * 1.2, 9);
    expect(r.takeProfit).toBeCloseTo(100 - atr * 2 * 0.8 * 1.5, 9);
  });

  it('volatile widens both', () => {
    const r = computeSlTp({ side: 'long', entry: 100, signalStopLoss: null, signalTakeProfit: null, candles: volatile, ...pct });
    const atr = r.regime?.atr ?? NaN;
    expect(r.stopLoss).toBeCloseTo(100 - atr * 1.5 * 1.3, 9);
    expect(r.takeProfit).toBeCloseTo(100 + atr * 2 * 1.3 * 1.5, 9);
  });

  it('without enough candles uses the user’s percentages: long 100 → SL 98, TP 110; short → SL 102, TP 90', () => {
    const l = computeSlTp({ side: 'long', entry: 100, signalStopLoss: null, signalTakeProfit: null, candles: [], ...pct });
    expect(l.stopLoss).toBeCloseTo(98, 12);
    expect(l.takeProfit).toBeCloseTo(110, 12);
    expect([l.slSource, l.tpSource]).toEqual(['percent', 'percent']);
    const s = computeSlTp({ side: 'short', entry: 100, signalStopLoss: 95, signalTakeProfit: 105, candles: [], ...pct });
    expect(s.stopLoss).toBeCloseTo(102, 12);
    expect(s.takeProfit).toBeCloseTo(90, 12);
    expect([s.slSource, s.tpSource]).toEqual(['percent', 'percent']);
  });
});
