import type { Mode } from './types.ts';

/**
 * Position sizing (SPEC §4, seed §4.2 and §7.2). Amounts are quote currency (USD); the result's
 * `notional` is the position's value (exposure), `margin` what it locks at the given leverage.
 */

export interface TradeHistory {
  closedTrades: number;
  /** 0..1 */
  winRate: number;
  /** average winning trade, quote currency, > 0 */
  avgWin: number;
  /** average losing trade as a positive number, quote currency */
  avgLoss: number;
}

export interface SizingInput {
  /** free balance, quote currency */
  balance: number;
  /** percent of balance risked, 2 = 2 % */
  riskPerTradePct: number;
  /** distance from entry to the stop loss, percent of entry (2 = 2 %) */
  stopLossPct: number;
  /** realized volatility, fraction (0.02 = 2 %) */
  volatility: number;
  /** 0..1 */
  confidence: number;
  /** cap on the position's notional, quote currency */
  maxPosition: number;
  /** default 1; only margin/futures use it */
  leverage?: number;
  mode?: Mode;
  /** the user's closed trades; half-Kelly caps the size when closedTrades > 20 */
  history?: TradeHistory | null;
}

export interface SizingResult {
  /** position value, quote currency */
  notional: number;
  /** margin locked = notional / leverage (spot: = notional) */
  margin: number;
  leverage: number;
  /** the seed's steps, for the trade record and the user's /signals view */
  steps: {
    riskAmount: number;
    positionFromSl: number;
    volMultiplier: number;
    afterConfidence: number;
    kellyCap: number | null;
  };
  /** which cap bound the size, if any: 'max_position' | 'balance_25pct' | 'half_kelly' */
  cappedBy: string | null;
}

/** The seed's Kelly fraction f* = (p·W − (1 − p)·L) / W. p=0.55, W=100, L=80 → 0.19. */
export function kellyFraction(winRate: number, avgWin: number, avgLoss: number): number {
  if (!(avgWin > 0)) return 0;
  return (winRate * avgWin - (1 - winRate) * avgLoss) / avgWin;
}

/** Half-Kelly stake: bankroll · clamp(f*, 0, 0.25) / 2. Seed example → 950 on 10 000. */
export function halfKellySize(bankroll: number, winRate: number, avgWin: number, avgLoss: number): number {
  const f = Math.min(0.25, Math.max(0, kellyFraction(winRate, avgWin, avgLoss)));
  return (bankroll * f) / 2;
}

/** Kelly needs a track record: it applies only with more than this many closed trades. */
export const KELLY_MIN_TRADES = 20;

/**
 * The seed's calculate_optimal_position_size, five steps, then the half-Kelly cap:
 *  1. riskAmount = balance · riskPerTrade/100
 *  2. positionFromSl = riskAmount / (stopLossPct/100)   (the seed divides by the percent; the
 *     distance must be a fraction for the loss at the stop to equal riskAmount)
 *  3. × 1.2 if volatility < 0.02 else × 0.8
 *  4. × confidence
 *  5. min(size, maxPosition, balance · 0.25 · leverage)
 *  + with > 20 closed trades: min(size, halfKelly(balance) · leverage).
 * Leverage-aware: the balance caps bound the margin (notional / leverage), so with leverage L
 * the notional may reach L times them; the stop-loss risk stays riskAmount since it depends on
 * the notional only; maxPosition caps the notional.
 */
export function calculatePositionSize(input: SizingInput): SizingResult {
  const lev = input.mode === 'spot' ? 1 : Math.max(1, input.leverage ?? 1);
  const riskAmount = input.balance * (input.riskPerTradePct / 100);
  const positionFromSl = input.stopLossPct > 0 ? riskAmount / (input.stopLossPct / 100) : 0;
  const volMultiplier = input.volatility < 0.02 ? 1.2 : 0.8;
  const afterConfidence = positionFromSl * volMultiplier * Math.min(1, Math.max(0, input.confidence));
  let size = afterConfidence;
  let cappedBy: string | null = null;
  if (input.maxPosition < size) {
    size = input.maxPosition;
    cappedBy = 'max_position';
  }
  const balanceCap = input.balance * 0.25 * lev;
  if (balanceCap < size) {
    size = balanceCap;
    cappedBy = 'balance_25pct';
  }
  let kellyCap: number | null = null;
  const h = input.history;
  if (h && h.closedTrades > KELLY_MIN_TRADES) {
    kellyCap = halfKellySize(input.balance, h.winRate, h.avgWin, h.avgLoss) * lev;
    if (kellyCap < size) {
      size = kellyCap;
      cappedBy = 'half_kelly';
    }
  }
  size = Math.max(0, size);
  return {
    notional: size,
    margin: size / lev,
    leverage: lev,
    steps: { riskAmount, positionFromSl, volMultiplier, afterConfidence, kellyCap },
    cappedBy,
  };
}
