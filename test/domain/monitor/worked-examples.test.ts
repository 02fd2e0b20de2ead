import { describe, expect, it } from 'vitest';
import { evaluate, profitPct } from '../../../src/domain/monitor/index.ts';
import { MIN, open, run, settings, T0, trades } from './helpers.ts';

const noPartials = settings({ partialTpEnabled: false });
const noTrailing = settings({ trailingEnabled: false });

describe('profitPct', () => {
  it('is (p − entry)/entry·100 for a long and the mirror for a short', () => {
    expect(profitPct({ side: 'long', entry: 100_000 }, 102_000)).toBeCloseTo(2, 12);
    expect(profitPct({ side: 'short', entry: 100_000 }, 102_000)).toBeCloseTo(-2, 12);
  });
});

describe('trailing stop (seed §4.3)', () => {
  it('long: entry 100 000, peak 102 000 → trailing stop 100 980, a drop to 100 980 closes there', () => {
    const pos = open({ side: 'long', entry: 100_000, stopLoss: 98_000, takeProfit: 110_000 }, noPartials);
    const { state, actions, perTick } = run(pos, [100_300, 100_500, 102_000, 101_500, 100_980], noPartials);
    expect(perTick[0]).toEqual([]); // 0.3 % < 0.5 % activation
    expect(perTick[1]?.[0]).toMatchObject({ type: 'reevaluation', field: 'trailing_stop', reason: 'trailing_activated', old: null });
    expect(perTick[1]?.[0]?.type === 'reevaluation' && perTick[1][0].new).toBeCloseTo(99_495, 6);
    expect(perTick[2]?.[0]).toMatchObject({ type: 'reevaluation', reason: 'trailing_peak' });
    expect(perTick[2]?.[0]?.type === 'reevaluation' && perTick[2][0].new).toBeCloseTo(100_980, 6);
    expect(perTick[3]).toEqual([]); // 101 500 is above the stop and below the peak: nothing changes
    expect(trades(actions)).toEqual([{ type: 'close_all', reason: 'trailing_stop', qty: 1, price: 100_980 }]);
    expect(state.closed).toBe(true);
    expect(state.qty).toBe(0);
  });

  it('short: entry 100 000, best 98 000 → trailing stop 98 980, a rise to 98 980 closes there', () => {
    const pos = open({ side: 'short', entry: 100_000, stopLoss: 102_000, takeProfit: 90_000 }, noPartials);
    const { actions, state } = run(pos, [99_500, 98_000, 98_500, 98_980], noPartials);
    expect(state.trailingStop).toBeCloseTo(98_980, 6);
    expect(trades(actions)).toEqual([{ type: 'close_all', reason: 'trailing_stop', qty: 1, price: 98_980 }]);
  });

  it('does not activate below the activation profit and never closes a position that never activated', () => {
    const pos = open({ side: 'long', entry: 100_000, stopLoss: 95_000 }, noPartials);
    const { state, actions } = run(pos, [100_400, 99_000, 100_400], noPartials);
    expect(state.trailingActive).toBe(false);
    expect(actions).toEqual([]);
  });
});

describe('partial take profit (seed §4.4)', () => {
  it('long 1 ETH from 3000: 3030 sells 0.25, 3060 sells 0.375, 3090 sells 0.28125 → 0.09375 left', () => {
    const pos = open({ side: 'long', entry: 3000, stopLoss: 2900 }, noTrailing);
    const { state, actions } = run(pos, [3030, 3060, 3090], noTrailing);
    expect(trades(actions)).toEqual([
      { type: 'partial', reason: 'partial_tp', qty: 0.25, price: 3030 },
      { type: 'partial', reason: 'partial_tp', qty: 0.375, price: 3060 },
      { type: 'partial', reason: 'partial_tp', qty: 0.28125, price: 3090 },
    ]);
    expect(state.qty).toBeCloseTo(0.09375, 15);
    expect(state.partialTaken).toEqual([true, true, true]);
    expect(state.closed).toBe(false);
  });

  it('fires several levels on one tick, each of what remains, and never again', () => {
    const pos = open({ side: 'long', entry: 3000 }, noTrailing);
    const { state, perTick } = run(pos, [3100, 3200], noTrailing);
    expect(trades(perTick[0] ?? [])).toEqual([
      { type: 'partial', reason: 'partial_tp', qty: 0.25, price: 3100 },
      { type: 'partial', reason: 'partial_tp', qty: 0.375, price: 3100 },
      { type: 'partial', reason: 'partial_tp', qty: 0.28125, price: 3100 },
    ]);
    expect(perTick[1]).toEqual([]);
    expect(state.qty).toBeCloseTo(0.09375, 15);
  });

  it('short 1 ETH from 3000: 2970, 2940, 2910 sell the same quantities', () => {
    const pos = open({ side: 'short', entry: 3000, stopLoss: 3100 }, noTrailing);
    const { state, actions } = run(pos, [2970, 2940, 2910], noTrailing);
    expect(trades(actions).map((t) => t.qty)).toEqual([0.25, 0.375, 0.28125]);
    expect(state.qty).toBeCloseTo(0.09375, 15);
  });
});

describe('stop loss, take profit and time exit', () => {
  it('long stop loss closes everything at the tick price on a live (non-continuous) tick', () => {
    const pos = open({ side: 'long', entry: 50_000, stopLoss: 49_000, takeProfit: 55_000 }, settings());
    const { actions } = run(pos, [49_500, 48_700], settings());
    expect(trades(actions)).toEqual([{ type: 'close_all', reason: 'stop_loss', qty: 1, price: 48_700 }]);
  });

  it('short take profit closes at p ≤ takeProfit', () => {
    const pos = open({ side: 'short', entry: 50_000, stopLoss: 51_000, takeProfit: 45_000 }, noPartials);
    const { actions } = run(pos, [46_000, 44_900], settings({ partialTpEnabled: false, trailingEnabled: false }));
    expect(trades(actions)).toEqual([{ type: 'close_all', reason: 'take_profit', qty: 1, price: 44_900 }]);
  });

  it('closes at the tick price once 12 h have passed, not a millisecond earlier', () => {
    const st = settings();
    const pos = open({ side: 'long', entry: 100, stopLoss: 90 }, st);
    const early = evaluate(pos, { time: T0 + 12 * 60 * MIN - 1, price: 100.2, continuous: false }, st);
    expect(early.actions).toEqual([]);
    const late = evaluate(early.next, { time: T0 + 12 * 60 * MIN, price: 100.1, continuous: false }, st);
    expect(trades(late.actions)).toEqual([{ type: 'close_all', reason: 'time_exit', qty: 1, price: 100.1 }]);
  });

  it('ignores a broken price (NaN, 0, negative, infinite) even past the hold time', () => {
    const pos = open({ side: 'long', entry: 100, stopLoss: 99 }, settings());
    for (const price of [Number.NaN, 0, -5, Number.POSITIVE_INFINITY]) {
      const r = evaluate(pos, { time: T0 + 13 * 60 * MIN, price, continuous: false }, settings());
      expect(r.actions).toEqual([]);
      expect(r.next).toBe(pos);
    }
  });

  it('a closed position yields no further action', () => {
    const pos = open({ side: 'long', entry: 100, stopLoss: 99 }, settings());
    const closed = evaluate(pos, { time: T0 + MIN, price: 98, continuous: false }, settings()).next;
    const again = evaluate(closed, { time: T0 + 2 * MIN, price: 50, continuous: false }, settings());
    expect(again.actions).toEqual([]);
    expect(again.next).toBe(closed);
  });
});
