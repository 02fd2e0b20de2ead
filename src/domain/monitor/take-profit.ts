import type { MonitorAction, PositionState } from '../types.ts';
import { adverse, favorable, levelTrigger, type TickContext, type Trigger } from './trigger.ts';

/**
 * Rule 2, take profit: long p ≥ takeProfit, short p ≤ takeProfit → close all at the level.
 * Trailing-TP option: reaching the take profit arms a trail instead (best price since then,
 * `tpTrailPeak`); the position closes, reason take_profit, when the price retraces
 * `trailingTpDeviationPct` % from that best price.
 */
export function detectTakeProfit(s: PositionState, ctx: TickContext): Trigger | null {
  if (s.tpTrailPeak !== null) {
    return levelTrigger(ctx, trailingTpStop(s, ctx.settings.trailingTpDeviationPct), adverse(s), 'trailing_tp', 2);
  }
  if (s.takeProfit === null) return null;
  return levelTrigger(ctx, s.takeProfit, favorable(s), 'take_profit', 2);
}

/** The price at which an armed trailing take profit closes. */
export function trailingTpStop(s: PositionState, deviationPct: number): number {
  const peak = s.tpTrailPeak ?? s.entry;
  return s.side === 'long' ? peak * (1 - deviationPct / 100) : peak * (1 + deviationPct / 100);
}

/** Keeps the best price since the trailing take profit was armed; called before levels are checked. */
export function updateTrailingTpPeak(s: PositionState, p: number): void {
  if (s.tpTrailPeak === null) return;
  if (s.side === 'long' ? p > s.tpTrailPeak : p < s.tpTrailPeak) s.tpTrailPeak = p;
}

/** Arms the trailing take profit at the tick's best price (the move's end on a favourable move). */
export function armTrailingTp(s: PositionState, ctx: TickContext, actions: MonitorAction[]): void {
  const best = s.side === 'long' ? Math.max(ctx.p, s.takeProfit ?? ctx.p) : Math.min(ctx.p, s.takeProfit ?? ctx.p);
  s.tpTrailPeak = best;
  actions.push({ type: 'alert', event: 'trailing_tp_armed', severity: 'info', price: ctx.p, time: ctx.time });
}
