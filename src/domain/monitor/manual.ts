import type { MonitorAction, MonitorResult, PositionState } from '../types.ts';
import { cloneState, DUST } from './state.ts';

/**
 * Helpers for the trader's buttons (Close, Close 50 %, SL → breakeven, Adjust SL/TP).
 * Pure like evaluate(): the input is not mutated; a closed position yields no action.
 * `time` is ms since epoch (the caller's clock); it only stamps the actions.
 * Moving a level by hand forgets lastPrice: the price the last move started from may lie
 * beyond the new level, so the next tick is taken as a gap (it acts at its own price).
 */

/** Close `fraction` (0 < fraction ≤ 1) of the remaining quantity at `price` (a full close may carry reason signal_reverse). */
export function applyManualClose(
  state: PositionState,
  fraction: number,
  price: number,
  time = 0,
  reason: 'manual' | 'signal_reverse' = 'manual',
): MonitorResult {
  if (state.closed || !(fraction > 0)) return { next: state, actions: [] };
  const next: PositionState = cloneState(state);
  const qty = Math.min(state.qty, state.qty * Math.min(1, fraction));
  const rest = state.qty - qty;
  if (fraction >= 1 || rest <= state.qtyInitial * DUST) {
    next.qty = 0;
    next.closed = true;
    return { next, actions: [{ type: 'close_all', reason, price, qty: state.qty, time }] };
  }
  next.qty = rest;
  return { next, actions: [{ type: 'reduce', reason: 'manual', fraction, qty, price, time }] };
}

/** Set the stop loss to `price` (null removes it). Range checks against the market are the caller's. */
export function moveStopLoss(state: PositionState, price: number | null, time = 0): MonitorResult {
  return moveLevel(state, 'stop_loss', price, time);
}

/** Set the take profit to `price` (null removes it); disarms a trailing take profit. */
export function moveTakeProfit(state: PositionState, price: number | null, time = 0): MonitorResult {
  return moveLevel(state, 'take_profit', price, time);
}

/** A level moved by hand: the reevaluation row, and the level's own running state reset (a breach clock, a trailing take profit). */
function moveLevel(state: PositionState, field: 'stop_loss' | 'take_profit', price: number | null, time: number): MonitorResult {
  const old = field === 'stop_loss' ? state.stopLoss : state.takeProfit;
  if (state.closed || old === price) return { next: state, actions: [] };
  const action: MonitorAction = { type: 'reevaluation', field, old, new: price, reason: field === 'stop_loss' ? 'manual_stop_loss' : 'manual_take_profit', time };
  const next = cloneState(state);
  if (field === 'stop_loss') {
    next.stopLoss = price;
    next.slBreachSince = null;
  } else {
    next.takeProfit = price;
    next.tpTrailPeak = null;
  }
  next.lastPrice = null;
  return { next, actions: [action] };
}

/**
 * Stop loss → entry. Only ever tightens: a stop already at or beyond entry on the profit side
 * is left alone (no action).
 */
export function stopToBreakeven(state: PositionState, time = 0): MonitorResult {
  if (state.closed) return { next: state, actions: [] };
  const old = state.stopLoss;
  const tightens = old === null || (state.side === 'long' ? old < state.entry : old > state.entry);
  if (!tightens) return { next: state, actions: [] };
  const action: MonitorAction = {
    type: 'reevaluation',
    field: 'stop_loss',
    old,
    new: state.entry,
    reason: 'manual_breakeven',
    time,
  };
  const next = cloneState(state);
  next.stopLoss = state.entry;
  next.slBreachSince = null;
  next.lastPrice = null;
  return { next, actions: [action] };
}

/**
 * Why a manual stop-loss price is refused, or null when fine: it must be positive and on the
 * loss side of the current price (below for a long, above for a short).
 */
export function checkStopLossPrice(state: PositionState, price: number, currentPrice: number): string | null {
  if (!(price > 0) || !Number.isFinite(price)) return 'stop loss must be a positive price';
  if (state.side === 'long' && price >= currentPrice) return `stop loss must be below the current price ${currentPrice}`;
  if (state.side === 'short' && price <= currentPrice) return `stop loss must be above the current price ${currentPrice}`;
  return null;
}

/** Why a manual take-profit price is refused, or null: on the profit side of the current price. */
export function checkTakeProfitPrice(state: PositionState, price: number, currentPrice: number): string | null {
  if (!(price > 0) || !Number.isFinite(price)) return 'take profit must be a positive price';
  if (state.side === 'long' && price <= currentPrice) return `take profit must be above the current price ${currentPrice}`;
  if (state.side === 'short' && price >= currentPrice) return `take profit must be below the current price ${currentPrice}`;
  return null;
}
