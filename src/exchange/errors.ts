/**
 * ccxt errors → our small taxonomy (port.ts EXCHANGE_ERROR_MESSAGES). An exchange's own text
 * (quirk patterns) wins over ccxt's class, because ccxt files several distinct trader
 * situations under one class (Binance's "Margin is insufficient" is InsufficientFunds there,
 * but the trader must reduce the size, not top up the wallet).
 */
import {
  AccountSuspended,
  AuthenticationError,
  BadSymbol,
  DDoSProtection,
  ExchangeNotAvailable,
  InsufficientFunds,
  InvalidOrder,
  NetworkError,
  NotSupported,
  OperationFailed,
  OrderNotFound,
  PermissionDenied,
  RateLimitExceeded,
  RequestTimeout,
} from 'ccxt';
import { ExchangeError, type ExchangeErrorCode } from './port.ts';
import type { ExchangeQuirks } from './quirks/types.ts';

type ErrorClass = abstract new (...args: never[]) => Error;

/** most specific first */
const CLASS_CODES: ReadonlyArray<readonly [ErrorClass, ExchangeErrorCode]> = [
  [RateLimitExceeded, 'RATE_LIMITED'],
  [DDoSProtection, 'RATE_LIMITED'],
  [RequestTimeout, 'TIMEOUT'],
  [ExchangeNotAvailable, 'EXCHANGE_UNAVAILABLE'],
  [NetworkError, 'NETWORK'],
  // ccxt's parent of transport failures; Binance's -1001 "Internal error" (a 5xx) lands here
  [OperationFailed, 'EXCHANGE_UNAVAILABLE'],
  [InsufficientFunds, 'INSUFFICIENT_FUNDS'],
  [OrderNotFound, 'ORDER_NOT_FOUND'],
  [BadSymbol, 'UNKNOWN_SYMBOL'],
  [AccountSuspended, 'ACCOUNT_SUSPENDED'],
  [PermissionDenied, 'PERMISSION_DENIED'],
  [AuthenticationError, 'AUTH_FAILED'],
  [InvalidOrder, 'INVALID_ORDER'],
  [NotSupported, 'NOT_SUPPORTED'],
];

/** codes the exchange text may refine; transport failures keep their class */
const TRANSPORT: ReadonlySet<ExchangeErrorCode> = new Set(['TIMEOUT', 'NETWORK', 'EXCHANGE_UNAVAILABLE']);

export interface ErrorContext {
  quirks?: ExchangeQuirks;
  /** Retry-After header of the failed response, seconds */
  retryAfterSec?: number;
}

export function toExchangeError(error: unknown, context: ErrorContext = {}): ExchangeError {
  if (error instanceof ExchangeError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const byClass = CLASS_CODES.find(([cls]) => error instanceof cls)?.[1];
  let code: ExchangeErrorCode = byClass ?? 'UNKNOWN';
  if (byClass === undefined || !TRANSPORT.has(byClass)) {
    const byText = context.quirks?.errorPatterns.find(([pattern]) => pattern.test(text))?.[1];
    if (byText) code = byText;
  }
  const options: ConstructorParameters<typeof ExchangeError>[1] = { detail: redact(text), cause: error };
  if (code === 'RATE_LIMITED' && context.retryAfterSec !== undefined) options.retryAfterSec = context.retryAfterSec;
  return new ExchangeError(code, options);
}

/** Query strings (signatures, sometimes keys) never reach logs or messages. */
export function redact(text: string): string {
  return text.replace(/\?[^\s"']*/g, '?…').slice(0, 500);
}

/** Retry-After header value in seconds, when it is a number of seconds. */
export function parseRetryAfter(headers: Record<string, unknown> | undefined): number | undefined {
  if (!headers) return undefined;
  const raw = headers['retry-after'] ?? headers['Retry-After'];
  const seconds = Number(raw);
  return raw !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
