import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExchangeError } from '../../src/exchange/port.ts';
import { startHarness, type Harness } from './support.ts';

describe('ccxt adapter on Binance spot (real ccxt against the emulator)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness('spot');
    h.emulator.book.spot('USDT').free = 10_000;
    h.emulator.setPrice('BTCUSDT', 50_000);
  });
  afterEach(() => h.close());

  it('reads markets with tick, step and minimums', async () => {
    const market = await h.exchange.market('BTC/USDT');
    expect(market).toMatchObject({ symbol: 'BTC/USDT', id: 'BTCUSDT', base: 'BTC', quote: 'USDT', type: 'spot', tickSize: 0.01, stepSize: 0.00001, minQty: 0.00001, minCost: 5, contractSize: 1 });
  });

  it('buys at market: fills at the current price, the fee taken in the bought coin (Binance without BNB)', async () => {
    const order = await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.1, clientOrderId: 'buy-1' });
    expect(order).toMatchObject({ clientOrderId: 'buy-1', status: 'closed', filledQty: 0.1, avgPrice: 50_000, feeCurrency: 'BTC' });
    expect(order.fee).toBeCloseTo(0.0001, 12); // 0.1 BTC × 0.1 %
    const balance = await h.exchange.fetchBalance();
    expect(balance.BTC?.free).toBeCloseTo(0.0999, 12);
    expect(balance.USDT?.free).toBeCloseTo(10_000 - 5_000, 6);
  });

  it('rounds the quantity down to the step and a limit buy price down to the tick', async () => {
    const order = await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', qty: 0.123456789, price: 49_999.999, clientOrderId: 'limit-1' });
    expect(order.qty).toBe(0.12345);
    const sent = h.emulator.requests.find((r) => r.method === 'POST' && r.path === '/api/v3/order');
    expect(sent?.params).toMatchObject({ quantity: '0.12345', price: '49999.99', newClientOrderId: 'limit-1', side: 'BUY', type: 'LIMIT' });
    expect(order.status).toBe('open');
  });

  it('rounds a limit sell price up to the tick (never a worse price than asked)', async () => {
    h.emulator.book.spot('BTC').free = 1;
    await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'limit', qty: 0.5, price: 60_000.001, clientOrderId: 'limit-sell' });
    const sent = h.emulator.requests.find((r) => r.method === 'POST' && r.path === '/api/v3/order');
    expect(sent?.params.price).toBe('60000.01');
  });

  it('refuses an order under the minimum value before sending it', async () => {
    const error = await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.00005, clientOrderId: 'tiny' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangeError);
    expect((error as ExchangeError).code).toBe('ORDER_BELOW_MINIMUM');
    expect((error as ExchangeError).message).toBe('Order value 2.50 USDT is below the minimum 5 USDT for BTC/USDT.');
    expect(h.emulator.count('/api/v3/order', 'POST')).toBe(0);
  });

  it('refuses a quantity that rounds below the minimum size before sending it', async () => {
    const error = (await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: 50_000, qty: 0.000009, clientOrderId: 'dust' }).catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('ORDER_BELOW_MINIMUM');
    expect(error.message).toContain('below the minimum 0.00001 BTC');
    expect(h.emulator.count('/api/v3/order', 'POST')).toBe(0);
  });

  it('refuses reduce-only on spot with the seed message, without a request', async () => {
    const error = (await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: 0.1, reduceOnly: true, clientOrderId: 'ro' }).catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('REDUCE_ONLY_INVALID');
    expect(error.message).toMatch(/Reduce-only is not valid/);
    expect(h.emulator.count('/api/v3/order', 'POST')).toBe(0);
  });

  it('maps the exchange refusing for lack of balance to INSUFFICIENT_FUNDS', async () => {
    const error = (await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 1, clientOrderId: 'too-big' }).catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('INSUFFICIENT_FUNDS');
    expect(error.message).toBe('Insufficient funds: not enough balance for this order. Check your wallet.');
  });

  it('closes part of a spot holding, then the rest', async () => {
    await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.12, clientOrderId: 'open' });
    const part = await h.exchange.closePosition({ symbol: 'BTC/USDT', qty: 0.05, clientOrderId: 'close-part' });
    expect(part).toMatchObject({ side: 'sell', filledQty: 0.05, status: 'closed' });
    // 0.12 bought, 0.00012 paid as the fee: 0.06988 is what is left to sell
    const rest = await h.exchange.closePosition({ symbol: 'BTC/USDT', clientOrderId: 'close-rest' });
    expect(rest.filledQty).toBeCloseTo(0.06988, 10);
    expect((await h.exchange.fetchBalance()).BTC).toBeUndefined();
  });

  it("an exit sells the position's known quantity without asking the balance first", async () => {
    await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.12, clientOrderId: 'open' });
    const before = h.emulator.requests.length;
    const exit = await h.exchange.closePosition({ symbol: 'BTC/USDT', qty: 0.11988, side: 'long', clientOrderId: 'exit-1' });
    expect(exit).toMatchObject({ side: 'sell', filledQty: 0.11988, status: 'closed' });
    // one signed round trip: the order, and no GET /api/v3/account in front of it (the minimum
    // value check reads the price from the shared feed when the bot runs; here from a ticker)
    expect(h.emulator.requests.slice(before).filter((r) => r.signed).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v3/order']);
  });

  it('an exit asking for more than the account holds is refused once, then sells what is free after one balance read', async () => {
    await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.12, clientOrderId: 'open' });
    // the trader moved 0.02 BTC away meanwhile: 0.09988 left of the 0.11988 the bot holds
    h.emulator.book.spot('BTC').free -= 0.02;
    const before = h.emulator.requests.length;
    const exit = await h.exchange.closePosition({ symbol: 'BTC/USDT', qty: 0.11988, side: 'long', clientOrderId: 'exit-2' });
    expect(exit.filledQty).toBeCloseTo(0.09988, 10);
    expect(h.emulator.requests.slice(before).filter((r) => r.signed).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v3/order', 'GET /api/v3/account', 'POST /api/v3/order']);
    expect((await h.exchange.fetchBalance()).BTC).toBeUndefined();
  });

  it('fetches an order by id and by client id, cancels an open one', async () => {
    const placed = await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', qty: 0.01, price: 40_000, clientOrderId: 'resting' });
    expect((await h.exchange.fetchOrder('BTC/USDT', { id: placed.id }))?.clientOrderId).toBe('resting');
    expect((await h.exchange.fetchOrder('BTC/USDT', { clientOrderId: 'resting' }))?.id).toBe(placed.id);
    expect(await h.exchange.fetchOrder('BTC/USDT', { clientOrderId: 'never-placed' })).toBeUndefined();
    expect((await h.exchange.cancelOrder('BTC/USDT', { clientOrderId: 'resting' }))?.status).toBe('canceled');
  });

  it('reads the current price', async () => {
    h.emulator.setPrice('BTCUSDT', 51_234.5);
    expect(await h.exchange.fetchPrice('BTC/USDT')).toBe(51_234.5);
  });

  it('signs private calls: a wrong secret is an authentication failure', async () => {
    const bad = await startHarness('spot', { account: { credentials: { apiKey: 'emulator-key', secret: 'wrong' } } });
    try {
      const error = (await bad.exchange.fetchBalance().catch((e: unknown) => e)) as ExchangeError;
      expect(error.code).toBe('AUTH_FAILED');
    } finally {
      await bad.close();
    }
  });
});
