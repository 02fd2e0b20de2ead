import { DDoSProtection, ExchangeNotAvailable, InsufficientFunds, InvalidOrder, NetworkError, OrderNotFound, PermissionDenied, RateLimitExceeded, RequestTimeout, AuthenticationError, BadSymbol } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { redact, toExchangeError } from '../../src/exchange/errors.ts';
import { EXCHANGE_ERROR_MESSAGES } from '../../src/exchange/port.ts';
import { quirksFor } from '../../src/exchange/quirks/index.ts';

describe('ccxt errors → stable codes', () => {
  it.each([
    [new RateLimitExceeded('x'), 'RATE_LIMITED', true],
    [new DDoSProtection('binance 429'), 'RATE_LIMITED', true],
    [new RequestTimeout('timed out'), 'TIMEOUT', true],
    [new ExchangeNotAvailable('502'), 'EXCHANGE_UNAVAILABLE', true],
    [new NetworkError('socket hang up'), 'NETWORK', true],
    [new InsufficientFunds('x'), 'INSUFFICIENT_FUNDS', false],
    [new OrderNotFound('x'), 'ORDER_NOT_FOUND', false],
    [new BadSymbol('x'), 'UNKNOWN_SYMBOL', false],
    [new PermissionDenied('x'), 'PERMISSION_DENIED', false],
    [new AuthenticationError('x'), 'AUTH_FAILED', false],
    [new InvalidOrder('x'), 'INVALID_ORDER', false],
    [new Error('boom'), 'UNKNOWN', false],
  ] as const)('%s → %s', (error, code, retryable) => {
    const mapped = toExchangeError(error);
    expect(mapped.code).toBe(code);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.message).toBe(EXCHANGE_ERROR_MESSAGES[code]);
  });

  it.each([
    ['kraken', new InsufficientFunds('kraken {"error":["EOrder:Margin level too low"]}'), 'MARGIN_LEVEL_TOO_LOW'],
    ['kraken', new InsufficientFunds('kraken {"error":["EOrder:Insufficient funds"]}'), 'INSUFFICIENT_FUNDS'],
    ['kraken', new InvalidOrder('krakenfutures wouldNotReducePosition'), 'REDUCE_ONLY_INVALID'],
    ['kraken', new RateLimitExceeded('kraken {"error":["EAPI:Rate limit exceeded"]}'), 'RATE_LIMITED'],
    ['binance', new InsufficientFunds('binance {"code":-2019,"msg":"Margin is insufficient."}'), 'MARGIN_LEVEL_TOO_LOW'],
    ['binance', new InvalidOrder('binance {"code":-2022,"msg":"ReduceOnly Order is rejected."}'), 'REDUCE_ONLY_INVALID'],
    ['binance', new InvalidOrder('binance {"code":-1013,"msg":"Filter failure: NOTIONAL"}'), 'ORDER_BELOW_MINIMUM'],
    ['bybit', new InsufficientFunds('bybit {"retCode":110007,"retMsg":"ab not enough for new order"}'), 'INSUFFICIENT_FUNDS'],
    ['bybit', new InvalidOrder('bybit {"retCode":110017,"retMsg":"current position is zero, cannot fix reduce-only order qty"}'), 'REDUCE_ONLY_INVALID'],
    ['okx', new InsufficientFunds('okx {"code":"1","data":[{"sCode":"51008","sMsg":"Order failed. Insufficient USDT balance in account."}]}'), 'INSUFFICIENT_FUNDS'],
    ['okx', new InvalidOrder('okx {"sCode":"51169","sMsg":"Order failed because you don\'t have any positions in this direction for this contract to reduce or close."}'), 'REDUCE_ONLY_INVALID'],
    ['bitget', new InsufficientFunds('bitget {"code":"43012","msg":"Insufficient balance"}'), 'INSUFFICIENT_FUNDS'],
    ['bitget', new InvalidOrder('bitget {"code":"22002","msg":"No position to close"}'), 'REDUCE_ONLY_INVALID'],
  ] as const)('%s text %# → %s', (exchange, error, code) => {
    expect(toExchangeError(error, { quirks: quirksFor(exchange) }).code).toBe(code);
  });

  it('a timeout keeps its class even when the text mentions a known phrase', () => {
    expect(toExchangeError(new RequestTimeout('binance POST /order insufficient balance timed out'), { quirks: quirksFor('binance') }).code).toBe('TIMEOUT');
  });

  it('carries Retry-After only for rate limits', () => {
    expect(toExchangeError(new DDoSProtection('429'), { retryAfterSec: 3 }).retryAfterSec).toBe(3);
    expect(toExchangeError(new NetworkError('x'), { retryAfterSec: 3 }).retryAfterSec).toBeUndefined();
  });

  it('never keeps query strings (signatures) in the detail', () => {
    const detail = redact('binance GET http://x/api/v3/account?timestamp=1&signature=abcdef request timed out');
    expect(detail).not.toContain('signature');
    expect(toExchangeError(new RequestTimeout('GET http://x/y?apiKey=SECRET123 timed out')).detail).not.toContain('SECRET123');
  });
});
