/**
 * The council's members (SPEC §9): each a pure function of closed candles (oldest first, hourly in
 * the engine) returning a vote. Indicators come from trading-signals (maintained, TypeScript,
 * streaming: one pass over the candles per indicator).
 *
 * Every member needs COUNCIL_MIN_CANDLES candles and says HOLD ("needs … candles") with fewer.
 */
import { ADX, ATR, BollingerBands, EMA, MACD, RSI } from 'trading-signals';
import type { Candle } from '../types.ts';
import { detectRegime } from '../sltp.ts';

export type VoteAction = 'BUY' | 'SELL' | 'HOLD';

export interface Vote {
  member: string;
  action: VoteAction;
  /** 0..1: how sure the member is of its action (a HOLD's confidence is how sure it is to stand aside) */
  confidence: number;
  /** one line, with the numbers the vote was read from */
  reason: string;
}

export type Member = (candles: readonly Candle[]) => Vote;

/** MACD(12, 26, 9) is the slowest indicator a member reads: 26 + 9 − 1 candles; one more for safety */
export const COUNCIL_MIN_CANDLES = 35;

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round2 = (x: number) => Math.round(x * 100) / 100;
const fmt = (x: number, digits = 2) => x.toFixed(digits);

function notEnough(member: string, candles: readonly Candle[]): Vote | null {
  if (candles.length >= COUNCIL_MIN_CANDLES) return null;
  return { member, action: 'HOLD', confidence: 0, reason: `needs ${COUNCIL_MIN_CANDLES} closed candles, has ${candles.length}` };
}

function atrOf(candles: readonly Candle[], period = 14): number {
  const atr = new ATR(period);
  for (const c of candles) atr.update({ high: c.high, low: c.low, close: c.close }, false);
  return atr.getResult() ?? 0;
}

/** ATR units of EMA spread below which the trend member calls the market flat */
export const TREND_FLAT_ATR = 0.25;

/**
 * Trend: EMA(12) against EMA(26) of the closes, the spread measured in ATR(14) units so it reads
 * the same on any price level. Spread above +0.25 ATR → BUY, below −0.25 → SELL, else HOLD.
 * Confidence 0.4 + 0.25 per ATR of spread, at most 0.9.
 */
export const trendMember: Member = (candles) => {
  const short = notEnough('trend', candles);
  if (short) return short;
  const fast = new EMA(12);
  const slow = new EMA(26);
  for (const c of candles) {
    fast.update(c.close, false);
    slow.update(c.close, false);
  }
  const f = fast.getResultOrThrow();
  const s = slow.getResultOrThrow();
  const atr = atrOf(candles);
  const spread = atr > 0 ? (f - s) / atr : 0;
  const line = `EMA12 ${spread >= 0 ? 'above' : 'below'} EMA26 by ${fmt(Math.abs(spread))} ATR`;
  if (Math.abs(spread) < TREND_FLAT_ATR) return { member: 'trend', action: 'HOLD', confidence: round2(1 - Math.abs(spread) / TREND_FLAT_ATR), reason: `${line}: flat` };
  return { member: 'trend', action: spread > 0 ? 'BUY' : 'SELL', confidence: round2(clamp(0.4 + 0.25 * Math.abs(spread), 0, 0.9)), reason: line };
};

/**
 * Momentum: RSI(14) with the MACD(12, 26, 9) histogram. RSI above 55 with a positive histogram →
 * BUY; below 45 with a negative one → SELL; anything else (they disagree, or RSI near 50) → HOLD.
 * Confidence 0.4 + |RSI − 50| / 50, at most 0.9.
 */
