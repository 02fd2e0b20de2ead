import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExchangeError } from '../../src/exchange/port.ts';
import { startHarness, type Harness } from './support.ts';

const ORDER = '/api/v3/order';

describe('ccxt adapter under injected faults (Binance emulator)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness('spot');
    h.emulator.book.spot('USDT').free = 10_000;
    h.emulator.setPrice('BTCUSDT', 50_000);
    await h.exchange.loadMarkets();
  });
  afterEach(() => h.close());

  const buy = (clientOrderId: string) => h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.01, clientOrderId });
  const ordersWith = (clientOrderId: string) => h.emulator.book.orders.filter((o) => o.clientOrderId === clientOrderId).length;

  it('429 with Retry-After: waits what the exchange asked, then places the order once', async () => {
    h.emulator.inject({ method: 'POST', path: ORDER, fault: { kind: 'rate-limit', retryAfterSec: 2 } });
    const order = await buy('rl-1');
    expect(order.status).toBe('closed');
    expect(h.waits[0]).toBeGreaterThanOrEqual(2_000);
    expect(ordersWith('rl-1')).toBe(1);
  });

  it('a rate limit that does not end surfaces as RATE_LIMITED with the seed message', async () => {
    h.emulator.inject({ method: 'POST', path: ORDER, times: 10, fault: { kind: 'rate-limit', retryAfterSec: 1 } });
    const error = (await buy('rl-2').catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toMatch(/^Rate limit exceeded/);
    expect(h.emulator.count(ORDER, 'POST')).toBe(4);
    expect(ordersWith('rl-2')).toBe(0);
  });

  it('a 5xx on a read is retried with backoff and jitter', async () => {
    h.emulator.inject({ method: 'GET', path: '/api/v3/account', times: 2, fault: { kind: 'server-error', status: 503 } });
    const balance = await h.exchange.fetchBalance();
    expect(balance.USDT?.free).toBe(10_000);
    // random() = 0.5 → half of 100 ms, then half of 200 ms
    expect(h.waits).toEqual([50, 100]);
  });

  it('a 5xx that persists surfaces as EXCHANGE_UNAVAILABLE', async () => {
    h.emulator.inject({ method: 'GET', path: '/api/v3/account', times: 10, fault: { kind: 'server-error', status: 502 } });
    const error = (await h.exchange.fetchBalance().catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('EXCHANGE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('timeout with no answer: looks it up by client id, finds nothing yet, and never sends that client id again (TIMEOUT to the caller)', async () => {
    h.emulator.inject({ method: 'POST', path: ORDER, fault: { kind: 'timeout' } });
    const error = (await buy('to-1').catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('TIMEOUT');
    const sequence = h.emulator.requests.filter((r) => r.path === ORDER).map((r) => `${r.method}${r.params.origClientOrderId ? ' by-client-id' : ''}`);
    expect(sequence[0]).toBe('POST');
    expect(sequence.slice(1).every((s) => s === 'GET by-client-id')).toBe(true);
    expect(sequence.length).toBeGreaterThanOrEqual(2);
    expect(ordersWith('to-1')).toBe(0);
  });

  it('an order held by the exchange and filled after the client gave up is found, never sent twice', async () => {
    h.emulator.inject({ method: 'POST', path: ORDER, fault: { kind: 'hold-then-execute', delayMs: 2_500 } });
    const error = (await buy('held-1').catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('TIMEOUT');
    expect(ordersWith('held-1')).toBe(0);
    await new Promise((r) => setTimeout(r, 2_700));
    const found = await h.exchange.fetchOrder('BTC/USDT', { clientOrderId: 'held-1' });
    expect(found).toMatchObject({ status: 'closed', filledQty: 0.01 });
    expect(h.emulator.count(ORDER, 'POST')).toBe(1);
    expect(ordersWith('held-1')).toBe(1);
  });

  it('response dropped after the order was accepted: the retry finds it and never places it twice', async () => {
    h.emulator.inject({ method: 'POST', path: ORDER, fault: { kind: 'drop-after-accept' } });
    const order = await buy('drop-1');
    expect(order).toMatchObject({ clientOrderId: 'drop-1', status: 'closed', filledQty: 0.01, avgPrice: 50_000 });
    expect(h.emulator.count(ORDER, 'POST')).toBe(1);
    expect(ordersWith('drop-1')).toBe(1);
    expect((await h.exchange.fetchBalance()).BTC?.free).toBeCloseTo(0.00999, 10); // one buy of 0.01, its fee taken in BTC
  });

  it('accepted order, dropped answer, and the lookup times out too: the lookup is retried, still one order', async () => {
    h.emulator.inject({ method: 'POST', path: ORDER, fault: { kind: 'drop-after-accept' } });
    h.emulator.inject({ method: 'GET', path: ORDER, fault: { kind: 'timeout' } });
    const order = await buy('drop-2');
    expect(order.status).toBe('closed');
    expect(h.emulator.count(ORDER, 'POST')).toBe(1);
    expect(ordersWith('drop-2')).toBe(1);
  });

  it('a read that keeps timing out surfaces as TIMEOUT', async () => {
    h.emulator.inject({ method: 'GET', path: '/api/v3/ticker/24hr', times: 10, fault: { kind: 'timeout' } });
    const error = (await h.exchange.fetchPrice('BTC/USDT').catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toBe('The exchange did not answer in time.');
  });

  it('a connection dropped on a read is a NETWORK error and is retried', async () => {
    h.emulator.inject({ method: 'GET', path: '/api/v3/ticker/24hr', fault: { kind: 'drop-after-accept' } });
    expect(await h.exchange.fetchPrice('BTC/USDT')).toBe(50_000);
    expect(h.emulator.count('/api/v3/ticker/24hr')).toBe(2);
  });

  it('an unknown market and an unknown order are named as such', async () => {
    expect(((await h.exchange.market('DOGE/USDT').catch((e: unknown) => e)) as ExchangeError).code).toBe('UNKNOWN_SYMBOL');
    expect(await h.exchange.cancelOrder('BTC/USDT', { id: '999999' })).toBeUndefined();
  });
});
