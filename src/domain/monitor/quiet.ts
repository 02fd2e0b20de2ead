import type { Candle, MonitorSettings, PositionState } from '../types.ts';
import { LEVEL_EPS } from './trigger.ts';

/**
 * Fast path for backtests: false only when evaluate() on every tick of this candle (prices
 * within [low, high], time = candle.time) would yield no action and change nothing but
 * lastPrice — so the caller may skip the candle's ticks. The next candle's open tick is not
 * continuous, so the skipped lastPrice is never read. Conservative: true whenever any rule
 * could fire or any tracked value (peak, trailing stop, breach clock, episode) could move.
 */
export function candleMayAct(s: PositionState, candle: Candle, settings: MonitorSettings): boolean {
  return rangeMayAct(s, candle.time, candle.low, candle.high, settings);
}

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

/**
 * The same question for any ticks at `time` whose prices (and, for continuous ticks, the moves
 * between them) stay within [low, high]. evaluate() uses it as its own fast path.
 */
export function rangeMayAct(s: PositionState, time: number, low: number, high: number, settings: MonitorSettings): boolean {
  // Runs for every open position on every tick (most of the monitor's time): no allocation,
  // no division on a spot position's path, each field read once. `adv(x, L)`: x ≤ L·UP for a
  // long, x ≥ L·DOWN for a short; `fav` the other way round (trigger.ts reached(), widened).
  if (s.closed) return false;
  if (settings.maxHoldMs > 0 && time - s.openedAt >= settings.maxHoldMs) return true;
  if (s.slBreachSince !== null || s.liquidationWarned) return true;
  const long = s.side === 'long';
  const best = long ? high : low;
  const worst = long ? low : high;
  const entry = s.entry;
  const stopLoss = s.stopLoss;
  if (stopLoss !== null && (long ? worst <= stopLoss * UP : worst >= stopLoss * DOWN)) return true;
  const tpPeak = s.tpTrailPeak;
  if (tpPeak !== null) {
    if (long ? best > tpPeak : best < tpPeak) return true;
    const dev = settings.trailingTpDeviationPct * 0.01;
    if (long ? worst <= tpPeak * (1 - dev) * UP : worst >= tpPeak * (1 + dev) * DOWN) return true;
  } else {
    const tp = s.takeProfit;
    if (tp !== null && (long ? best >= tp * DOWN : best <= tp * UP)) return true;
  }
  if (settings.trailingEnabled) {
    if (!s.trailingActive) {
      // profitPct(best) ≥ activation − 1e-9 (trailing.ts), as a price
      const activation = (settings.trailingActivationPct - 1e-9) * 0.01;
      if (long ? best >= entry * (1 + activation) * DOWN : best <= entry * (1 - activation) * UP) return true;
    } else {
      const peak = s.peak;
      const stop = s.trailingStop;
      if (peak === null || stop === null) return true;
      if (long ? best > peak : best < peak) return true;
      // whether the stop would move is decided with the rule's own arithmetic (trailing.ts): a
      // stop set from this very peak equals the candidate, and any slack would call that a move
      const d = settings.trailingDistancePct / 100;
      const candidate = long ? peak * (1 - d) : peak * (1 + d);
      if (long ? candidate > stop : candidate < stop) return true;
      if (long ? worst <= stop * UP : worst >= stop * DOWN) return true;
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
      if (long ? best < entry * (1 + pct) * DOWN : best > entry * (1 - pct) * UP) break;
      if (s.partialTaken[i] !== true) return true;
    }
  }
  if (s.mode !== 'spot') {
    // within pct of the liquidation price L (liquidation.ts): long worst ≤ L/(1 − pct/100),
    // short worst ≥ L/(1 + pct/100), both multiplied out
    let liq: number;
    if (s.liquidationPrice != null) {
      liq = s.liquidationPrice;
    } else {
      const lev = Math.max(1, s.leverage);
      const mmr = settings.maintenanceMarginRate;
      liq = long ? entry * (1 - 1 / lev + mmr) : entry * (1 + 1 / lev - mmr);
    }
    const pct = Math.max(settings.liquidationWarnPct, settings.liquidationClosePct) * 0.01;
    if (long ? pct >= 1 || worst * (1 - pct) <= liq * UP : worst * (1 + pct) >= liq * DOWN) return true;
  }
  return false;
}
