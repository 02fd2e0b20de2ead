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
 * The same question for any ticks at `time` whose prices (and, for continuous ticks, the moves
 * between them) stay within [low, high]. evaluate() uses it as its own fast path.
 */
export function rangeMayAct(s: PositionState, time: number, low: number, high: number, settings: MonitorSettings): boolean {
  // Runs for every open position on every tick, so the level arithmetic of profitPct,
  // priceAtProfit, trailingTpStop, effectiveLiquidationPrice and liquidationLevel is written
  // out here (same operations in the same order, so the same doubles): no boxed intermediate
  // numbers, no garbage on the quiet path. `adv(x, L)`: x ≤ L·(1+ε) for a long, x ≥ L·(1−ε)
  // for a short (trigger.ts reached() with adverse()); `fav` the other way round.
  if (s.closed) return false;
  if (settings.maxHoldMs > 0 && time - s.openedAt >= settings.maxHoldMs) return true;
  if (s.slBreachSince !== null || s.liquidationWarned) return true;
  const long = s.side === 'long';
  const best = long ? high : low;
  const worst = long ? low : high;
  const entry = s.entry;
  const stopLoss = s.stopLoss;
  if (stopLoss !== null && (long ? worst <= stopLoss * (1 + LEVEL_EPS) : worst >= stopLoss * (1 - LEVEL_EPS))) return true;
  const tpPeak = s.tpTrailPeak;
  if (tpPeak !== null) {
    if (long ? best > tpPeak : best < tpPeak) return true;
    const dev = settings.trailingTpDeviationPct;
    const tpStop = long ? tpPeak * (1 - dev / 100) : tpPeak * (1 + dev / 100);
    if (long ? worst <= tpStop * (1 + LEVEL_EPS) : worst >= tpStop * (1 - LEVEL_EPS)) return true;
  } else {
    const tp = s.takeProfit;
    if (tp !== null && (long ? best >= tp * (1 - LEVEL_EPS) : best <= tp * (1 + LEVEL_EPS))) return true;
  }
  if (settings.trailingEnabled) {
    if (!s.trailingActive) {
      const pct = long ? ((best - entry) / entry) * 100 : ((entry - best) / entry) * 100;
      if (pct >= settings.trailingActivationPct - 1e-9) return true;
    } else {
      const peak = s.peak;
      const stop = s.trailingStop;
      if (peak === null || stop === null) return true;
      if (long ? best > peak : best < peak) return true;
      const d = settings.trailingDistancePct / 100;
      const candidate = long ? peak * (1 - d) : peak * (1 + d);
      if (long ? candidate > stop : candidate < stop) return true;
      if (long ? worst <= stop * (1 + LEVEL_EPS) : worst >= stop * (1 - LEVEL_EPS)) return true;
    }
  }
  if (settings.partialTpEnabled) {
    const levels = settings.partialTpLevels;
    const taken = s.partialTaken;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level === undefined || taken[i] === true) continue;
      const pct = level.targetPct;
      const price = long ? entry * (1 + pct / 100) : entry * (1 - pct / 100);
      if (long ? best >= price * (1 - LEVEL_EPS) : best <= price * (1 + LEVEL_EPS)) return true;
    }
  }
  if (s.mode !== 'spot') {
    let liq: number;
    if (s.liquidationPrice != null) {
      liq = s.liquidationPrice;
    } else {
      const lev = Math.max(1, s.leverage);
      const mmr = settings.maintenanceMarginRate;
      liq = long ? entry * (1 - 1 / lev + mmr) : entry * (1 + 1 / lev - mmr);
    }
    const pct = Math.max(settings.liquidationWarnPct, settings.liquidationClosePct);
    if (long) {
      const level = pct >= 100 ? Infinity : liq / (1 - pct / 100);
      if (worst <= level * (1 + LEVEL_EPS)) return true;
    } else if (worst >= (liq / (1 + pct / 100)) * (1 - LEVEL_EPS)) {
      return true;
    }
  }
  return false;
}
