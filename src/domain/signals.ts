import type { Mode, SignalAction } from './types.ts';

/** A row of `trading_signals` in domain shape (times ms since epoch). */
export interface Signal {
  id: string;
  symbol: string;
  action: SignalAction;
  /** 0..1 */
  confidence: number;
  source: string;
  createdAt: number;
  expiresAt: number | null;
  stopLoss: number | null;
  takeProfit: number | null;
  /** null = every user */
  userId?: string | null;
}

export const DEFAULT_TRUSTED_SOURCES: readonly string[] = ['titan_v3', 'COUNCIL_V2.0_FALLBACK'];
/** SPEC §3.2: a signal must be younger than 6 h */
export const MAX_SIGNAL_AGE_MS = 6 * 3_600_000;
/** SPEC §3.5: default consensus window */
export const CONSENSUS_WINDOW_MS = 15 * 60_000;
/** a signal stamped further than this in the future is refused (clock skew allowance) */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export const THRESHOLD_MIN = 0.35;
export const THRESHOLD_MAX = 0.65;

export interface ThresholdInputs {
  /** realized volatility of the symbol, stdev of per-candle log returns as a fraction (0.02 = 2 %) */
  volatility: number;
  /** share of the source's recent resolved signals that were right, 0..1; null = unknown (0.5) */
  sourceAccuracy: number | null;
  /** the market is in its thin session (see isThinSession) */
  thinSession: boolean;
}

/**
 * Adaptive confidence threshold (SPEC §3.4):
 *
 *   threshold = clamp(0.45 + 0.20·min(1, volatility / 0.05) − 0.20·(accuracy − 0.5) + 0.05·thin,
 *                     0.35, 0.65)
 *
 * volatility ≥ 5 % saturates; unknown accuracy counts as 0.5; thin = 1 in the thin session.
 * Each term is monotone in its input (non-decreasing in volatility and thin, non-increasing in
 * accuracy) and the clamp keeps that, so the threshold is monotone in each input.
 * Neutral market (volatility 0, accuracy 0.5, not thin) → 0.45.
 */
export function confidenceThreshold(inputs: ThresholdInputs): number {
  const vol = Number.isFinite(inputs.volatility) ? Math.min(1, Math.max(0, inputs.volatility) / 0.05) : 1;
  const acc = inputs.sourceAccuracy === null ? 0.5 : Math.min(1, Math.max(0, inputs.sourceAccuracy));
  const raw = 0.45 + 0.2 * vol - 0.2 * (acc - 0.5) + (inputs.thinSession ? 0.05 : 0);
  return Math.min(THRESHOLD_MAX, Math.max(THRESHOLD_MIN, raw));
}

/**
 * Thin session: 21:00–00:59 UTC (after the US close, before Asia opens) and all of Saturday and
 * Sunday (UTC), when crypto order books are thinnest. Pure: reads the given time only.
 */
export function isThinSession(timeMs: number): boolean {
  const d = new Date(timeMs);
  const day = d.getUTCDay();
  const h = d.getUTCHours();
  return day === 0 || day === 6 || h >= 21 || h < 1;
}

/** Realized volatility: sample stdev of log returns of consecutive closes (fraction per candle). */
export function realizedVolatility(closes: readonly number[]): number {
  const n = closes.length - 1;
  if (n < 2) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 1; i <= n; i++) {
    const r = Math.log((closes[i] as number) / (closes[i - 1] as number));
    sum += r;
    sumSq += r * r;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, (sumSq - n * mean * mean) / (n - 1)));
}

export interface ConsensusResult {
  /** combined confidence of the agreeing signals: 1 − Π(1 − cᵢ); 0 when opposed */
  score: number;
  opposed: boolean;
  /** ids of the signals weighed together (including the one judged) */
  agreeing: string[];
  opposing: string[];
}

/**
 * Consensus (SPEC §3.5): trusted BUY/SELL signals of the same symbol created within `windowMs`
 * of the judged one are weighed together. Any opposing action cancels (no trade); agreeing ones
 * raise the score as independent evidence, 1 − Π(1 − cᵢ) (never below the best single
 * confidence). A signal outside the window neither blocks nor supports.
 */
