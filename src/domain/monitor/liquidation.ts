import type { MonitorAction, PositionState } from '../types.ts';
import { DUST, effectiveLiquidationPrice, liquidationDistancePct } from './state.ts';
import { adverse, levelTrigger, reached, type TickContext, type Trigger } from './trigger.ts';

/**
 * The price at which the distance to liquidation |p − L|/p·100 equals `pct`, on the safe
 * side of L: long p = L / (1 − pct/100), short p = L / (1 + pct/100). A price at or beyond it
 * (towards L, or past L) counts as within `pct`.
 */
export function liquidationLevel(side: PositionState['side'], liq: number, pct: number): number {
  if (side === 'long') return pct >= 100 ? Infinity : liq / (1 - pct / 100);
  return liq / (1 + pct / 100);
}

/**
 * Rule 6 (margin/futures): within liquidationClosePct → close all (critical alert); within
 * liquidationWarnPct → warning alert and reduce by liquidationReduceFraction, once per
 * episode. Appends to `out`; the close first, so that on a non-continuous tick the close wins.
 */
export function detectLiquidation(s: PositionState, ctx: TickContext, out: Trigger[]): void {
  const liq = effectiveLiquidationPrice(s, ctx.settings.maintenanceMarginRate);
  if (liq === null) return;
  const dir = adverse(s);
  const close = levelTrigger(ctx, liquidationLevel(s.side, liq, ctx.settings.liquidationClosePct), dir, 'liq_close', 6, 0);
  if (close !== null) out.push(close);
  if (s.liquidationWarned) return;
  const warn = levelTrigger(ctx, liquidationLevel(s.side, liq, ctx.settings.liquidationWarnPct), dir, 'liq_warn', 6, 1);
  if (warn !== null) out.push(warn);
}

export function applyLiquidationWarning(
  s: PositionState,
  t: Trigger,
  ctx: TickContext,
  actions: MonitorAction[],
): void {
  if (s.liquidationWarned) return;
  s.liquidationWarned = true;
  const liq = effectiveLiquidationPrice(s, ctx.settings.maintenanceMarginRate) ?? t.fill;
  actions.push({
    type: 'alert',
    event: 'liquidation_warning',
    severity: 'warning',
    price: t.fill,
    time: ctx.time,
    distancePct: liquidationDistancePct(t.fill, liq),
  });
  const fraction = ctx.settings.liquidationReduceFraction;
  if (fraction <= 0) return;
  const qty = Math.min(s.qty, s.qty * fraction);
  s.qty -= qty;
  if (s.qty <= s.qtyInitial * DUST) {
    s.qty = 0;
    s.closed = true;
  }
  actions.push({ type: 'reduce', reason: 'liquidation_protection', fraction, qty, price: t.fill, time: ctx.time });
}

/** A new episode starts only after the distance has risen above the warning distance again. */
export function rearmLiquidation(s: PositionState, ctx: TickContext): void {
  if (!s.liquidationWarned) return;
  const liq = effectiveLiquidationPrice(s, ctx.settings.maintenanceMarginRate);
  if (liq === null) return;
  if (!levelReachedAt(s, liq, ctx.p, ctx.settings.liquidationWarnPct)) s.liquidationWarned = false;
}

function levelReachedAt(s: PositionState, liq: number, p: number, pct: number): boolean {
  return reached(p, liquidationLevel(s.side, liq, pct), adverse(s));
}
