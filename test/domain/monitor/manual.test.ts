import { describe, expect, it } from 'vitest';
import {
  applyManualClose,
  evaluate,
  checkStopLossPrice,
  moveStopLoss,
  moveTakeProfit,
  stopToBreakeven,
} from '../../../src/domain/monitor/index.ts';
import { open, settings, T0 } from './helpers.ts';

const st = settings();

describe('manual actions (Telegram buttons)', () => {
  it('Close 50 % sells half of what remains; Close sells the rest; afterwards nothing acts', () => {
    const pos = open({ side: 'long', entry: 100, qty: 2 }, st);
    const half = applyManualClose(pos, 0.5, 105, T0);
    expect(half.actions).toEqual([{ type: 'reduce', reason: 'manual', fraction: 0.5, qty: 1, price: 105, time: T0 }]);
    expect(half.next.qty).toBe(1);
    const all = applyManualClose(half.next, 1, 106, T0);
    expect(all.actions).toEqual([{ type: 'close_all', reason: 'manual', qty: 1, price: 106, time: T0 }]);
    expect(all.next.closed).toBe(true);
    expect(applyManualClose(all.next, 1, 107, T0).actions).toEqual([]);
    expect(pos.qty).toBe(2); // input untouched
  });

  it('SL → breakeven records old and new, and does nothing when the stop is already above entry', () => {
    const pos = open({ side: 'long', entry: 100, stopLoss: 97 }, st);
    const be = stopToBreakeven(pos, T0);
    expect(be.next.stopLoss).toBe(100);
    expect(be.actions).toEqual([{ type: 'reevaluation', field: 'stop_loss', old: 97, new: 100, reason: 'manual_breakeven', time: T0 }]);
    expect(stopToBreakeven({ ...pos, stopLoss: 101 }, T0).actions).toEqual([]);
  });

  it('moving SL and TP records reevaluations', () => {
    const pos = open({ side: 'short', entry: 100, stopLoss: 103, takeProfit: 90 }, st);
    expect(moveStopLoss(pos, 102, T0).actions[0]).toMatchObject({ field: 'stop_loss', old: 103, new: 102 });
    expect(moveTakeProfit(pos, 92, T0).actions[0]).toMatchObject({ field: 'take_profit', old: 90, new: 92 });
    expect(moveStopLoss(pos, 103, T0).actions).toEqual([]);
  });

  it('after a manual stop move the next continuous tick acts as a gap, at its own price', () => {
    const pos = { ...open({ side: 'long', entry: 100, stopLoss: 95 }, st), lastPrice: 100 };
    const moved = moveStopLoss(pos, 102, T0).next;
    const r = evaluate(moved, { time: T0 + 1, price: 101, continuous: true }, st);
    expect(r.actions.filter((a) => a.type === 'close_all')).toEqual([{ type: 'close_all', reason: 'stop_loss', price: 101, qty: 1, time: T0 + 1 }]);
  });

  it('refuses a stop loss on the wrong side of the market', () => {
    const pos = open({ side: 'long', entry: 100 }, st);
    expect(checkStopLossPrice(pos, 101, 100.5)).toMatch(/below the current price/);
    expect(checkStopLossPrice(pos, 99, 100.5)).toBeNull();
  });
});
