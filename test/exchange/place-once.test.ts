import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { placeOnce } from '../../src/exchange/place-once.ts';
import { ExchangeError, type OrderResult } from '../../src/exchange/port.ts';

type Outcome = 'fill' | 'lost-before' | 'accepted-answer-lost' | 'rate-limit' | 'server-error-before' | 'refused';

const order = (id: string): OrderResult => ({ id, clientOrderId: 'c1', symbol: 'BTC/USDT', side: 'buy', type: 'market', status: 'closed', qty: 1, filledQty: 1, avgPrice: 100, fee: 0.1, feeCurrency: 'USDT', timestamp: 0 });

/** A fake exchange whose n-th create call behaves as scripted; lookups may time out too. */
function fakeExchange(script: Outcome[], lookupFails: boolean[]) {
  const accepted: OrderResult[] = [];
  let calls = 0;
  let lookups = 0;
  return {
    accepted,
    create: async (): Promise<OrderResult> => {
      const outcome = script[calls++] ?? 'fill';
      if (outcome === 'fill') {
        accepted.push(order(`o${calls}`));
        return accepted.at(-1)!;
      }
      if (outcome === 'accepted-answer-lost') {
        accepted.push(order(`o${calls}`));
        throw new ExchangeError('TIMEOUT');
      }
      if (outcome === 'lost-before') throw new ExchangeError('NETWORK');
      if (outcome === 'server-error-before') throw new ExchangeError('EXCHANGE_UNAVAILABLE');
      if (outcome === 'rate-limit') throw new ExchangeError('RATE_LIMITED', { retryAfterSec: 1 });
      throw new ExchangeError('INSUFFICIENT_FUNDS');
    },
    lookup: async (): Promise<OrderResult | undefined> => {
      if (lookupFails[lookups++]) throw new ExchangeError('TIMEOUT');
      return accepted[0];
    },
  };
}

const deps = { policy: { attempts: 4, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 5 }, retry: { sleep: async () => {}, random: () => 0.5 } };

describe('placing an order never duplicates it', () => {
  it('whatever the faults, the exchange holds at most one order, and a returned order is that one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Outcome>('fill', 'lost-before', 'accepted-answer-lost', 'rate-limit', 'server-error-before', 'refused'), { maxLength: 6 }),
        fc.array(fc.boolean(), { maxLength: 6 }),
        async (script, lookupFails) => {
          const exchange = fakeExchange(script, lookupFails);
          const result = await placeOnce({ ...deps, create: exchange.create, lookup: exchange.lookup }).catch((error: unknown) => error);
          expect(exchange.accepted.length).toBeLessThanOrEqual(1);
          if (!(result instanceof Error)) expect(result).toBe(exchange.accepted[0]);
        },
      ),
    );
  });

  it('a timeout after the exchange took the order returns that order without placing again', async () => {
    const exchange = fakeExchange(['accepted-answer-lost'], []);
    const result = await placeOnce({ ...deps, create: exchange.create, lookup: exchange.lookup });
    expect(result.id).toBe('o1');
    expect(exchange.accepted).toHaveLength(1);
  });

  it('waits what a rate limit asks (capped) and retries; a refusal is not retried', async () => {
    const waits: number[] = [];
    const exchange = fakeExchange(['rate-limit', 'fill'], []);
    await placeOnce({ ...deps, retry: { sleep: async (ms) => void waits.push(ms), random: () => 0 }, create: exchange.create, lookup: exchange.lookup });
    expect(waits).toEqual([5]);
    const refused = fakeExchange(['refused'], []);
    await expect(placeOnce({ ...deps, create: refused.create, lookup: refused.lookup })).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
  });
});
