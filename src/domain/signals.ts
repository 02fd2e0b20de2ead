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
/**
 * SPEC §3/§9: a trader's own sources (their webhook, forwarded posts, /signal) are trusted for that
 * trader only: such a row counts only when it names its trader (user_id), whatever TRUSTED_SOURCES says.
 */
export const PERSONAL_SOURCES: readonly string[] = ['webhook', 'telegram', 'manual'];

/** SPEC §3 rule 1 with the personal sources: may this row trade (for the trader it is addressed to)? */
export function isTrustedSource(signal: Pick<Signal, 'source' | 'userId'>, trustedSources: readonly string[]): boolean {
  if (PERSONAL_SOURCES.includes(signal.source)) return signal.userId !== null && signal.userId !== undefined;
  return trustedSources.includes(signal.source);
}
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
  /** the other signals that agreed (without the judged one) and that opposed, for the reasons */
  supporters: Signal[];
  opponents: Signal[];
}

/**
 * Consensus (SPEC §3.5): trusted BUY/SELL signals of the same symbol created within `windowMs`
 * of the judged one are weighed together. Any opposing action cancels (no trade); agreeing ones
 * raise the score as independent evidence, 1 − Π(1 − cᵢ) (never below the best single
 * confidence). A signal outside the window neither blocks nor supports. `live` must hold only
 * signals that count (see countingSignals): this function does not judge them.
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
  const supporters: Signal[] = [];
  const opponents: Signal[] = [];
  for (const o of live) {
    if (o.id === signal.id || o.symbol !== signal.symbol || o.action === 'HOLD') continue;
    if (!isTrustedSource(o, trustedSources)) continue;
    if (Math.abs(o.createdAt - signal.createdAt) > windowMs) continue;
    if (o.action === signal.action) {
      agreeing.push(o.id);
      supporters.push(o);
      miss *= 1 - clamp01(o.confidence);
    } else {
      opposing.push(o.id);
      opponents.push(o);
    }
  }
  const opposed = opposing.length > 0;
  return { score: opposed ? 0 : 1 - miss, opposed, agreeing, opposing, supporters, opponents };
}

export type SignalIntent = 'open_long' | 'open_short' | 'close_long';

export interface ValidationContext {
  /** ms since epoch */
  now: number;
  mode: Mode;
  /** the user holds an open long of this symbol (spot SELL closes it) */
  hasOpenLong: boolean;
  threshold: ThresholdInputs;
  /**
   * other signals currently live, for consensus; may include the judged one. Only those that
   * count are weighed (countingSignals): valid on their own and visible to `userId`.
   */
  live: readonly Signal[];
  /** the trader the signal is judged for; a live signal addressed to anyone else never counts (unset: only signals for every user count) */
  userId?: string | null;
  /**
   * recent accuracy (0..1, null = unknown) of the live signals' sources, for each one's own
   * threshold; a source not listed is unknown, except the judged signal's, which is threshold.sourceAccuracy
   */
  sourceAccuracy?: Readonly<Record<string, number | null>>;
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
 * SPEC §3 rules 1–2 and a confidence inside 0..1: what makes a signal unusable on its own,
 * whoever it is judged for. Every problem is a reason the trader reads.
 */
export function standingProblems(signal: Signal, now: number, trustedSources: readonly string[], maxAgeMs = MAX_SIGNAL_AGE_MS): string[] {
  const reasons: string[] = [];
  if (!isTrustedSource(signal, trustedSources)) {
    reasons.push(
      PERSONAL_SOURCES.includes(signal.source)
        ? `source "${signal.source}" is a trader's own and is trusted only with that trader's user_id`
        : `source "${signal.source}" is not trusted`,
    );
  }
  const age = now - signal.createdAt;
  if (age >= maxAgeMs) reasons.push(`signal is ${fmtHours(age)} old (limit ${fmtHours(maxAgeMs)})`);
  if (age < -MAX_FUTURE_SKEW_MS) reasons.push('signal is dated in the future');
  if (signal.expiresAt !== null && now >= signal.expiresAt) reasons.push('signal has expired');
  if (!(signal.confidence >= 0 && signal.confidence <= 1)) reasons.push(`confidence ${signal.confidence} is outside 0..1`);
  return reasons;
}

