/**
 * Whose budget an exchange request draws from (issue 13, item 2). Exchanges limit public data per
 * IP and signed calls per API key; ccxt keeps one throttler per instance, with costs per endpoint
 * taken from each exchange's documentation. So: every keyless instance of an exchange (the price
 * feed's REST side, the public ports) shares one throttler, and each account's instance keeps its
 * own for its signed calls, except where the exchange counts signed calls per IP too.
 *
 * Documented per-key limits (December 2026):
 * - Kraken spot: a counter per key, +1 per call (+2 ledgers and trade history), max 15 and decay
 *   0.33/s on the Starter tier (20 and 0.5/s or 1/s on higher tiers); AddOrder and CancelOrder
 *   are outside that counter (a per-pair trading limit). ccxt prices a counter unit at 3 tokens
 *   at 1 token/s (Balance costs 3, AddOrder 0) but lets only one call through at once; the
 *   bucket below starts full and admits the documented burst of 14 counter units, then one per 3 s.
 * - Kraken Futures, Bybit v5, OKX v5, Bitget v2: private endpoints are limited per key or UID;
 *   ccxt's own costs and rates are used as they are.
 * - Binance: REQUEST_WEIGHT is counted per IP for signed calls as well (orders per account on
 *   top), so every Binance instance of a class keeps drawing from the one shared budget.
 */
import type { ExchangeId } from './port.ts';

export interface SignedBudget {
  /** 'key': each account's instance throttles its own calls; 'ip': all instances share one budget */
  scope: 'key' | 'ip';
  /** ccxt token-bucket settings replacing the instance's defaults (capacity in ccxt cost units) */
  tokenBucket?: { capacity?: number; tokens?: number; refillRate?: number };
}

const SIGNED_BUDGETS: Record<string, SignedBudget> = {
  kraken: { scope: 'key', tokenBucket: { capacity: 13 * 3, tokens: 13 * 3 } },
  krakenfutures: { scope: 'key' },
  bybit: { scope: 'key' },
  okx: { scope: 'key' },
  bitget: { scope: 'key' },
  binance: { scope: 'ip' },
  binanceusdm: { scope: 'ip' },
};

/** the budget of a ccxt class's signed calls; unknown classes share (the cautious choice) */
export function signedBudget(ccxtClass: string, _exchange?: ExchangeId): SignedBudget {
  return SIGNED_BUDGETS[ccxtClass] ?? { scope: 'ip' };
}
