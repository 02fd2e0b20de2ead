import type { PositionState } from '../types.ts';
import { atTickPrice, type TickContext, type Trigger } from './trigger.ts';

/** Rule 5, time exit: t − openedAt ≥ maxHold → close all at the tick price. maxHoldMs 0 = off. */
export function detectTimeExit(s: PositionState, ctx: TickContext): Trigger | null {
  const max = ctx.settings.maxHoldMs;
  if (max <= 0 || ctx.time - s.openedAt < max) return null;
  return atTickPrice(ctx, 'time_exit', 5);
}
