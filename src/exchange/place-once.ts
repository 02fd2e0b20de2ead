/**
 * Placing an order so that retries never duplicate it. Temporary failures are retried with
 * backoff; after an ambiguous one (timeout, dropped connection, 5xx — the exchange may have
 * taken the order) the order is looked up by our client order id before any new attempt, and
 * once more after the last. A rate limit is not ambiguous: the exchange refused the request.
 */
import { ExchangeError, type ExchangeErrorCode, type OrderResult } from './port.ts';
import { backoffDelay, type RetryDeps, type RetryPolicy } from './retry.ts';

/** codes after which the order may exist on the exchange although we got no answer */
export const AMBIGUOUS_CODES: ReadonlySet<ExchangeErrorCode> = new Set(['TIMEOUT', 'NETWORK', 'EXCHANGE_UNAVAILABLE']);

export interface PlaceOnceDeps {
  /** one attempt; throws ExchangeError */
  create: () => Promise<OrderResult>;
  /** finds the order by our client order id; undefined when the exchange does not know it */
  lookup: () => Promise<OrderResult | undefined>;
  policy: RetryPolicy;
  retry: RetryDeps;
  onRetry?: (code: ExchangeErrorCode, attempt: number, delayMs: number) => void;
}

export async function placeOnce(deps: PlaceOnceDeps): Promise<OrderResult> {
  let ambiguous = false;
  let lastError: ExchangeError | undefined;
  for (let attempt = 1; attempt <= deps.policy.attempts; attempt += 1) {
    if (ambiguous) {
      const found = await deps.lookup();
      if (found) return found;
    }
    try {
      return await deps.create();
    } catch (error) {
      if (!(error instanceof ExchangeError) || !error.retryable) throw error;
      lastError = error;
      ambiguous ||= AMBIGUOUS_CODES.has(error.code);
      if (attempt === deps.policy.attempts) break;
      const delayMs = backoffDelay(attempt, deps.policy, deps.retry.random, error.retryAfterSec);
      deps.onRetry?.(error.code, attempt, delayMs);
      await deps.retry.sleep(delayMs);
    }
  }
  if (ambiguous) {
    const found = await deps.lookup();
    if (found) return found;
  }
  throw lastError ?? new ExchangeError('UNKNOWN');
}