export function consensus(
  signal: Signal,
  live: readonly Signal[],
  trustedSources: readonly string[] = DEFAULT_TRUSTED_SOURCES,
  windowMs = CONSENSUS_WINDOW_MS,
): ConsensusResult {
  let miss = 1 - clamp01(signal.confidence);
  const agreeing = [signal.id];
  const opposing: string[] = [];
  for (const o of live) {
    if (o.id === signal.id || o.symbol !== signal.symbol || o.action === 'HOLD') continue;
    if (!trustedSources.includes(o.source)) continue;
    if (Math.abs(o.createdAt - signal.createdAt) > windowMs) continue;
    if (o.action === signal.action) {
      agreeing.push(o.id);
      miss *= 1 - clamp01(o.confidence);
    } else {
      opposing.push(o.id);
    }
  }
  const opposed = opposing.length > 0;
  return { score: opposed ? 0 : 1 - miss, opposed, agreeing, opposing };
}

export type SignalIntent = 'open_long' | 'open_short' | 'close_long';

export interface ValidationContext {
  /** ms since epoch */
  now: number;
  mode: Mode;
  /** the user holds an open long of this symbol (spot SELL closes it) */
  hasOpenLong: boolean;
  threshold: ThresholdInputs;
  /** other signals currently live and visible to this user (user_id NULL or theirs), for consensus; may include the judged one */
  live: readonly Signal[];
  trustedSources?: readonly string[];
  maxAgeMs?: number;
  consensusWindowMs?: number;
}

export interface SignalDecision {
  execute: boolean;
  intent: SignalIntent | null;
  /** consensus score compared against the threshold */
  score: number;
  threshold: number;
  /** every reason the signal was refused; empty when executed */
  reasons: string[];
}

/**
 * SPEC §3 checks 1–5 for one user. Every failing check adds a reason (the user sees them all).
 * Risk limits (check 6) are limits.ts and portfolio.ts.
 */
export function validateSignal(signal: Signal, ctx: ValidationContext): SignalDecision {
  const reasons: string[] = [];
  const trusted = ctx.trustedSources ?? DEFAULT_TRUSTED_SOURCES;
  const maxAge = ctx.maxAgeMs ?? MAX_SIGNAL_AGE_MS;
  if (!trusted.includes(signal.source)) reasons.push(`source "${signal.source}" is not trusted`);
  const age = ctx.now - signal.createdAt;
  if (age >= maxAge) reasons.push(`signal is ${fmtHours(age)} old (limit ${fmtHours(maxAge)})`);
  if (age < -MAX_FUTURE_SKEW_MS) reasons.push('signal is dated in the future');
  if (signal.expiresAt !== null && ctx.now >= signal.expiresAt) reasons.push('signal has expired');
  if (!(signal.confidence >= 0 && signal.confidence <= 1)) reasons.push(`confidence ${signal.confidence} is outside 0..1`);

  let intent: SignalIntent | null = null;
  if (signal.action === 'HOLD') reasons.push('HOLD signals are recorded, never traded');
  else if (signal.action === 'BUY') intent = 'open_long';
  else if (ctx.mode !== 'spot') intent = 'open_short';
  else if (ctx.hasOpenLong) intent = 'close_long';
  else reasons.push('SELL on spot needs an open long to close (shorting needs margin or futures)');

  const threshold = confidenceThreshold(ctx.threshold);
  let score = 0;
  if (signal.action !== 'HOLD') {
    const live = ctx.live.filter(
      (o) => (o.expiresAt === null || ctx.now < o.expiresAt) && ctx.now - o.createdAt < maxAge,
    );
    const c = consensus(signal, live, trusted, ctx.consensusWindowMs ?? CONSENSUS_WINDOW_MS);
    score = c.score;
    if (c.opposed) reasons.push(`opposing signal(s) within the consensus window: ${c.opposing.join(', ')}`);
    else if (score < threshold) {
      reasons.push(`confidence ${score.toFixed(3)} is below the threshold ${threshold.toFixed(3)}`);
    }
  }
  return { execute: reasons.length === 0, intent: reasons.length === 0 ? intent : null, score, threshold, reasons };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

function fmtHours(ms: number): string {
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
