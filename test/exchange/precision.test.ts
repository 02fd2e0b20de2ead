import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundOrder, roundToStep } from '../../src/exchange/precision.ts';
import type { Market } from '../../src/exchange/port.ts';

const btc: Market = { symbol: 'BTC/USDT', id: 'BTCUSDT', base: 'BTC', quote: 'USDT', type: 'spot', tickSize: 0.01, stepSize: 0.00001, minQty: 0.00001, minCost: 5, contractSize: 1 };

/** value as an exact count of steps, by decimal text (no binary arithmetic) */
const stepsOf = (value: number, decimals: number) => BigInt(value.toFixed(decimals).replace('.', ''));

describe('rounding at the order boundary (ccxt decimalToPrecision, tick-size mode)', () => {
  it('a quantity rounds down exactly: never above what is held, binary noise neither adds nor loses a step', () => {
    expect(roundToStep(0.1 + 0.2, 0.1, 'down')).toBe(0.3); // 0.30000000000000004
    expect(roundToStep(0.3, 0.1, 'down')).toBe(0.3);
    // the old floor(x + 1e-9) sold 0.3 of a 0.2999999999 holding: more than held
    expect(roundToStep(0.2999999999, 0.1, 'down')).toBe(0.2);
    expect(roundToStep(0.00999, 0.00001, 'down')).toBe(0.00999);
    expect(roundToStep(0.0099899999, 0.00001, 'down')).toBe(0.00998);
    expect(roundOrder(btc, { qty: 0.009990000001, side: 'sell', type: 'market' }).qty).toBe(0.00999);
  });

  it("a long's protective stop rounds up, never below the level asked; a price on the tick stays", () => {
    expect(roundToStep(64_123.451, 0.01, 'up')).toBe(64_123.46);
    expect(roundToStep(64_123.45, 0.01, 'up')).toBe(64_123.45);
    expect(roundToStep(64_123.451, 0.01, 'down')).toBe(64_123.45);
    expect(roundToStep(0.5 * 3, 0.5, 'up')).toBe(1.5);
  });

  it('limit prices never worse than asked: a buy rounds down, a sell up', () => {
    expect(roundOrder(btc, { qty: 0.001, price: 100.019, side: 'buy', type: 'limit' }).price).toBe(100.01);
    expect(roundOrder(btc, { qty: 0.001, price: 100.011, side: 'sell', type: 'limit' }).price).toBe(100.02);
  });

  it('property: down ≤ value < down + step, up ≥ value > up − step, both whole multiples of the step', () => {
    const steps = [1, 0.5, 0.1, 0.01, 0.001, 0.00001, 1e-8];
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(...steps), (value, step) => {
        const decimals = Math.max(0, -Math.floor(Math.log10(step)) + (step === 0.5 ? 1 : 0));
        const down = roundToStep(value, step, 'down');
        const up = roundToStep(value, step, 'up');
        expect(down).toBeLessThanOrEqual(value);
        expect(up).toBeGreaterThanOrEqual(value);
        expect(value - down).toBeLessThan(step * (1 + 1e-9));
        expect(up - value).toBeLessThan(step * (1 + 1e-9));
        const unit = stepsOf(step, decimals);
        expect(stepsOf(down, decimals) % unit).toBe(0n);
        expect(stepsOf(up, decimals) % unit).toBe(0n);
      }),
      { numRuns: 2000 },
    );
  });
});
