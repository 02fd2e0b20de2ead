import type { MonitorAction, PositionState } from '../types.ts';
import { profitPct } from './state.ts';
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
    // 1e-9 percent of slack: a price exactly at the activation level activates
    if (profitPct(s, p) < st.trailingActivationPct - 1e-9) return;
    s.trailingActive = true;
    s.peak = p;
    activated = true;
  } else if (s.peak === null || (s.side === 'long' ? p > s.peak : p < s.peak)) {
    s.peak = p;
  }
  const peak = s.peak ?? p;
  const candidate =
    s.side === 'long' ? peak * (1 - st.trailingDistancePct / 100) : peak * (1 + st.trailingDistancePct / 100);
  const old = s.trailingStop;
  const next =
    old === null ? candidate : s.side === 'long' ? Math.max(old, candidate) : Math.min(old, candidate);
  if (next === old) return;
  s.trailingStop = next;
  actions.push({
    type: 'reevaluation',
    field: 'trailing_stop',
    old,
    new: next,
    reason: activated ? 'trailing_activated' : 'trailing_peak',
    time: ctx.time,
  });
  if (activated) {
    actions.push({ type: 'alert', event: 'trailing_activated', severity: 'info', price: p, time: ctx.time });
  }
}

/** Rule 3, second half: p at or beyond the trailing stop → close all, trailing_stop. */
export function detectTrailingStop(s: PositionState, ctx: TickContext): Trigger | null {
  if (!ctx.settings.trailingEnabled || !s.trailingActive || s.trailingStop === null) return null;
  return levelTrigger(ctx, s.trailingStop, adverse(s), 'trailing_stop', 3);
}
