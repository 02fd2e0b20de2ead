import type { Candle, MonitorSettings, PositionState } from '../types.ts';
import { liquidationLevel } from './liquidation.ts';
import { effectiveLiquidationPrice, priceAtProfit, profitPct } from './state.ts';
import { trailingTpStop } from './take-profit.ts';
import { adverse, favorable, reached } from './trigger.ts';

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
 * The same question for any ticks at `time` whose prices (and, for continuous ticks, the moves
 * between them) stay within [low, high]. evaluate() uses it as its own fast path.
 */
export function rangeMayAct(s: PositionState, time: number, low: number, high: number, settings: MonitorSettings): boolean {
  if (s.closed) return false;
  if (settings.maxHoldMs > 0 && time - s.openedAt >= settings.maxHoldMs) return true;
  if (s.slBreachSince !== null || s.liquidationWarned) return true;
  const long = s.side === 'long';
  const best = long ? high : low;
  const worst = long ? low : high;
  const down = adverse(s);
  const up = favorable(s);
  if (s.stopLoss !== null && reached(worst, s.stopLoss, down)) return true;
  if (s.tpTrailPeak !== null) {
    if (long ? best > s.tpTrailPeak : best < s.tpTrailPeak) return true;
    if (reached(worst, trailingTpStop(s, settings.trailingTpDeviationPct), down)) return true;
  } else if (s.takeProfit !== null && reached(best, s.takeProfit, up)) {
    return true;
  }
  if (settings.trailingEnabled) {
    if (!s.trailingActive) {
      if (profitPct(s, best) >= settings.trailingActivationPct - 1e-9) return true;
    } else {
      if (s.peak === null || s.trailingStop === null) return true;
      if (long ? best > s.peak : best < s.peak) return true;
      const d = settings.trailingDistancePct / 100;
      const candidate = long ? s.peak * (1 - d) : s.peak * (1 + d);
      if (long ? candidate > s.trailingStop : candidate < s.trailingStop) return true;
      if (reached(worst, s.trailingStop, down)) return true;
    }
  }
  if (settings.partialTpEnabled) {
    const levels = settings.partialTpLevels;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level === undefined || s.partialTaken[i] === true) continue;
      if (reached(best, priceAtProfit(s.side, s.entry, level.targetPct), up)) return true;
    }
  }
  const liq = effectiveLiquidationPrice(s, settings.maintenanceMarginRate);
  if (liq !== null) {
    const pct = Math.max(settings.liquidationWarnPct, settings.liquidationClosePct);
    if (reached(worst, liquidationLevel(s.side, liq, pct), down)) return true;
  }
  return false;
}
