import type { MonitorSettings, PositionState } from '../types.ts';

/** What one tick looks like to the rules. */
export interface TickContext {
  /** start of the move: previous tick price (= p when the tick is not continuous) */
  prev: number;
  /** tick price */
  p: number;
  /** ms since epoch */
  time: number;
  /** the market traded through every price from prev to p */
  continuous: boolean;
  settings: MonitorSettings;
}

export type TriggerKind =
  | 'stop_loss'
  | 'take_profit'
  | 'trailing_tp'
  | 'trailing_stop'
  | 'partial'
  | 'time_exit'
  | 'liq_close'
  | 'liq_warn';

/** A rule that fires on this tick, with the price it fills at and where on the move it fires. */
export interface Trigger {
  kind: TriggerKind;
  /** SPEC §6 rule number 1–6: the order of equal levels */
  rule: number;
  /** order within a rule (partial level index; liquidation close before warning) */
  sub: number;
  fill: number;
  /** distance along the move from prev to the fill; 0 for non-continuous ticks */
  pos: number;
  /** partial level index */
  index?: number;
}

/** 'down': fires when price ≤ level; 'up': fires when price ≥ level. */
export type Direction = 'down' | 'up';

/** Adverse moves are down for a long and up for a short. */
export function adverse(state: Pick<PositionState, 'side'>): Direction {
  return state.side === 'long' ? 'down' : 'up';
}

export function favorable(state: Pick<PositionState, 'side'>): Direction {
  return state.side === 'long' ? 'up' : 'down';
}

/**
 * Relative tolerance for "at the level": prices computed as entry·(1 ± pct/100) carry float
 * noise (102 000 · 0.99 is not exactly 100 980 in binary), and a tick exactly at a level
 * must trigger it.
 */
export const LEVEL_EPS = 1e-12;

export function reached(price: number, level: number, dir: Direction): boolean {
  return dir === 'down' ? price <= level * (1 + LEVEL_EPS) : price >= level * (1 - LEVEL_EPS);
}

/**
 * A level-triggered rule that fires at p: on a continuous move it fills at the first price of
 * the path prev → p that satisfies it (the level itself, or prev if prev was already beyond);
 * on a non-continuous tick at p. null when p does not reach the level.
 */
export function levelTrigger(
  ctx: TickContext,
  level: number,
  dir: Direction,
  kind: TriggerKind,
  rule: number,
  sub = 0,
): Trigger | null {
  if (!reached(ctx.p, level, dir)) return null;
  if (!ctx.continuous) return { kind, rule, sub, fill: ctx.p, pos: 0 };
  const fill = reached(ctx.prev, level, dir) ? ctx.prev : level;
  return { kind, rule, sub, fill, pos: Math.abs(fill - ctx.prev) };
}

/** A rule that acts at the tick price (end of the move). */
export function atTickPrice(ctx: TickContext, kind: TriggerKind, rule: number): Trigger {
  return { kind, rule, sub: 0, fill: ctx.p, pos: ctx.continuous ? Math.abs(ctx.p - ctx.prev) : 0 };
}

export function byPathThenRule(a: Trigger, b: Trigger): number {
  return a.pos - b.pos || a.rule - b.rule || a.sub - b.sub;
}
