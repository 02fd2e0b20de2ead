import type { Candle, MonitorSettings, PositionState, Tick } from '../types.ts';
import { liquidationLevel } from './liquidation.ts';
import { partialLevels } from './partial-tp.ts';
import { effectiveLiquidationPrice, priceAtProfit } from './state.ts';
import { trailingTpStop } from './take-profit.ts';
import { trailingActivationPrice, trailingCandidate } from './trailing.ts';

/**
 * Where evaluate() could next do anything to a position: it acts or changes the state (beyond
 * lastPrice) only on a tick below `low`, above `high`, or at or after `at`. Any tick from `low`
 * to `high` (both included) before `at` gives no action and the same state.
 * The monitor's index (engine/wake-index.ts) keeps positions ordered by these, so a tick
 * touches only the positions whose wake price it crossed.
 */
export interface Wake {
  /** a tick below it may act (−∞: none) */
  low: number;
  /** a tick above it may act (+∞: none) */
  high: number;
  /** ms since epoch from which a rule may act whatever the price (+∞: none) */
  at: number;
}

/** A closed position: nothing will ever happen to it. */
const NEVER: Wake = Object.freeze({ low: -Infinity, high: Infinity, at: Infinity });

/** Every tick may act (a stop-loss breach clock or a liquidation episode running, a stop about to move). */
const ALWAYS: Wake = Object.freeze({ low: Infinity, high: -Infinity, at: -Infinity });

/**
 * Relative margin by which every wake price is moved towards the position's quiet side: the
 * rules test "reached" with a tolerance of 1e-12 (trigger.ts LEVEL_EPS) and the activation with
 * 1e-9 percent; a thousand times more keeps the wake conservative against any rounding (a tick
 * within a billionth of a level is evaluated, and the rules decide).
 */
const SLACK = 1e-9;

/**
 * The wake prices of `s` under `settings`, read off the rules' own level functions (the stop
 * loss, take profit or armed trailing take profit, trailing activation / peak / stop, each
 * partial level not yet taken, the liquidation warn and close distances) and the time exit.
 * One pure function next to the rules: a rule that gains a level must add it here, and the
 * index property tests (test/domain/monitor/properties.test.ts) hold the two together.
 */
export function wakePrices(s: PositionState, settings: MonitorSettings): Wake {
  if (s.closed) return NEVER;
  // the clock of a stop-loss breach and a liquidation episode move on ticks on either side
  if (s.slBreachSince !== null || s.liquidationWarned) return ALWAYS;
  const long = s.side === 'long';
  const w = { low: -Infinity, high: Infinity, at: settings.maxHoldMs > 0 ? s.openedAt + settings.maxHoldMs : Infinity };
  if (s.stopLoss !== null) adverseLevel(w, long, s.stopLoss);
  if (s.tpTrailPeak !== null) {
    // beyond its best price the trail's peak moves; back by the deviation it closes
    bestPrice(w, long, s.tpTrailPeak);
    adverseLevel(w, long, trailingTpStop(s, settings.trailingTpDeviationPct));
  } else if (s.takeProfit !== null) {
    favourableLevel(w, long, s.takeProfit);
  }
  if (settings.trailingEnabled) {
    if (!s.trailingActive) {
      favourableLevel(w, long, trailingActivationPrice(s, settings.trailingActivationPct));
    } else {
      const peak = s.peak;
      const stop = s.trailingStop;
      if (peak === null || stop === null) return ALWAYS;
      // the distance was changed since the stop was set: the next tick tightens it
      const candidate = trailingCandidate(long, peak, settings.trailingDistancePct);
      if (long ? candidate > stop : candidate < stop) return ALWAYS;
      bestPrice(w, long, peak);
      adverseLevel(w, long, stop);
    }
  }
  const levels = partialLevels(s, settings);
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level !== undefined && s.partialTaken[i] !== true) favourableLevel(w, long, priceAtProfit(s.side, s.entry, level.targetPct));
  }
  const liq = effectiveLiquidationPrice(s, settings.maintenanceMarginRate);
  if (liq !== null) {
    adverseLevel(w, long, liquidationLevel(s.side, liq, settings.liquidationClosePct));
    adverseLevel(w, long, liquidationLevel(s.side, liq, settings.liquidationWarnPct));
  }
  // Math.max/min carry a NaN through: a broken level wakes the position on every tick
  if (Number.isNaN(w.low) || Number.isNaN(w.high)) return ALWAYS;
  return w;
}

/**
 * A level the rules test as "reached" (within their tolerance) when the price comes to it
 * against the position: a long's from above (a lower wake), a short's from below. Widened by SLACK.
 */
function adverseLevel(w: Wake, long: boolean, level: number): void {
  if (long) w.low = Math.max(w.low, level * (1 + SLACK));
  else w.high = Math.min(w.high, level * (1 - SLACK));
}

/** A level the rules test as "reached" when the price comes to it with the position. Widened by SLACK. */
function favourableLevel(w: Wake, long: boolean, level: number): void {
  if (long) w.high = Math.min(w.high, level * (1 - SLACK));
  else w.low = Math.max(w.low, level * (1 + SLACK));
}

/**
 * A best price the rules move only on a strictly better tick (long p > peak, short p < peak,
 * compared exactly): the wake is the price itself, and a tick at it stays quiet (a price that
 * sits on its high does not wake every trailing position on every tick).
 */
function bestPrice(w: Wake, long: boolean, peak: number): void {
  if (long) w.high = Math.min(w.high, peak);
  else w.low = Math.max(w.low, peak);
}

/** Whether a tick at `price`, `time` crosses a wake: evaluate() must see it. */
export function wakesAt(w: Wake, price: number, time: number): boolean {
  return price < w.low || price > w.high || time >= w.at;
}

/**
 * Fast path for backtests: false only when evaluate() on every tick of this candle (prices
 * within [low, high], all at candle.time) would yield no action and change nothing but
 * lastPrice, so the caller may skip the candle's ticks. The next candle's open tick is not
 * continuous, so the skipped lastPrice is never read.
 */
export function candleMayAct(s: PositionState, candle: Pick<Candle, 'low' | 'high' | 'time'>, settings: MonitorSettings): boolean {
  return candleWakes(wakePrices(s, settings), candle);
}

/** Whether ticks anywhere in [candle.low, candle.high] at candle.time cross the wake `w`. */
export function candleWakes(w: Wake, candle: Pick<Candle, 'low' | 'high' | 'time'>): boolean {
  return candle.low < w.low || candle.high > w.high || candle.time >= w.at;
}

/** Whether evaluate() could do anything on this tick (wakePrices, for one position). */
export function tickMayAct(s: PositionState, tick: Tick, settings: MonitorSettings): boolean {
  return wakesAt(wakePrices(s, settings), tick.price, tick.time);
}
