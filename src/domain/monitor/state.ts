import type { ExitReason, Mode, MonitorAction, MonitorResult, MonitorSettings, PositionState, Side, Tick } from '../types.ts';

/** Profit in percent of entry at price p: long (p − entry)/entry·100, short (entry − p)/entry·100. */
export function profitPct(state: Pick<PositionState, 'side' | 'entry'>, price: number): number {
  return state.side === 'long'
    ? ((price - state.entry) / state.entry) * 100
    : ((state.entry - price) / state.entry) * 100;
}

/** Quantities below this fraction of the initial quantity count as nothing left (float dust). */
export const DUST = 1e-12;

/** Price at which the position shows `pct` percent profit (negative pct = loss). */
export function priceAtProfit(side: Side, entry: number, pct: number): number {
  return side === 'long' ? entry * (1 + pct / 100) : entry * (1 - pct / 100);
}

/**
 * Liquidation price used by the monitor: the exchange's when known, else an estimate for
 * isolated margin: long entry·(1 − 1/leverage + mmr), short entry·(1 + 1/leverage − mmr).
 * null on spot (no liquidation).
 */
export function effectiveLiquidationPrice(
  state: Pick<PositionState, 'mode' | 'side' | 'entry' | 'leverage' | 'liquidationPrice'>,
  maintenanceMarginRate: number,
): number | null {
  if (state.mode === 'spot') return null;
  if (state.liquidationPrice != null) return state.liquidationPrice;
  const lev = Math.max(1, state.leverage);
  return state.side === 'long'
    ? state.entry * (1 - 1 / lev + maintenanceMarginRate)
    : state.entry * (1 + 1 / lev - maintenanceMarginRate);
}

/** Percent distance from price to the liquidation price, |p − L| / p · 100. */
export function liquidationDistancePct(price: number, liquidationPrice: number): number {
  return (Math.abs(price - liquidationPrice) / price) * 100;
}

export interface OpenPositionInput {
  side: Side;
  entry: number;
  qty: number;
  stopLoss: number | null;
  takeProfit: number | null;
  /** ms since epoch */
  openedAt: number;
  mode: Mode;
  /** default 1 */
  leverage?: number;
  liquidationPrice?: number | null;
}

/** A fresh monitor state for a just-filled position. */
export function openPosition(
  input: OpenPositionInput,
  settings: Pick<MonitorSettings, 'partialTpLevels'>,
): PositionState {
  return cloneState({
    side: input.side,
    entry: input.entry,
    qtyInitial: input.qty,
    qty: input.qty,
    stopLoss: input.stopLoss,
    takeProfit: input.takeProfit,
    trailingActive: false,
    peak: null,
    trailingStop: null,
    partialTaken: settings.partialTpLevels.map(() => false),
    openedAt: input.openedAt,
    leverage: input.mode === 'spot' ? 1 : (input.leverage ?? 1),
    mode: input.mode,
    liquidationPrice: input.liquidationPrice ?? null,
    lastPrice: input.entry,
    liquidationWarned: false,
    slBreachSince: null,
    tpTrailPeak: null,
    closed: false,
  });
}

/**
 * The states the monitor makes (cloneState, openPosition, evaluate()): PositionState's fields,
 * written in one fixed order so that every state shares one hidden class (a spread of
 * differently-built objects makes V8's property access megamorphic: ~10× slower on the
 * 10 000-position hot path). The fields the quiet test reads come first.
 *
 * It also carries, privately, quiet.ts's memo: the prices and time within which the position
 * is quiet under one settings object. The memo is invisible to spreads, JSON and equality. It
 * holds while the state does: a state the monitor has evaluated is a value, never changed in
 * place (a change is a new state, cloneState()).
 */
export class MonitorState implements PositionState, MonitorResult {
  // The memo, written by remember(): under #settings, a tick before minute #untilMinute at a
  // price strictly between #low and #high is quiet (#fromInside: so is a continuous move from
  // lastPrice). The bounds are float32 bit patterns (below) and the time is in whole minutes:
  // small integers V8 keeps in the object itself, so the quiet test reads one cache line per
  // position and follows no pointer.
  #settings: MonitorSettings | null = null;
  #low = 0;
  #high = 0;
  #untilMinute = 0;
  #fromInside = false;
  declare closed: boolean;
  declare side: Side;
  declare mode: Mode;
  declare trailingActive: boolean;
  declare slBreachSince: number | null;
  declare liquidationWarned: boolean;
  declare tpTrailPeak: number | null;
  declare stopLoss: number | null;
  declare takeProfit: number | null;
  declare entry: number;
  declare openedAt: number;
  declare peak: number | null;
  declare trailingStop: number | null;
  declare partialTaken: boolean[];
  declare liquidationPrice: number | null;
  declare leverage: number;
  declare qty: number;
  declare qtyInitial: number;
  declare lastPrice: number | null;

