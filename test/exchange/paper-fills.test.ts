import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyFill, lockedMargin } from '../../src/exchange/paper-fills.ts';
import type { PaperState } from '../../src/exchange/paper-store.ts';
import type { Market } from '../../src/exchange/port.ts';

const PERP: Market = { symbol: 'ETH/USDT:USDT', id: 'ETHUSDT', base: 'ETH', quote: 'USDT', type: 'swap', tickSize: 0.01, stepSize: 0.001, minQty: 0, minCost: 0, contractSize: 1 };
const fresh = (usdt: number): PaperState => ({ balances: new Map([['USDT', usdt]]), positions: new Map() });
const apply = (state: PaperState, outcome: ReturnType<typeof applyFill>) => {
  for (const [c, v] of outcome.balances) state.balances.set(c, v);
  for (const p of outcome.positions) (p.qty > 0 ? state.positions.set(p.symbol, p) : state.positions.delete(p.symbol));
};

describe('paper fills (invariants)', () => {
  it('reduce-only closes never exceed what is held and never leave a negative quantity', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        fc.array(fc.record({ fraction: fc.double({ min: 0.01, max: 1.5, noNaN: true }), price: fc.double({ min: 500, max: 5_000, noNaN: true }) }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
        (qty, closes, side) => {
          const state = fresh(1e9);
          apply(state, applyFill(state, PERP, 'futures', { side, qty, price: 2_000, reduceOnly: false, leverage: 3, feeRate: 0.001, maintenanceRate: 0.005 }));
          let held = qty;
          for (const { fraction, price } of closes) {
            const position = state.positions.get(PERP.symbol);
            if (!position) break;
            const outcome = applyFill(state, PERP, 'futures', { side: side === 'buy' ? 'sell' : 'buy', qty: held * fraction, price, reduceOnly: true, leverage: 3, feeRate: 0.001, maintenanceRate: 0.005 });
            expect(outcome.filledQty).toBeLessThanOrEqual(held + 1e-12);
            apply(state, outcome);
            const after = state.positions.get(PERP.symbol)?.qty ?? 0;
            expect(after).toBeGreaterThanOrEqual(0);
            expect(after).toBeCloseTo(held - outcome.filledQty, 9);
            held = after;
          }
          // released margin is never more than was locked
          expect(lockedMargin(state)).toBeGreaterThanOrEqual(-1e-9);
        },
      ),
    );
  });

  it('a round trip at one price with no fee returns the wallet exactly', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 100, noNaN: true }), fc.double({ min: 1, max: 100_000, noNaN: true }), fc.integer({ min: 1, max: 50 }), (qty, price, leverage) => {
        const state = fresh(1e12);
        apply(state, applyFill(state, PERP, 'futures', { side: 'sell', qty, price, reduceOnly: false, leverage, feeRate: 0, maintenanceRate: 0.005 }));
        apply(state, applyFill(state, PERP, 'futures', { side: 'buy', qty, price, reduceOnly: true, leverage, feeRate: 0, maintenanceRate: 0.005 }));
        expect(state.balances.get('USDT')).toBeCloseTo(1e12, 0);
        expect(state.positions.size).toBe(0);
      }),
    );
  });

  it('an opposite order larger than the position flips it (not reduce-only)', () => {
    const state = fresh(10_000);
    apply(state, applyFill(state, PERP, 'futures', { side: 'buy', qty: 1, price: 2_000, reduceOnly: false, leverage: 2, feeRate: 0, maintenanceRate: 0 }));
    apply(state, applyFill(state, PERP, 'futures', { side: 'sell', qty: 3, price: 2_100, reduceOnly: false, leverage: 2, feeRate: 0, maintenanceRate: 0 }));
    expect(state.positions.get(PERP.symbol)).toMatchObject({ side: 'short', qty: 2, entryPrice: 2_100, margin: 2_100 });
    expect(state.balances.get('USDT')).toBe(10_100);
  });
});
