import type { Candle, Tick } from './types.ts';

/**
 * SPEC §6 "Backtest ticks": one OHLC candle → four ticks, TradingView's broker-emulator path.
 * If `high − open ≤ open − low` the price is assumed to go open → high → low → close
 * (the nearer extreme first), else open → low → high → close.
 * All four ticks carry the candle's open time. The open is not continuous (a gap from the
 * previous close); the other three are (the market traded through every price in between).
 *
 * `prevClose` is accepted for callers that track it; the open tick is non-continuous whatever
 * its value, so a gap between the previous close and this open fills at the open.
 */
export function candleToTicks(candle: Candle, prevClose?: number): [Tick, Tick, Tick, Tick] {
  void prevClose;
  const [a, b] = candlePathExtremes(candle);
  const t = candle.time;
  return [
    { time: t, price: candle.open, continuous: false },
    { time: t, price: a, continuous: true },
    { time: t, price: b, continuous: true },
    { time: t, price: candle.close, continuous: true },
  ];
}

/** The two middle prices of the candle path, in path order. */
export function candlePathExtremes(candle: Candle): [number, number] {
  return candle.high - candle.open <= candle.open - candle.low
    ? [candle.high, candle.low]
    : [candle.low, candle.high];
}

/**
 * Aggregates candles (oldest first) into buckets of `intervalMs` aligned to the epoch
 * (1 h buckets start on the hour): open of the first, max high, min low, close of the last,
 * summed volume; bucket time = bucket start. A partial last bucket is kept.
 */
export function resampleCandles(candles: readonly Candle[], intervalMs: number): Candle[] {
  const out: Candle[] = [];
  let cur: Candle | null = null;
  for (const c of candles) {
    const start = Math.floor(c.time / intervalMs) * intervalMs;
    if (cur !== null && cur.time === start) {
      if (c.high > cur.high) cur.high = c.high;
      if (c.low < cur.low) cur.low = c.low;
      cur.close = c.close;
      cur.volume += c.volume;
    } else {
      cur = { time: start, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
      out.push(cur);
    }
  }
  return out;
}
