import type { Candle, MonitorAction, MonitorResult, MonitorSettings, PositionState, Tick } from '../types.ts';
import { cloneState, closeAll, effectiveLiquidationPrice, MonitorState, NO_ACTIONS } from './state.ts';
import { adverse, reached } from './trigger.ts';
import { trailingCandidate } from './trailing.ts';

/**
 * Fast path for backtests: false only when evaluate() on every tick of this candle (prices
 * within [low, high], time = candle.time) would yield no action and change nothing but
 * lastPrice — so the caller may skip the candle's ticks. The next candle's open tick is not
 * continuous, so the skipped lastPrice is never read. Conservative: true whenever any rule
 * could fire or any tracked value (peak, trailing stop, breach clock, episode) could move.
 */
export function candleMayAct(s: PositionState, candle: Candle, settings: MonitorSettings): boolean {
  return classifyRange(s, candle, settings) !== QUIET;
}

/** Nothing can fire or move: the state stays as it is. */
export const QUIET = 0;
/**
 * Only an active trailing stop's peak moves (and with it, maybe, the stop); no level is
 * reached and no other rule can fire. evaluate() takes trailing.ts movePeak() for it.
 */
export const TRAILING_PEAK = 1;
/** Some rule may fire or some tracked value may move: the full rules decide. */
export const MAY_ACT = 2;
export type RangeClass = typeof QUIET | typeof TRAILING_PEAK | typeof MAY_ACT;

/**
 * Whether evaluate() could do anything on this tick: false means it would return the same
 * state and no action, so a monitor pass over many positions may skip the call (and the
 * result object it returns). A closed position or a broken price (NaN, 0, negative) never acts.
 */
export function tickMayAct(s: PositionState, tick: Tick, settings: MonitorSettings): boolean {
  if (quietByMemo(s, tick, settings) !== null) return false;
  if (classifyTick(s, tick, settings) !== QUIET) return true;
  quietResult(s, settings);
  return false;
}

/**
 * evaluate()'s first question. TRAILING_PEAK only when the tick's price is the best of its
 * move (a continuous move that ends below its start is left to the full rules).
 */
export function classifyTick(s: PositionState, tick: Tick, settings: MonitorSettings): RangeClass {
  const p = tick.price;
  if (s.closed || !(p > 0) || !Number.isFinite(p)) return QUIET;
  // a quiet tick keeps the older lastPrice (evaluate.ts says why that is exact)
  const from = tick.continuous && s.lastPrice !== null ? s.lastPrice : p;
  tickRange.time = tick.time;
  tickRange.low = from < p ? from : p;
  tickRange.high = from < p ? p : from;
  const move = classifyRange(s, tickRange, settings);
  if (move === TRAILING_PEAK && (s.side === 'long' ? p < from : p > from)) return MAY_ACT;
  return move;
}

/**
 * evaluate()'s answer when the tick is quiet by the state's memo: the state itself, read as a
 * result (no action, no garbage). The memo is what the quiet test comes to under one settings
 * object (a position meets the same levels on every tick until its state changes): the ticks
 * before the time exit whose price lies strictly between two bounds. Two comparisons instead of
 * classifyRange()'s dozen reads and side-dependent branches. Narrower than classifyRange(),
 * never wider. null when the memo does not know: a price on or beyond a bound, no memo for
 * these settings yet (see quietResult), or a plain object (no memo at all).
 */
export function quietByMemo(s: PositionState, tick: Tick, settings: MonitorSettings): MonitorResult | null {
  return MonitorState.quietAt(s, tick, settings);
}

/**
 * evaluate()'s answer once classifyTick() has found the tick quiet. A state made by cloneState()
 * learns its memo here, the first time it is quiet under these settings: a state that acts on
 * every tick (a trailing peak in a trend) never pays for one. It is then its own result; a plain
 * object gets a new one.
 */
export function quietResult(s: PositionState, settings: MonitorSettings): MonitorResult {
  if (!MonitorState.unlearned(s, settings)) return MonitorState.asResult(s) ?? { next: s, actions: NO_ACTIONS };
  const bounds = quietBounds(s, settings);
  let low = Infinity;
  let high = -Infinity;
  if (bounds !== null) {
    low = Math.max(0, bounds.low * (1 + INSIDE));
    high = bounds.high * (1 - INSIDE);
  }
  // a whole millisecond before classifyRange()'s time exit, whatever the rounding of a sum
  const until = settings.maxHoldMs > 0 ? s.openedAt + settings.maxHoldMs - 1 : Infinity;
  MonitorState.remember(s, settings, low, high, until);
  return s;
}

/**
 * A relative margin by which the memo's bounds sit inside classifyRange()'s widened levels, so
 * that the memo's own roundings (a division for the liquidation bound) never let through a
 * price classifyRange() would send on.
 */
const INSIDE = 1e-12;

/**
 * The prices at which classifyRange() finds `s` quiet, as one open interval: each level it
 * tests, widened as it widens them, bounds the quiet prices from one side (for a long, the
 * adverse levels from below and the favourable ones from above; a short mirrors it). null when
 * no price is quiet (a breach clock or a liquidation episode running, a stop about to move).
 */
