/**
 * Retries of temporary exchange errors (RETRYABLE_CODES) with exponential backoff and full
 * jitter; a Retry-After from the exchange is honoured (capped). Non-temporary errors surface
 * at once. Clock and randomness are injected so tests run without real waiting.
 */
import { ExchangeError } from './port.ts';

export interface RetryPolicy {
  /** total attempts including the first (≥ 1) */
  attempts: number;
  /** ms; the n-th retry waits up to baseDelayMs × 2^(n-1) */
  baseDelayMs: number;
  /** ms; cap of one backoff wait */
  maxDelayMs: number;
  /** ms; cap of a Retry-After wait (a misbehaving exchange cannot park us for an hour) */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 };

export interface RetryDeps {
  sleep: (ms: number) => Promise<void>;
  /** uniform in [0, 1) */
  random: () => number;
}

export const realRetryDeps: RetryDeps = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** ms to wait before retry number `retry` (1-based). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number, retryAfterSec?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = random() * ceiling;
  if (retryAfterSec === undefined) return jittered;
  return Math.min(policy.maxRetryAfterMs, retryAfterSec * 1000) + jittered * 0.1;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or attempts run out.
 * `attempt` receives the 1-based attempt number and must throw ExchangeError on failure.
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  deps: RetryDeps,
  onRetry?: (error: ExchangeError, n: number, delayMs: number) => void,
): Promise<T> {
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof ExchangeError) || !error.retryable || n >= policy.attempts) throw error;
      const delay = backoffDelay(n, policy, deps.random, error.retryAfterSec);
      onRetry?.(error, n, delay);
      await deps.sleep(delay);
    }
  }
}