/**
 * The live signals that may veto or support `signal` (SPEC §3, the paragraph after rule 7): each
 * valid on its own — rules 1–2, BUY or SELL, confidence within 0..1 and at least its own
 * threshold (the same market, its own source's accuracy) — and visible to the trader (for every
 * user, or addressed to ctx.userId). A malformed, expired, weak or someone else's private signal
 * never counts.
 */
export function countingSignals(signal: Signal, ctx: ValidationContext): Signal[] {
  const trusted = ctx.trustedSources ?? DEFAULT_TRUSTED_SOURCES;
  const maxAge = ctx.maxAgeMs ?? MAX_SIGNAL_AGE_MS;
  const accuracyOf = (source: string): number | null => {
    const listed = ctx.sourceAccuracy?.[source];
    if (listed !== undefined) return listed;
    return source === signal.source ? ctx.threshold.sourceAccuracy : null;
  };
  return ctx.live.filter(
    (o) =>
      o.id !== signal.id &&
      (o.userId === null || o.userId === undefined || (ctx.userId != null && o.userId === ctx.userId)) &&
      (o.action === 'BUY' || o.action === 'SELL') &&
      standingProblems(o, ctx.now, trusted, maxAge).length === 0 &&
      o.confidence >= confidenceThreshold({ ...ctx.threshold, sourceAccuracy: accuracyOf(o.source) }),
  );
}

/**
 * SPEC §3 checks 1–5 for one user. Every failing check adds a reason (the user sees them all);
 * a consensus refusal names the signals that decided it. Risk limits (check 6) are limits.ts
 * and portfolio.ts.
 */
export function validateSignal(signal: Signal, ctx: ValidationContext): SignalDecision {
  const trusted = ctx.trustedSources ?? DEFAULT_TRUSTED_SOURCES;
  const reasons = standingProblems(signal, ctx.now, trusted, ctx.maxAgeMs ?? MAX_SIGNAL_AGE_MS);
  // a row addressed to one trader never trades for another (the engine only offers it to them; this holds anyway)
  if (signal.userId != null && ctx.userId !== signal.userId) reasons.push('the signal is addressed to another trader');

  let intent: SignalIntent | null = null;
  if (signal.action === 'HOLD') reasons.push('HOLD signals are recorded, never traded');
  else if (signal.action === 'BUY') intent = 'open_long';
  else if (ctx.mode !== 'spot') intent = 'open_short';
  else if (ctx.hasOpenLong) intent = 'close_long';
  else reasons.push('SELL on spot needs an open long to close (shorting needs margin or futures)');

  const threshold = confidenceThreshold(ctx.threshold);
  let score = 0;
  if (signal.action !== 'HOLD') {
    const windowMs = ctx.consensusWindowMs ?? CONSENSUS_WINDOW_MS;
    const c = consensus(signal, countingSignals(signal, ctx), trusted, windowMs);
    score = c.score;
    const within = `within ${fmtMinutes(windowMs)}`;
    if (c.opposed) for (const o of c.opponents) reasons.push(`opposed by ${describeSignal(o)} ${within}`);
    else if (score < threshold) {
      const support = c.supporters.length > 0 ? ` (with ${c.supporters.map(describeSignal).join(', ')} ${within})` : '';
      reasons.push(`confidence ${score.toFixed(3)} is below the threshold ${threshold.toFixed(3)}${support}`);
    }
  }
  return { execute: reasons.length === 0, intent: reasons.length === 0 ? intent : null, score, threshold, reasons };
}

/** "SELL 0.80 from titan_v3 (signal 1a2b3c4d)": how a reason names another signal. */
export function describeSignal(s: Signal): string {
  return `${s.action} ${s.confidence.toFixed(2)} from ${s.source} (signal ${s.id.slice(0, 8)})`;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

function fmtMinutes(ms: number): string {
  return `${Number((ms / 60_000).toFixed(1))} min`;
}

function fmtHours(ms: number): string {
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