export const momentumMember: Member = (candles) => {
  const short = notEnough('momentum', candles);
  if (short) return short;
  const rsi = new RSI(14);
  const macd = new MACD(new EMA(12), new EMA(26), new EMA(9));
  for (const c of candles) {
    rsi.update(c.close, false);
    macd.update(c.close, false);
  }
  const r = rsi.getResult() ?? 50;
  const h = macd.getResult()?.histogram ?? 0;
  const line = `RSI ${fmt(r, 1)}, MACD histogram ${h >= 0 ? '+' : ''}${fmt(h, Math.abs(h) < 1 ? 4 : 2)}`;
  const confidence = round2(clamp(0.4 + Math.abs(r - 50) / 50, 0, 0.9));
  if (r > 55 && h > 0) return { member: 'momentum', action: 'BUY', confidence, reason: line };
  if (r < 45 && h < 0) return { member: 'momentum', action: 'SELL', confidence, reason: line };
  return { member: 'momentum', action: 'HOLD', confidence: 0.5, reason: `${line}: no momentum` };
};

/**
 * Mean reversion: where the last close sits in the Bollinger Bands (20, 2σ), as %b (0 = lower
 * band, 1 = upper). %b ≤ 0.05 → BUY (stretched down), ≥ 0.95 → SELL (stretched up), else HOLD.
 * Confidence 0.5 + how far past the 0.05/0.95 mark, at most 0.9.
 */
export const meanReversionMember: Member = (candles) => {
  const short = notEnough('mean reversion', candles);
  if (short) return short;
  const bands = new BollingerBands(20, 2);
  for (const c of candles) bands.update(c.close, false);
  const b = bands.getResult();
  const close = (candles[candles.length - 1] as Candle).close;
  const width = b ? b.upper - b.lower : 0;
  const pctB = b && width > 0 ? (close - b.lower) / width : 0.5;
  const line = `close at %b ${fmt(pctB)} of the Bollinger Bands (20, 2σ)`;
  if (pctB <= 0.05) return { member: 'mean reversion', action: 'BUY', confidence: round2(clamp(0.5 + (0.05 - pctB), 0, 0.9)), reason: `${line}: stretched down` };
  if (pctB >= 0.95) return { member: 'mean reversion', action: 'SELL', confidence: round2(clamp(0.5 + (pctB - 0.95), 0, 0.9)), reason: `${line}: stretched up` };
  return { member: 'mean reversion', action: 'HOLD', confidence: round2(1 - Math.abs(pctB - 0.5)), reason: `${line}: inside` };
};

/**
 * Regime / volatility: the same regime SL/TP reads (src/domain/sltp.ts: ATR(7)/ATR(28) and ADX(14)).
 * Volatile → HOLD (stand aside, confidence 0.8); trending → the side of the stronger directional
 * index (+DI above −DI → BUY), confidence ADX / 50 within 0.4..0.9; sideways → HOLD.
 */
export const regimeMember: Member = (candles) => {
  const short = notEnough('regime', candles);
  if (short) return short;
  const reading = detectRegime(candles);
  if (reading === null) return { member: 'regime', action: 'HOLD', confidence: 0, reason: 'no regime reading' };
  const adx = new ADX(14);
  for (const c of candles) adx.update({ high: c.high, low: c.low, close: c.close }, false);
  const pdi = Number(adx.pdi ?? 0);
  const mdi = Number(adx.mdi ?? 0);
  const line = `${reading.regime}: ADX ${fmt(reading.adx, 1)}, ATR7/ATR28 ${fmt(reading.atrRatio)}`;
  if (reading.regime === 'volatile') return { member: 'regime', action: 'HOLD', confidence: 0.8, reason: `${line}: stand aside` };
  if (reading.regime === 'sideways') return { member: 'regime', action: 'HOLD', confidence: 0.5, reason: `${line}: no trend` };
  const action: VoteAction = pdi > mdi ? 'BUY' : pdi < mdi ? 'SELL' : 'HOLD';
  return { member: 'regime', action, confidence: round2(clamp(reading.adx / 50, 0.4, 0.9)), reason: `${line}, +DI ${fmt(pdi * 100, 1)} ${pdi >= mdi ? '>' : '<'} −DI ${fmt(mdi * 100, 1)}` };
};

export const COUNCIL_MEMBERS: readonly Member[] = [trendMember, momentumMember, meanReversionMember, regimeMember];
