/**
 * Placing an order so that retries never duplicate it. A refused attempt (rate limit, a 5xx
 * answered before the order was taken is NOT among them) is retried with backoff under the same
 * client order id: the exchange never took it. After an ambiguous failure (timeout, dropped
 * connection, 5xx — the exchange may have taken the order, or may still take it) the order is
 * only looked up by our client order id, never sent again: a lookup that finds nothing may be
 * early (Binance answers -2013 until a held order is matched), and Binance keeps client ids
 * unique only among OPEN orders, so a re-sent market order could fill twice. The caller then
 * holds the order as unknown until the exchange has certainly seen it or certainly not.
 */
import { ExchangeError, type ExchangeErrorCode, type OrderResult } from './port.ts';
import { backoffDelay, type RetryDeps, type RetryPolicy } from './retry.ts';

/** codes after which the order may exist on the exchange although we got no answer */
export const AMBIGUOUS_CODES: ReadonlySet<ExchangeErrorCode> = new Set(['TIMEOUT', 'NETWORK', 'EXCHANGE_UNAVAILABLE']);

export interface PlaceOnceDeps {
  /** one attempt; throws ExchangeError */
  create: () => Promise<OrderResult>;
  /** finds the order by our client order id; undefined when the exchange does not know it (yet) */
  lookup: () => Promise<OrderResult | undefined>;
  policy: RetryPolicy;
  retry: RetryDeps;
  onRetry?: (code: ExchangeErrorCode, attempt: number, delayMs: number) => void;
}

export async function placeOnce(deps: PlaceOnceDeps): Promise<OrderResult> {
  let ambiguous: ExchangeError | undefined;
  let lastError: ExchangeError | undefined;
  for (let attempt = 1; attempt <= deps.policy.attempts; attempt += 1) {
    try {
      if (!ambiguous) return await deps.create();
      const found = await deps.lookup();
      if (found) return found;
      // not known yet: it may still be matched, so it is never sent again from here
      throw ambiguous;
    } catch (error) {
      if (error === ambiguous) throw error;
      if (!(error instanceof ExchangeError) || (!error.retryable && !ambiguous)) throw error;
      lastError = error;
      if (!ambiguous && AMBIGUOUS_CODES.has(error.code)) ambiguous = error;
      else if (ambiguous && !error.retryable) throw ambiguous;
      if (attempt === deps.policy.attempts) break;
      const delayMs = backoffDelay(attempt, deps.policy, deps.retry.random, error.retryAfterSec);
      deps.onRetry?.(error.code, attempt, delayMs);
      await deps.retry.sleep(delayMs);
    }
  }
  if (ambiguous) {
    const found = await deps.lookup().catch(() => undefined);
    if (found) return found;
    throw ambiguous;
  }
  throw lastError ?? new ExchangeError('UNKNOWN');
}
