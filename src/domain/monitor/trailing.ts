import type { MonitorAction, PositionState } from '../types.ts';
import { priceAtProfit, profitPct } from './state.ts';
import { adverse, levelTrigger, type TickContext, type Trigger } from './trigger.ts';

/**
 * Rule 3, first half (runs before any level is checked): activation at
 * profitPct(p) ≥ activation sets peak = p; while active a better p moves the peak; then
 * trailingStop = peak·(1 − d/100) for a long, peak·(1 + d/100) for a short.
 * Invariant: the trailing stop never loosens (long: only rises; short: only falls).
 * Each change of the trailing stop is reported as a reevaluation.
 */
export function updateTrailing(s: PositionState, ctx: TickContext, actions: MonitorAction[]): void {
  const st = ctx.settings;
  if (!st.trailingEnabled) return;
  const p = ctx.p;
  let activated = false;
  if (!s.trailingActive) {
    if (profitPct(s, p) < st.trailingActivationPct - ACTIVATION_SLACK_PCT) return;
    s.trailingActive = true;
    s.peak = p;
    activated = true;
  } else if (s.peak === null || (s.side === 'long' ? p > s.peak : p < s.peak)) {
    s.peak = p;
  }
  const moved = followPeak(s, s.peak ?? p, st.trailingDistancePct, activated ? 'trailing_activated' : 'trailing_peak', ctx.time);
  if (moved === null) return;
  actions.push(moved);
  if (activated) {
    actions.push({ type: 'alert', event: 'trailing_activated', severity: 'info', price: p, time: ctx.time });
  }
}

/** Percent of slack on the activation: a price exactly at the activation level activates. */
const ACTIVATION_SLACK_PCT = 1e-9;

/** The lowest price (long; a short's highest) that activates the trailing stop. */
export function trailingActivationPrice(s: Pick<PositionState, 'side' | 'entry'>, activationPct: number): number {
  return priceAtProfit(s.side, s.entry, activationPct - ACTIVATION_SLACK_PCT);
}

/** The trailing stop a peak calls for: long peak·(1 − d/100), short peak·(1 + d/100). */
export function trailingCandidate(long: boolean, peak: number, distancePct: number): number {
  return long ? peak * (1 - distancePct / 100) : peak * (1 + distancePct / 100);
}

/**
 * The stop follows `peak` (trailingCandidate), never loosening (long: only up, short: only
 * down). Sets it on `s` and returns the reevaluation to report, or null when it stays.
 */
function followPeak(
  s: PositionState,
  peak: number,
  distancePct: number,
  reason: 'trailing_activated' | 'trailing_peak',
  time: number,
): MonitorAction | null {
  const candidate = trailingCandidate(s.side === 'long', peak, distancePct);
  const old = s.trailingStop;
  const next = old === null ? candidate : s.side === 'long' ? Math.max(old, candidate) : Math.min(old, candidate);
  if (next === old) return null;
  s.trailingStop = next;
  return { type: 'reevaluation', field: 'trailing_stop', old, new: next, reason, time };
}

/** Rule 3, second half: p at or beyond the trailing stop → close all, trailing_stop. */
export function detectTrailingStop(s: PositionState, ctx: TickContext): Trigger | null {
  if (!ctx.settings.trailingEnabled || !s.trailingActive || s.trailingStop === null) return null;
  return levelTrigger(ctx, s.trailingStop, adverse(s), 'trailing_stop', 3);
}
