/**
 * The council over recorded candles, as the live engine runs it (SPEC §9): every `minutes` it
 * votes on the hourly candles closed by then (the last REGIME_HISTORY of them, the same window the
 * live candle source gives), and a row is written unless it would repeat the symbol's last HOLD.
 * Pure: `npm run council` writes these rows as a signals CSV for the backtest.
 */
import type { Candle } from '../types.ts';
import { REGIME_INTERVAL_MS, regimeSeries, regimeWindow } from '../volatility.ts';
import { convene, type Verdict } from './council.ts';

export interface CouncilRow {
  /** ms since epoch */
  createdAt: number;
  verdict: Verdict;
}

/**
 * A HOLD right after a HOLD says nothing new (and would fill /signals every few minutes): it is
 * not stored. Every BUY and SELL is, so a position the monitor closed is re-entered at the next
 * run while the council still agrees.
 */
export function worthStoring(previous: Verdict['action'] | null, next: Verdict['action']): boolean {
  return !(next === 'HOLD' && previous === 'HOLD');
}

export function councilOverCandles(candles: readonly Candle[], minutes: number): CouncilRow[] {
  const first = candles[0];
  const last = candles[candles.length - 1];
  if (first === undefined || last === undefined) return [];
  const series = regimeSeries(candles);
  const step = minutes * 60_000;
  const interval = series === candles && candles.length > 1 ? (candles[1] as Candle).time - first.time : REGIME_INTERVAL_MS;
  const rows: CouncilRow[] = [];
  let previous: Verdict['action'] | null = null;
  // runs on the clock's multiples of `minutes`, up to the last candle's open (a row after it would never enter)
  for (let t = Math.ceil(first.time / step) * step; t <= last.time; t += step) {
    const window = regimeWindow(series, t, interval);
    if (window.length === 0) continue;
    const verdict = convene(window);
    if (!worthStoring(previous, verdict.action)) continue;
    previous = verdict.action;
    rows.push({ createdAt: t, verdict });
  }
  return rows;
}
