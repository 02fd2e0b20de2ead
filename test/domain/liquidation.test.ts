import { describe, expect, it } from 'vitest';
import { liquidationFromMarginLevel } from '../../src/domain/liquidation.ts';

describe('liquidation price from an account margin level', () => {
  const base = { qty: 2, price: 100, margin: 50, marginLevel: 200, liquidationLevel: 40 } as const;

  it.each([
    // share of the cushion = 50 × (200 − 40) / 100 = 80 → 40 per unit
    ['long', 60],
    ['short', 140],
  ] as const)('%s: the price at which the position has lost its share of the cushion', (side, expected) => {
    expect(liquidationFromMarginLevel({ ...base, side })).toBeCloseTo(expected, 9);
  });

  it('at the liquidation level the price is the liquidation price', () => {
    expect(liquidationFromMarginLevel({ ...base, side: 'long', marginLevel: 40 })).toBe(100);
  });

  it('a long whose cushion outlasts a fall to zero: 0, never negative', () => {
    expect(liquidationFromMarginLevel({ ...base, side: 'long', marginLevel: 1_000 })).toBe(0);
  });

  it.each([{ qty: 0 }, { price: 0 }, { margin: 0 }, { marginLevel: Number.NaN }])('missing input %o: unknown', (bad) => {
    expect(liquidationFromMarginLevel({ ...base, side: 'long', ...bad })).toBeUndefined();
  });
});
