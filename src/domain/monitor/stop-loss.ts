import type { MonitorAction, PositionState } from '../types.ts';
import { adverse, atTickPrice, levelTrigger, reached, type TickContext, type Trigger } from './trigger.ts';

/**
 * Rule 1, stop loss: long p ≤ stopLoss, short p ≥ stopLoss → close all at the level.
 * With the SL-timeout option (slTimeoutMs > 0) a breach only starts a clock; the position
 * closes at the tick price on the first tick still in breach `slTimeoutMs` after the breach
 * began, and a tick back on the safe side forgets the breach. Mutates the draft's clock only.
 */
export function detectStopLoss(
  s: PositionState,
  ctx: TickContext,
  actions: MonitorAction[],
): Trigger | null {
  if (s.stopLoss === null) {
    s.slBreachSince = null;
    return null;
  }
  const dir = adverse(s);
  if (ctx.settings.slTimeoutMs <= 0) return levelTrigger(ctx, s.stopLoss, dir, 'stop_loss', 1);
  if (!reached(ctx.p, s.stopLoss, dir)) {
    s.slBreachSince = null;
    return null;
  }
  if (s.slBreachSince === null) {
    s.slBreachSince = ctx.time;
    actions.push({
      type: 'alert',
      event: 'stop_loss_breach_pending',
      severity: 'warning',
      price: ctx.p,
      time: ctx.time,
    });
    return null;
  }
  if (ctx.time - s.slBreachSince < ctx.settings.slTimeoutMs) return null;
  return atTickPrice(ctx, 'stop_loss', 1);
}