function quietBounds(s: PositionState, settings: MonitorSettings): { low: number; high: number } | null {
  if (s.slBreachSince !== null || s.liquidationWarned) return null;
  const long = s.side === 'long';
  const entry = s.entry;
  // the nearest level on each side of the price: adverse (a long's highest, a short's lowest)
  // and favourable (a long's lowest, a short's highest); none yet = the far end
  let adverse = long ? 0 : Infinity;
  let favourable = long ? Infinity : 0;
  if (s.stopLoss !== null) adverse = long ? Math.max(adverse, s.stopLoss) : Math.min(adverse, s.stopLoss);
  const tpPeak = s.tpTrailPeak;
  if (tpPeak !== null) {
    // beyond tpPeak the trailing take profit's peak moves; at (1 ∓ deviation) it closes
    favourable = long ? Math.min(favourable, tpPeak) : Math.max(favourable, tpPeak);
    const dev = settings.trailingTpDeviationPct * 0.01;
    adverse = long ? Math.max(adverse, tpPeak * (1 - dev)) : Math.min(adverse, tpPeak * (1 + dev));
  } else if (s.takeProfit !== null) {
    favourable = long ? Math.min(favourable, s.takeProfit) : Math.max(favourable, s.takeProfit);
  }
  if (settings.trailingEnabled) {
    if (!s.trailingActive) {
      const activation = (settings.trailingActivationPct - 1e-9) * 0.01;
      favourable = long ? Math.min(favourable, entry * (1 + activation)) : Math.max(favourable, entry * (1 - activation));
    } else {
      const peak = s.peak;
      const stop = s.trailingStop;
      if (peak === null || stop === null) return null;
      const candidate = trailingCandidate(long, peak, settings.trailingDistancePct);
      if (long ? candidate > stop : candidate < stop) return null;
      adverse = long ? Math.max(adverse, stop) : Math.min(adverse, stop);
      // beyond the peak the peak moves (TRAILING_PEAK)
      favourable = long ? Math.min(favourable, peak) : Math.max(favourable, peak);
    }
  }
  if (settings.partialTpEnabled) {
    const levels = settings.partialTpLevels;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level === undefined || s.partialTaken[i] === true) continue;
      const pct = level.targetPct * 0.01;
      favourable = long ? Math.min(favourable, entry * (1 + pct)) : Math.max(favourable, entry * (1 - pct));
    }
  }
  // widened as classifyRange() widens them: a lower bound by UP, an upper one by DOWN
  let low = long ? adverse * UP : favourable * UP;
  let high = long ? favourable * DOWN : adverse * DOWN;
  if (s.mode !== 'spot') {
    // classifyRange(): long worst·(1 − pct) ≤ L·UP, short worst·(1 + pct) ≥ L·DOWN
    const liq = effectiveLiquidationPrice(s, settings.maintenanceMarginRate) as number; // not spot: never null
    const pct = Math.max(settings.liquidationWarnPct, settings.liquidationClosePct) * 0.01;
    if (long) {
      if (pct >= 1) return null;
      low = Math.max(low, (liq * UP) / (1 - pct));
    } else {
      high = Math.min(high, (liq * DOWN) / (1 + pct));
    }
  }
  return { low, high };
}

/** Prices from `low` to `high` (and the moves between them) at `time`: a tick's move, or a candle. */
export interface PriceRange {
  time: number;
  low: number;
  high: number;
}

/**
 * classifyTick()'s range, written in place on every call. V8 boxes a number passed to a function
 * it does not inline, afresh on each call: three arguments were 48 bytes of garbage per position
 * per tick, half of a quiet book's allocation. A field updated in place boxes nothing. Safe: the
 * call that writes it reads it before it returns, and nothing else runs in between.
 */
const tickRange: PriceRange = { time: 0.5, low: 0.5, high: 0.5 };

/**
 * Relative slack of the fast path's level tests. The rules compute levels with divisions
 * (entry·(1 + pct/100)); the fast path multiplies by a hundredth instead, which can differ
 * from the rules' double in the last bits. Widening every test by 1e-9 (a thousand times the
 * rules' own LEVEL_EPS, far above that rounding) keeps the fast path conservative: it may send
 * a price within a billionth of a level to the full rules, never the other way round.
 */
const SLACK = 1e-9;
const UP = 1 + SLACK;
const DOWN = 1 - SLACK;

/** x may have reached `level` moving against the position: long x ≤ level·UP, short x ≥ level·DOWN */
function adverseMay(long: boolean, x: number, level: number): boolean {
  return long ? x <= level * UP : x >= level * DOWN;
}

/** x may have reached `level` moving for the position: long x ≥ level·DOWN, short x ≤ level·UP */
function favourableMay(long: boolean, x: number, level: number): boolean {
  return long ? x >= level * DOWN : x <= level * UP;
}

/**
 * The same question for any ticks at `time` whose prices (and, for continuous ticks, the moves
 * between them) stay within [low, high], with one more answer: TRAILING_PEAK when the range
 * only carries an active trailing stop's peak further. evaluate() uses it as its fast path.
 */
