/**
 * SPEC §9: a signal's targets on its position. Up to three targets before the last become the
 * position's partial take-profit levels, splitting it evenly over what remains (with k partial
 * levels each sells 1/(k+1) of the first quantity: 1/(k+1), then 1/k of what remains, …); the
 * last target is the take profit, which closes the rest. Pure.
 */
import type { PartialTpLevel, Side } from './types.ts';
import { profitPct } from './monitor/state.ts';

export const MAX_PARTIAL_TARGETS = 3;

export interface TargetPlan {
  /** price (quote per base) and the fraction of the REMAINING quantity sold there */
  partials: Array<{ price: number; fraction: number }>;
  /** the last target; null without targets */
  takeProfit: number | null;
  /** targets between the third partial level and the last, not used */
  unused: number[];
}

/** `targets` in the order the price reaches them */
export function planTargets(targets: readonly number[]): TargetPlan {
  if (targets.length === 0) return { partials: [], takeProfit: null, unused: [] };
  const takeProfit = targets[targets.length - 1]!;
  const before = targets.slice(0, -1);
  const chosen = before.slice(0, MAX_PARTIAL_TARGETS);
  const k = chosen.length;
  return {
    partials: chosen.map((price, i) => ({ price, fraction: 1 / (k + 1 - i) })),
    takeProfit,
    unused: before.slice(MAX_PARTIAL_TARGETS),
  };
}

/**
 * The monitor's percent levels for prices, from the position's entry (the fill): the level price
 * entry·(1 ± pct/100) is the target again (to float noise, within the monitor's LEVEL_EPS).
 * A target the fill already passed gets a level at or below 0 %: it is taken at the first tick.
 */
export function levelsFromPrices(side: Side, entry: number, partials: ReadonlyArray<{ price: number; fraction: number }>): PartialTpLevel[] {
  return partials.map((p) => ({ targetPct: profitPct({ side, entry }, p.price), fraction: p.fraction }));
}
