import { describe, expect, it } from 'vitest';
import { cloneState, evaluate, tickMayAct } from '../../../src/domain/monitor/index.ts';
import { MIN, open, settings, T0 } from './helpers.ts';

// a long at 100 000 with a stop at 98 000 and a take profit at 104 000; partials off, trailing
// activating at +1.5 % (101 500)
const st = settings({ partialTpEnabled: false, trailingEnabled: true, trailingActivationPct: 1.5, trailingDistancePct: 1 });
const at = (minute: number, price: number) => ({ time: T0 + minute * MIN, price, continuous: false });

describe("the quiet memo a state keeps (evaluate()'s first question)", () => {
  it('a quiet tick hands back the same state with no action, and the state looks as it did: same keys, same JSON', () => {
    const s = open({ side: 'long', entry: 100_000, stopLoss: 98_000, takeProfit: 104_000 }, st);
    const keys = Object.keys(s);
    const json = JSON.stringify(s);
    for (let m = 1; m <= 5; m++) {
      const r = evaluate(s, at(m, 100_000 + m * 100), st);
      expect(r.next).toBe(s);
      expect(r.actions).toEqual([]);
      expect(tickMayAct(s, at(m, 100_000 + m * 100), st)).toBe(false);
    }
    expect(Object.keys(s)).toEqual(keys);
    expect(JSON.stringify(s)).toBe(json);
    expect({ ...s }).toEqual(JSON.parse(json));
  });

  it('after many quiet ticks, a tick exactly at the stop closes there, and a cent above it stays quiet', () => {
    const s = open({ side: 'long', entry: 100_000, stopLoss: 98_000, takeProfit: 104_000 }, st);
    for (let m = 1; m <= 10; m++) expect(evaluate(s, at(m, 99_000 + m), st).next).toBe(s);
    expect(evaluate(s, at(11, 98_000.01), st).actions).toEqual([]);
    expect(evaluate(s, at(12, 98_000), st).actions).toEqual([
      { type: 'close_all', reason: 'stop_loss', price: 98_000, qty: 1, time: T0 + 12 * MIN },
    ]);
  });

  it('follows the settings it is asked with: a state quiet at 101 200 under a 1.5 % activation activates its trailing stop under 1 %', () => {
    const s = open({ side: 'long', entry: 100_000, stopLoss: 98_000, takeProfit: 104_000 }, st);
    expect(evaluate(s, at(1, 101_200), st).next).toBe(s);
    expect(evaluate(s, at(2, 101_200), st).next).toBe(s);
    const sooner = { ...st, trailingActivationPct: 1 };
    const r = evaluate(s, at(3, 101_200), sooner);
    expect(r.next.trailingActive).toBe(true);
    expect(r.next.trailingStop).toBeCloseTo(100_188, 6);
    expect(r.actions[0]).toMatchObject({ type: 'reevaluation', field: 'trailing_stop', old: null, reason: 'trailing_activated' });
    // and back under the first settings the old state is still quiet there
    expect(evaluate(s, at(4, 101_200), st).next).toBe(s);
  });

  it('a plain copy of the state (spread by a caller) gets the same answers, decided without a memo', () => {
    const s = open({ side: 'long', entry: 100_000, stopLoss: 98_000, takeProfit: 104_000 }, st);
    expect(evaluate(s, at(1, 100_500), st).next).toBe(s); // s has learned its memo
    const plain = { ...s };
    for (const price of [100_500, 98_000.01, 98_000, 101_499, 101_500, 104_000, 105_000]) {
      const memo = evaluate(s, at(2, price), st);
      const none = evaluate(plain, at(2, price), st);
      expect({ ...none.next }).toEqual({ ...memo.next });
      expect(none.actions).toEqual(memo.actions);
    }
    expect(evaluate(plain, at(3, 104_000), st).actions.at(-1)).toEqual({
      type: 'close_all',
      reason: 'take_profit',
      price: 104_000,
      qty: 1,
      time: T0 + 3 * MIN,
    });
    // a clone made from it is the monitor's own again: its quiet answer is itself
    const again = cloneState(plain);
    expect(evaluate(again, at(4, 100_500), st)).toBe(again);
  });
});
