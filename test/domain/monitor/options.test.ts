import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/domain/monitor/index.ts';
import { MIN, open, run, settings, T0, trades } from './helpers.ts';

describe('option: stop loss → breakeven after the first partial take profit', () => {
  it('moves the stop to entry, records it, and a return to entry closes the rest there', () => {
    const st = settings({ trailingEnabled: false, breakevenAfterFirstPartial: true });
    const pos = open({ side: 'long', entry: 3000, stopLoss: 2900 }, st);
    const { perTick, actions } = run(pos, [3030, 3000], st);
    expect(perTick[0]).toContainEqual({
      type: 'reevaluation',
      field: 'stop_loss',
      old: 2900,
      new: 3000,
      reason: 'breakeven_after_partial',
      time: T0 + MIN,
    });
    expect(trades(actions)).toEqual([
      { type: 'partial', reason: 'partial_tp', qty: 0.25, price: 3030 },
      { type: 'close_all', reason: 'stop_loss', qty: 0.75, price: 3000 },
    ]);
  });

  it('is off by default: the stop stays at 2900', () => {
    const st = settings({ trailingEnabled: false });
    const { state } = run(open({ side: 'long', entry: 3000, stopLoss: 2900 }, st), [3030, 3000], st);
    expect(state.stopLoss).toBe(2900);
    expect(state.qty).toBe(0.75);
  });

  it('never loosens a stop already above entry (short: below entry)', () => {
    const st = settings({ trailingEnabled: false, breakevenAfterFirstPartial: true });
    const { state } = run(open({ side: 'short', entry: 3000, stopLoss: 2990 }, st), [2970], st);
    expect(state.stopLoss).toBe(2990);
  });
});

describe('option: stop-loss timeout (a breach that recovers within N seconds is ignored)', () => {
  const st = settings({ trailingEnabled: false, partialTpEnabled: false, slTimeoutMs: 30_000 });
  const pos = () => open({ side: 'long', entry: 100, stopLoss: 98 }, st);
  const at = (s: number) => T0 + s * 1000;

  it('ignores a wick below the stop that recovers within 30 s', () => {
    let r = evaluate(pos(), { time: at(0), price: 97.5, continuous: false }, st);
    expect(r.actions).toEqual([{ type: 'alert', event: 'stop_loss_breach_pending', severity: 'warning', price: 97.5, time: at(0) }]);
    r = evaluate(r.next, { time: at(10), price: 98.5, continuous: false }, st);
    expect(r.next.slBreachSince).toBeNull();
    r = evaluate(r.next, { time: at(35), price: 97.9, continuous: false }, st); // new breach, clock restarts
    expect(trades(r.actions)).toEqual([]);
    r = evaluate(r.next, { time: at(55), price: 97.8, continuous: false }, st); // only 20 s
    expect(trades(r.actions)).toEqual([]);
    r = evaluate(r.next, { time: at(65), price: 97.7, continuous: false }, st); // 30 s: closes at the tick price
    expect(trades(r.actions)).toEqual([{ type: 'close_all', reason: 'stop_loss', qty: 1, price: 97.7 }]);
  });

  it('does not delay liquidation protection', () => {
    const lst = settings({ ...st });
    const p = open({ side: 'long', entry: 100, stopLoss: 98, mode: 'futures', leverage: 5, liquidationPrice: 80.4 }, lst);
    const r = evaluate(p, { time: at(0), price: 82, continuous: false }, lst);
    expect(trades(r.actions)).toEqual([{ type: 'close_all', reason: 'liquidation_protection', qty: 1, price: 82 }]);
  });
});

describe('option: trailing take profit', () => {
  const st = settings({ trailingEnabled: false, partialTpEnabled: false, trailingTpEnabled: true, trailingTpDeviationPct: 1 });

  it('reaching 110 arms a trail instead of closing; 1 % below the best price (115 → 113.85) closes as take_profit', () => {
    const pos = open({ side: 'long', entry: 100, stopLoss: 95, takeProfit: 110 }, st);
    const { perTick, actions, state } = run(pos, [110, 115, 114, 113.85], st);
    expect(perTick[0]).toEqual([{ type: 'alert', event: 'trailing_tp_armed', severity: 'info', price: 110, time: T0 + MIN }]);
    expect(state.tpTrailPeak).toBe(115);
    expect(trades(actions)).toEqual([{ type: 'close_all', reason: 'take_profit', qty: 1, price: 113.85 }]);
  });

  it('short: armed at 90, best 85, closes at 85.85 on a continuous rise, at its level', () => {
    const pos = open({ side: 'short', entry: 100, stopLoss: 105, takeProfit: 90 }, st);
    const { actions } = run(pos, [90, 85, [87, true]], st);
    const t = trades(actions);
    expect(t.map((x) => x.reason)).toEqual(['take_profit']);
    expect(t[0]?.price).toBeCloseTo(85.85, 10);
  });
});