export function classifyRange(s: PositionState, range: PriceRange, settings: MonitorSettings): RangeClass {
  // Runs for every open position on every tick (most of the monitor's time): no allocation,
  // no division on a spot position's path, each field read once; level tests are trigger.ts
  // reached(), widened (adverseMay, favourableMay).
  if (s.closed) return QUIET;
  if (settings.maxHoldMs > 0 && range.time - s.openedAt >= settings.maxHoldMs) return MAY_ACT;
  if (s.slBreachSince !== null || s.liquidationWarned) return MAY_ACT;
  const long = s.side === 'long';
  const best = long ? range.high : range.low;
  const worst = long ? range.low : range.high;
  const entry = s.entry;
  let peakMoves = false;
  const stopLoss = s.stopLoss;
  if (stopLoss !== null && adverseMay(long, worst, stopLoss)) return MAY_ACT;
  const tpPeak = s.tpTrailPeak;
  if (tpPeak !== null) {
    if (long ? best > tpPeak : best < tpPeak) return MAY_ACT;
    const dev = settings.trailingTpDeviationPct * 0.01;
    if (adverseMay(long, worst, long ? tpPeak * (1 - dev) : tpPeak * (1 + dev))) return MAY_ACT;
  } else {
    const tp = s.takeProfit;
    if (tp !== null && favourableMay(long, best, tp)) return MAY_ACT;
  }
  if (settings.trailingEnabled) {
    if (!s.trailingActive) {
      // profitPct(best) ≥ activation − 1e-9 (trailing.ts), as a price
      const activation = (settings.trailingActivationPct - 1e-9) * 0.01;
      if (favourableMay(long, best, long ? entry * (1 + activation) : entry * (1 - activation))) return MAY_ACT;
    } else {
      const peak = s.peak;
      const stop = s.trailingStop;
      if (peak === null || stop === null) return MAY_ACT;
      peakMoves = long ? best > peak : best < peak;
      // whether the stop would move with the peak as it is (the distance was changed) is
      // decided with the rule's own arithmetic: a stop set from this very peak equals the
      // candidate, and any slack would call that a move
      const candidate = trailingCandidate(long, peak, settings.trailingDistancePct);
      if (long ? candidate > stop : candidate < stop) return MAY_ACT;
      if (adverseMay(long, worst, stop)) return MAY_ACT;
    }
  }
  if (settings.partialTpEnabled) {
    // levels ascend (settings validation), so the first level `best` does not reach ends the
    // search; the taken flags are read only for levels that are reached
    const levels = settings.partialTpLevels;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level === undefined) break;
      const pct = level.targetPct * 0.01;
      if (!favourableMay(long, best, long ? entry * (1 + pct) : entry * (1 - pct))) break;
      if (s.partialTaken[i] !== true) return MAY_ACT;
    }
  }
  if (s.mode !== 'spot') {
    // within pct of the liquidation price L (liquidation.ts): long worst ≤ L/(1 − pct/100),
    // short worst ≥ L/(1 + pct/100), both multiplied out
    const liq = effectiveLiquidationPrice(s, settings.maintenanceMarginRate) as number; // not spot: never null
    const pct = Math.max(settings.liquidationWarnPct, settings.liquidationClosePct) * 0.01;
    if (long ? pct >= 1 || worst * (1 - pct) <= liq * UP : worst * (1 + pct) >= liq * DOWN) return MAY_ACT;
  }
  return peakMoves ? TRAILING_PEAK : QUIET;
}

/**
 * The other crowd of a busy tick: a reversal that hits thousands of trailing stops at once. On a
 * live (non-continuous) tick at p, an active trailing stop that p reaches closes the position at
 * p unless the stop loss (rule 1) or the take profit (rule 2) fires first; later rules never act
 * (the close ends the tick), and the stop cannot move on a move against the position. So when
 * neither earlier rule can fire and the stop would not first tighten (its distance unchanged),
 * the result is known without the full rules: the same close_all they give. null otherwise.
 */
export function trailingStopAlone(s: PositionState, tick: Tick, settings: MonitorSettings): MonitorResult | null {
  if (tick.continuous && s.lastPrice !== null) return null;
  const stop = s.trailingStop;
  const peak = s.peak;
  if (!settings.trailingEnabled || !s.trailingActive || stop === null || peak === null) return null;
  if (s.tpTrailPeak !== null || s.slBreachSince !== null || s.closed) return null;
  const long = s.side === 'long';
  const p = tick.price;
  // reached exactly as the rule decides it
  if (!reached(p, stop, adverse(s))) return null;
  const candidate = trailingCandidate(long, peak, settings.trailingDistancePct);
  if (long ? candidate > stop || p > peak : candidate < stop || p < peak) return null;
  // rules 1 and 2 must be out of reach, by the widened tests
  if (s.stopLoss !== null && adverseMay(long, p, s.stopLoss)) return null;
  if (s.takeProfit !== null && favourableMay(long, p, s.takeProfit)) return null;
  const next = cloneState(s, p);
  const actions: MonitorAction[] = [];
  closeAll(next, 'trailing_stop', p, tick.time, actions);
  return { next, actions };
}
