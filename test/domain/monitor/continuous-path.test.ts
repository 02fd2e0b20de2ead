import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/domain/monitor/index.ts';
import type { PositionState } from '../../../src/domain/types.ts';
import { MIN, open, run, settings, T0, trades } from './helpers.ts';

const st = settings({ trailingEnabled: false });

describe('continuous ticks: levels fill at their price, in the order the price reaches them', () => {
  it('long, rising move 100 → 104: partials at 101 and 102 are sold before the take profit at 102.5 closes the rest', () => {
    const pos = open({ side: 'long', entry: 100, stopLoss: 95, takeProfit: 102.5 }, st);
    const { actions, state } = run(pos, [[104, true]], st);
    const t = trades(actions);
    expect(t.map((x) => [x.reason, x.price])).toEqual([
      ['partial_tp', 101],
      ['partial_tp', 102],
      ['take_profit', 102.5],
    ]);
    expect(t.map((x) => x.qty)).toEqual([0.25, 0.375, 0.375]);
    expect(state.partialTaken).toEqual([true, true, false]);
    expect(state.closed).toBe(true);
  });

  it('the same move as a live gap (not continuous) fills the take profit at the tick price, before any partial', () => {
    const pos = open({ side: 'long', entry: 100, stopLoss: 95, takeProfit: 102.5 }, st);
    const { actions } = run(pos, [104], st);
    expect(trades(actions)).toEqual([{ type: 'close_all', reason: 'take_profit', qty: 1, price: 104 }]);
  });

  it('long, falling move: a trailing stop above the stop loss wins and fills at its level', () => {
    const tr = settings({ partialTpEnabled: false });
    const pos = open({ side: 'long', entry: 100, stopLoss: 98 }, tr);
    // peak 103 → trailing stop 101.97; then the price falls straight through to 97
    const { actions } = run(pos, [103, [97, true]], tr);
    const t = trades(actions);
    expect(t).toHaveLength(1);
    expect(t[0]?.reason).toBe('trailing_stop');
    expect(t[0]?.price).toBeCloseTo(101.97, 10);
  });

  it('the same fall as a gap closes by stop loss at the tick price (rule order 1 before 3)', () => {
    const tr = settings({ partialTpEnabled: false });
    const pos = open({ side: 'long', entry: 100, stopLoss: 98 }, tr);
    const { actions } = run(pos, [103, 97], tr);
    expect(trades(actions)).toEqual([{ type: 'close_all', reason: 'stop_loss', qty: 1, price: 97 }]);
  });

  it('short, rising move: the trailing stop below the stop loss fills first', () => {
    const tr = settings({ partialTpEnabled: false });
    const pos = open({ side: 'short', entry: 100, stopLoss: 102 }, tr);
    const { actions } = run(pos, [97, [103, true]], tr);
    const t = trades(actions);
    expect(t.map((x) => x.reason)).toEqual(['trailing_stop']);
    expect(t[0]?.price).toBeCloseTo(97.97, 10);
  });

  it('short, falling move 100 → 96: partials at 99 and 98 then the take profit at 97.5', () => {
    const pos = open({ side: 'short', entry: 100, stopLoss: 105, takeProfit: 97.5 }, st);
    const { actions } = run(pos, [[96, true]], st);
    expect(trades(actions).map((x) => [x.reason, x.price])).toEqual([
      ['partial_tp', 99],
      ['partial_tp', 98],
      ['take_profit', 97.5],
    ]);
  });

  it('equal levels follow the rule order: a take profit equal to a partial level closes everything there', () => {
    const pos = open({ side: 'long', entry: 100, stopLoss: 95, takeProfit: 102 }, st);
    const { actions } = run(pos, [[103, true]], st);
    expect(trades(actions)).toEqual([
      { type: 'partial', reason: 'partial_tp', qty: 0.25, price: 101 },
      { type: 'close_all', reason: 'take_profit', qty: 0.75, price: 102 },
    ]);
  });

  it('equal levels: a stop loss equal to the trailing stop closes as stop_loss', () => {
    const tr = settings({ partialTpEnabled: false });
    const pos = open({ side: 'long', entry: 100, stopLoss: 100 * 1.03 * 0.99 }, tr);
    const { actions } = run(pos, [103, [99, true]], tr);
    expect(trades(actions).map((x) => x.reason)).toEqual(['stop_loss']);
  });

  it('trailing activation and peak update at the tick before levels are checked', () => {
    const tr = settings({ partialTpEnabled: false });
    const pos = open({ side: 'long', entry: 100, stopLoss: 95 }, tr);
    const r = evaluate(pos, { time: T0 + MIN, price: 102, continuous: true }, tr);
    expect(r.next.trailingActive).toBe(true);
    expect(r.next.peak).toBe(102);
    expect(r.next.trailingStop).toBeCloseTo(100.98, 10);
    expect(trades(r.actions)).toEqual([]);
  });

  it('a continuous tick with no previous price is treated as a gap', () => {
    const pos: PositionState = { ...open({ side: 'long', entry: 100, stopLoss: 98 }, st), lastPrice: null };
    const r = evaluate(pos, { time: T0 + MIN, price: 97, continuous: true }, st);
    expect(trades(r.actions)).toEqual([{ type: 'close_all', reason: 'stop_loss', qty: 1, price: 97 }]);
  });
});

describe('a stored last price beyond the trailing peak (a state restored from elsewhere)', () => {
  it('a continuous fall that starts above the peak and ends below it leaves the peak and the stop where they were', () => {
    const tr = settings({ partialTpEnabled: false, trailingDistancePct: 1 });
    const pos: PositionState = { ...open({ side: 'long', entry: 100, stopLoss: 95, takeProfit: 110 }, tr), trailingActive: true, peak: 103, trailingStop: 101.97, lastPrice: 103.5 };
    const r = evaluate(pos, { time: T0 + MIN, price: 102.5, continuous: true }, tr);
    expect(r.actions).toEqual([]);
    expect(r.next.peak).toBe(103);
    expect(r.next.trailingStop).toBe(101.97);
  });
});
