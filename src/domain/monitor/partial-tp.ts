import type { MonitorAction, MonitorSettings, PartialTpLevel, PositionState } from '../types.ts';
import { DUST, priceAtProfit } from './state.ts';
import { favorable, levelTrigger, type TickContext, type Trigger } from './trigger.ts';

/**
 * The partial take-profit levels the rules apply to `s` (none when the option is off), in level
 * order: partialTaken[i] belongs to levels[i]. The one place the rules and the monitor's wake
 * prices (wake.ts) read them from, whatever set them.
 */
export function partialLevels(s: PositionState, settings: MonitorSettings): readonly PartialTpLevel[] {
  void s;
  return settings.partialTpEnabled ? settings.partialTpLevels : NO_LEVELS;
}

const NO_LEVELS: readonly PartialTpLevel[] = Object.freeze([]);

/**
 * Rule 4, partial take profit: every level not yet taken whose price entry·(1 ± target/100)
 * is reached fires; several can fire on one tick, in ascending order.
 */
export function detectPartials(s: PositionState, ctx: TickContext, out: Trigger[]): void {
  const levels = partialLevels(s, ctx.settings);
  const dir = favorable(s);
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === undefined || s.partialTaken[i] === true) continue;
    // sub = level index (applyPartial reads it)
    const t = levelTrigger(ctx, priceAtProfit(s.side, s.entry, level.targetPct), dir, 'partial', 4, i);
    if (t === null) break; // levels ascend: a later one cannot be reached if this one is not
    out.push(t);
  }
}

/**
 * Sells `fraction` of what remains at that moment and marks the level taken. With the
 * breakeven option the first partial moves the stop loss to entry (only ever tightening).
 * Invariant: the sold quantity never exceeds the holding; qty never goes negative.
 */
export function applyPartial(
  s: PositionState,
  t: Trigger,
  ctx: TickContext,
  actions: MonitorAction[],
): void {
  const i = t.index ?? t.sub;
  const level = partialLevels(s, ctx.settings)[i];
  if (level === undefined) return;
  let firstPartial = true;
  for (let k = 0; k < s.partialTaken.length; k++) {
    if (s.partialTaken[k] === true) {
      firstPartial = false;
      break;
    }
  }
  const taken = s.partialTaken.slice();
  taken[i] = true;
  s.partialTaken = taken;
  const qty = Math.min(s.qty, s.qty * level.fraction);
  s.qty = s.qty - qty;
  if (s.qty <= s.qtyInitial * DUST) {
    s.qty = 0;
    s.closed = true;
  }
  actions.push({
    type: 'partial',
    reason: 'partial_tp',
    level: i,
    targetPct: level.targetPct,
    fraction: level.fraction,
    qty,
    price: t.fill,
    time: ctx.time,
  });
  if (firstPartial && ctx.settings.breakevenAfterFirstPartial && !s.closed) {
    const old = s.stopLoss;
    const tighter = old === null || (s.side === 'long' ? old < s.entry : old > s.entry);
    if (tighter) {
      s.stopLoss = s.entry;
      actions.push({
        type: 'reevaluation',
        field: 'stop_loss',
        old,
        new: s.entry,
        reason: 'breakeven_after_partial',
        time: ctx.time,
      });
    }
  }
}
