import { ADX, ATR } from 'trading-signals';
import type { Candle, Side } from './types.ts';

export type Regime = 'trending' | 'sideways' | 'volatile';

export interface RegimeReading {
  regime: Regime;
  /** ATR(14), Wilder smoothing, price units */
  atr: number;
  /** ADX(14), 0..100 */
  adx: number;
  /** ATR(7) / ATR(28): recent true range against the longer run */
  atrRatio: number;
}

/** Candles needed before a regime is read: ADX(14) needs 2·14 − 1; ATR(28) needs 28. */
export const REGIME_MIN_CANDLES = 28;
export const ADX_TRENDING = 25;
export const VOLATILE_ATR_RATIO = 1.5;

/**
 * Market regime from recent candles (oldest first), using trading-signals' ATR and ADX:
 *  - volatile  when ATR(7) ≥ 1.5 · ATR(28): true ranges have widened sharply of late
 *    (scale-free, so it works on any timeframe and any price level);
 *  - trending  else when ADX(14) ≥ 25 (Wilder's threshold for a directional market);
 *  - sideways  otherwise.
 * null when there are fewer than REGIME_MIN_CANDLES candles.
 */
export function detectRegime(candles: readonly Candle[]): RegimeReading | null {
  if (candles.length < REGIME_MIN_CANDLES) return null;
  const atr14 = new ATR(14);
  const atr7 = new ATR(7);
  const atr28 = new ATR(28);
  const adx = new ADX(14);
  for (const c of candles) {
    const hlc = { high: c.high, low: c.low, close: c.close };
    atr14.update(hlc, false);
    atr7.update(hlc, false);
    atr28.update(hlc, false);
    adx.update(hlc, false);
  }
  const atr = atr14.getResult();
  const short = atr7.getResult();
  const long = atr28.getResult();
  if (atr === null || short === null || long === null) return null;
  const adxValue = adx.getResult() ?? 0;
  const atrRatio = long > 0 ? short / long : 1;
  const regime: Regime =
    atrRatio >= VOLATILE_ATR_RATIO ? 'volatile' : adxValue >= ADX_TRENDING ? 'trending' : 'sideways';
  return { regime, atr, adx: adxValue, atrRatio };
}

/** Base multipliers: SL = ATR·kSl, TP = ATR·kTp·1.5 (seed §3.4). */
export const BASE_K_SL = 1.5;
export const BASE_K_TP = 2;

/**
 * Regime adjustment of k (seed: trending → SL tighter, TP wider; sideways → SL wider,
 * TP tighter; volatile → both wider).
 */
export const REGIME_K: Readonly<Record<Regime, { sl: number; tp: number }>> = {
  trending: { sl: 0.8, tp: 1.25 },
  sideways: { sl: 1.2, tp: 0.8 },
  volatile: { sl: 1.3, tp: 1.3 },
};

export type LevelSource = 'signal' | 'atr' | 'percent';

export interface SlTpInput {
  side: Side;
  entry: number;
  signalStopLoss: number | null;
  signalTakeProfit: number | null;
  /** recent candles, oldest first; fewer than REGIME_MIN_CANDLES → no ATR levels */
  candles: readonly Candle[];
  /** user's fallback, percent */
  stopLossPct: number;
  /** user's fallback, percent */
  takeProfitPct: number;
}

export interface SlTpResult {
  stopLoss: number;
  takeProfit: number;
  slSource: LevelSource;
  tpSource: LevelSource;
  regime: RegimeReading | null;
  /** |entry − stopLoss| / entry · 100, for sizing */
  stopLossPct: number;
}

/** A stop belongs below entry for a long and above for a short; a target the other way. */
export function isSaneStop(side: Side, entry: number, price: number | null): price is number {
  if (price === null || !Number.isFinite(price) || price <= 0) return false;
  return side === 'long' ? price < entry : price > entry;
}

export function isSaneTarget(side: Side, entry: number, price: number | null): price is number {
  if (price === null || !Number.isFinite(price) || price <= 0) return false;
  return side === 'long' ? price > entry : price < entry;
}

/**
 * SPEC §4 SL/TP, each level on its own: the signal's when sane; else ATR by regime
 * (SL = entry ∓ ATR·kSl, TP = entry ± ATR·kTp·1.5); else the user's percentages.
 */
export function computeSlTp(input: SlTpInput): SlTpResult {
  const { side, entry } = input;
  const dir = side === 'long' ? 1 : -1;
  const reading = detectRegime(input.candles);
  let atrSl: number | null = null;
  let atrTp: number | null = null;
  if (reading !== null && reading.atr > 0) {
    const k = REGIME_K[reading.regime];
    atrSl = entry - dir * reading.atr * BASE_K_SL * k.sl;
    atrTp = entry + dir * reading.atr * BASE_K_TP * k.tp * 1.5;
  }
  let stopLoss: number;
  let slSource: LevelSource;
  if (isSaneStop(side, entry, input.signalStopLoss)) {
    stopLoss = input.signalStopLoss;
    slSource = 'signal';
  } else if (isSaneStop(side, entry, atrSl)) {
    stopLoss = atrSl;
    slSource = 'atr';
  } else {
    stopLoss = entry * (1 - (dir * input.stopLossPct) / 100);
    slSource = 'percent';
  }
  let takeProfit: number;
  let tpSource: LevelSource;
  if (isSaneTarget(side, entry, input.signalTakeProfit)) {
    takeProfit = input.signalTakeProfit;
    tpSource = 'signal';
  } else if (isSaneTarget(side, entry, atrTp)) {
    takeProfit = atrTp;
    tpSource = 'atr';
  } else {
    takeProfit = entry * (1 + (dir * input.takeProfitPct) / 100);
    tpSource = 'percent';
  }
  return {
    stopLoss,
    takeProfit,
    slSource,
    tpSource,
    regime: reading,
    stopLossPct: (Math.abs(entry - stopLoss) / entry) * 100,
  };
}
