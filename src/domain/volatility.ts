/**
 * Volatility and the regime window, shared by the live engine and the backtest so both read a
 * market the same way. Pure.
 */
import { resampleCandles } from './candles.ts';
import { realizedVolatility } from './signals.ts';
import type { Candle } from './types.ts';

/**
 * SL/TP levels read the regime and ATR on hourly candles: an ATR of one-minute candles would
 * put the stop inside the next minute's noise. The engine resamples each symbol once.
 */
export const REGIME_INTERVAL_MS = 3_600_000;
export const REGIME_HISTORY = 60;

/** The symbol's candles as hourly candles (unchanged when they already are ≥ 1 h). */
export function regimeSeries(candles: readonly Candle[]): readonly Candle[] {
  const a = candles[0];
  const b = candles[1];
  if (a === undefined || b === undefined || b.time - a.time >= REGIME_INTERVAL_MS) return candles;
  return resampleCandles(candles, REGIME_INTERVAL_MS);
}

/** The last REGIME_HISTORY regime candles that closed at or before `time` (no look-ahead). */
export function regimeWindow(series: readonly Candle[], time: number, intervalMs = REGIME_INTERVAL_MS): readonly Candle[] {
  let lo = 0;
  let hi = series.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((series[mid] as Candle).time + intervalMs <= time) lo = mid + 1;
    else hi = mid;
  }
  return series.slice(Math.max(0, lo - REGIME_HISTORY), lo);
}

const VOL_CANDLES = 60;
const DAY_MS = 86_400_000;

/**
 * Realized volatility of the last 60 closes scaled to one day (× √(candles per day)), so the
 * seed's 0.02 threshold and the confidence threshold read the same on any timeframe.
 */
export function dailyVolatility(candles: readonly Candle[], index: number): number {
  const from = Math.max(0, index - VOL_CANDLES);
  if (index - from < 3) return 0;
  const closes: number[] = [];
  for (let i = from; i < index; i++) closes.push((candles[i] as Candle).close);
  const interval = ((candles[index - 1] as Candle).time - (candles[from] as Candle).time) / (index - 1 - from);
  return realizedVolatility(closes) * Math.sqrt(interval > 0 ? DAY_MS / interval : 1);
}

