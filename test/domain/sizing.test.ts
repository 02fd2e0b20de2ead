import { describe, expect, it } from 'vitest';
import { calculatePositionSize, halfKellySize, kellyFraction } from '../../src/domain/sizing.ts';

describe('Kelly (seed §7.2)', () => {
  it('p=0.55, W=100, L=80 → f* = 0.19, half-Kelly on 10 000 = 950', () => {
    expect(kellyFraction(0.55, 100, 80)).toBeCloseTo(0.19, 12);
    expect(halfKellySize(10_000, 0.55, 100, 80)).toBeCloseTo(950, 9);
  });

  it.each([
    ['a losing edge stakes nothing', 0.4, 100, 100, 0],
    ['f* is capped at 0.25 → 1250', 0.9, 100, 50, 1250],
  ])('%s', (_n, p, w, l, expected) => {
    expect(halfKellySize(10_000, p, w, l)).toBeCloseTo(expected, 9);
  });
});

const base = {
  balance: 10_000,
  riskPerTradePct: 2,
  stopLossPct: 2,
  volatility: 0.01,
  confidence: 0.8,
  maxPosition: 1000,
};

describe('calculatePositionSize (seed §4.2 five steps)', () => {
  it('walks the five steps: 200 risk → 10 000 → ×1.2 → ×0.8 = 9 600 → capped by max_position 1 000', () => {
    const r = calculatePositionSize(base);
    expect(r.steps.riskAmount).toBeCloseTo(200, 9);
    expect(r.steps.positionFromSl).toBeCloseTo(10_000, 9);
    expect(r.steps.volMultiplier).toBe(1.2);
    expect(r.steps.afterConfidence).toBeCloseTo(9_600, 9);
    expect(r.notional).toBe(1000);
    expect(r.cappedBy).toBe('max_position');
  });

  it.each([
    ['high volatility multiplies by 0.8: 2 500 × 0.8 × 0.8 = 1 600', { volatility: 0.03, stopLossPct: 8, maxPosition: 1e9 }, 1_600],
    ['confidence scales the size', { stopLossPct: 10, confidence: 0.5, maxPosition: 1e9 }, 1_200],
    ['balance × 0.25 caps on spot', { maxPosition: 1e9 }, 2_500],
  ])('%s', (_n, over, expected) => {
    expect(calculatePositionSize({ ...base, ...over }).notional).toBeCloseTo(expected, 9);
  });

  it('half-Kelly caps the size only after more than 20 closed trades', () => {
    const history = { closedTrades: 21, winRate: 0.55, avgWin: 100, avgLoss: 80 };
    const r = calculatePositionSize({ ...base, maxPosition: 1e9, history });
    expect(r.notional).toBeCloseTo(950, 9);
    expect(r.cappedBy).toBe('half_kelly');
    const young = calculatePositionSize({ ...base, maxPosition: 1e9, history: { ...history, closedTrades: 20 } });
    expect(young.notional).toBeCloseTo(2_500, 9);
  });

  it('leverage-aware: at 5x on futures the balance cap bounds the margin, so notional may reach 12 500 of exposure', () => {
    const r = calculatePositionSize({ ...base, maxPosition: 1e9, stopLossPct: 1, mode: 'futures', leverage: 5 });
    // 200 / 1 % = 20 000 → ×1.2 ×0.8 = 19 200 → cap 10 000·0.25·5 = 12 500
    expect(r.notional).toBeCloseTo(12_500, 9);
    expect(r.margin).toBeCloseTo(2_500, 9);
    expect(r.leverage).toBe(5);
    // the loss at the stop is 12 500 · 1 % = 125 ≤ the 200 risk budget
  });

  it('spot ignores the leverage setting', () => {
    const r = calculatePositionSize({ ...base, maxPosition: 1e9, mode: 'spot', leverage: 10 });
    expect(r.leverage).toBe(1);
    expect(r.notional).toBeCloseTo(2_500, 9);
  });
});