  constructor(s: PositionState, lastPrice: number | null) {
    this.closed = s.closed;
    this.side = s.side;
    this.mode = s.mode;
    this.trailingActive = s.trailingActive;
    this.slBreachSince = s.slBreachSince;
    this.liquidationWarned = s.liquidationWarned;
    this.tpTrailPeak = s.tpTrailPeak;
    this.stopLoss = s.stopLoss;
    this.takeProfit = s.takeProfit;
    this.entry = s.entry;
    this.openedAt = s.openedAt;
    this.peak = s.peak;
    this.trailingStop = s.trailingStop;
    this.partialTaken = s.partialTaken;
    this.liquidationPrice = s.liquidationPrice ?? null;
    this.leverage = s.leverage;
    this.qty = s.qty;
    this.qtyInitial = s.qtyInitial;
    this.lastPrice = lastPrice;
  }

  /**
   * evaluate()'s answer (the same state, no action) when the memo for `settings` knows `tick`
   * is quiet; null when it does not: no memo for these settings, or a price at or beyond a bound.
   */
  static quietAt(s: PositionState, tick: Tick, settings: MonitorSettings): MonitorResult | null {
    if (!(#settings in s) || s.#settings !== settings) return null;
    const p = tick.price;
    // p's float32 neighbours, from one rounding: p > 0 lies between them
    f32[0] = p;
    const bits = i32[0] as number;
    const rounded = f32[0] as number;
    const below = rounded > p ? bits - 1 : bits;
    const above = rounded < p ? bits + 1 : bits;
    if (below > s.#low && above < s.#high && p > 0 && tick.time < s.#untilMinute * MINUTE && (s.#fromInside || !tick.continuous)) return s;
    return null;
  }

  /** `s` as its own quiet result when it is a MonitorState; null for a plain object. */
  static asResult(s: PositionState): MonitorResult | null {
    return #settings in s ? s : null;
  }

  /** A state made here whose memo is for other settings (or none yet). */
  static unlearned(s: PositionState, settings: MonitorSettings): s is MonitorState {
    return #settings in s && s.#settings !== settings;
  }

  /**
   * Keeps the memo for `settings`: prices strictly between `low` and `high` (≥ 0) are quiet
   * before `until` (quiet.ts works them out). Each bound is rounded inwards to a float32 and
   * quietAt() rounds the price outwards (either alone would be exact): the memo narrows by at
   * most two ten-millionths, and a price that close to a level is decided by classifyRange().
   * `until` is rounded down to the minute: a time exit is handed back up to a minute early.
   */
  static remember(s: MonitorState, settings: MonitorSettings, low: number, high: number, until: number): void {
    s.#settings = settings;
    s.#low = floatBitsAbove(low);
    s.#high = floatBitsBelow(high);
    s.#untilMinute = until === Infinity ? NO_TIME_EXIT : Math.floor(until / MINUTE);
    const last = s.lastPrice;
    s.#fromInside = last !== null && last > 0 && floatBitsBelow(last) > s.#low && floatBitsAbove(last) < s.#high;
  }

  /**
   * A quiet tick's result is the state itself, read as a MonitorResult: next is the state, and
   * there is no action. Ten thousand quiet positions a tick cost no result object (they would be
   * half of a quiet book's garbage). Prototype getters: not own properties, so spreads, JSON
   * and equality see the state's fields only.
   */
  get next(): PositionState {
    return this;
  }

  get actions(): readonly MonitorAction[] {
    return NO_ACTIONS;
  }
}

/*
 * Float32 bit patterns as order-keeping integers: for numbers ≥ 0 (and +∞) the IEEE 754 bit
 * patterns order as the numbers do, and they fit a 32-bit integer. floatBitsBelow(x) is the
 * pattern of the greatest float32 ≤ x, floatBitsAbove(x) of the least float32 ≥ x, so
 * floatBitsBelow(p) > floatBitsAbove(low) implies p > low, and floatBitsAbove(p) <
 * floatBitsBelow(high) implies p < high. (NaN's pattern lies above +∞'s: never below a bound.)
 */
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

const MINUTE = 60_000;
/** #untilMinute without a time exit: the largest 32-bit integer, some four thousand years */
const NO_TIME_EXIT = 0x7fffffff;

function floatBitsBelow(x: number): number {
  f32[0] = x;
  const bits = i32[0] as number;
  return (f32[0] as number) > x ? bits - 1 : bits;
}

function floatBitsAbove(x: number): number {
  f32[0] = x;
  const bits = i32[0] as number;
  return (f32[0] as number) < x ? bits + 1 : bits;
}

/** The actions of every quiet tick: one frozen list instead of ten thousand empty ones per tick. */
export const NO_ACTIONS: readonly MonitorAction[] = Object.freeze([]);

/** A copy as a MonitorState (one hidden class, room for the quiet memo), lastPrice optionally replaced. */
export function cloneState(s: PositionState, lastPrice: number | null = s.lastPrice): PositionState {
  return new MonitorState(s, lastPrice);
}

/** Closes what remains; afterwards qty is 0 and the state is closed. */
export function closeAll(
  s: PositionState,
  reason: ExitReason,
  price: number,
  time: number,
  actions: MonitorAction[],
): void {
  actions.push({ type: 'close_all', reason, price, qty: s.qty, time });
  s.qty = 0;
  s.closed = true;
}
