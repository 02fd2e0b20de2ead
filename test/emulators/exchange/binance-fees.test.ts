/**
 * Spot and margin fees as Binance charges them without BNB: a BUY pays in the coin bought, a SELL
 * in the quote coin. The create answer (FULL) lists the fills; the order lookup does not; the trade
 * list (myTrades) does. Real ccxt against the emulator.
 */
import type { Exchange } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asset } from './binance-margin.ts';
import { startBinanceEmulator, type BinanceEmulator } from './binance-server.ts';
import { ccxtClient } from './ccxt-client.ts';

describe('Binance emulator: spot fees in the coin received (real ccxt)', () => {
  let emulator: BinanceEmulator;
  let client: Exchange;
  beforeEach(async () => {
    emulator = await startBinanceEmulator();
    emulator.book.spot('USDT').free = 1_000;
    emulator.setPrice('BTCUSDT', 50_000);
    client = ccxtClient(emulator, 'spot');
  });
  afterEach(() => emulator.close());

  it('a market BUY of 0.01 BTC fills 0.01, pays 0.00001 BTC and leaves 0.00999 BTC', async () => {
    const order = await client.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'buy-1' });
    expect(order).toMatchObject({ status: 'closed', filled: 0.01, average: 50_000, cost: 500, clientOrderId: 'buy-1' });
    expect(order.fee).toEqual({ cost: 0.00001, currency: 'BTC' });
    expect((order as unknown as { fees: unknown }).fees).toEqual([{ cost: 0.00001, currency: 'BTC' }]); // not in ccxt's Order type
    expect(order.trades).toHaveLength(1);
    expect(order.trades[0]).toMatchObject({ price: 50_000, amount: 0.01, fee: { cost: 0.00001, currency: 'BTC' } });
    const sent = emulator.requests.find((r) => r.method === 'POST' && r.path === '/api/v3/order');
    expect(sent?.params.newOrderRespType).toBe('FULL');

    const balance = await client.fetchBalance();
    expect(balance.BTC?.free).toBe(0.00999);
    expect(balance.USDT?.free).toBe(500);
  });

  it('a SELL pays its commission in USDT', async () => {
    emulator.book.spot('BTC').free = 0.00999;
    const order = await client.createOrder('BTC/USDT', 'market', 'sell', 0.00999, undefined, { clientOrderId: 'sell-1' });
    // 0.00999 × 50 000 = 499.5; 0.1 % = 0.4995 USDT
    expect(order.fee).toEqual({ cost: 0.4995, currency: 'USDT' });
    const balance = await client.fetchBalance();
    expect(balance.BTC?.free ?? 0).toBe(0);
    expect(balance.USDT?.free).toBeCloseTo(1_000 + 499.5 - 0.4995, 9);
  });

  it('fetchOrder has no fills and so no fee; fetchMyTrades gives the commission in BTC, filtered by order id', async () => {
    const first = await client.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'b1' });
    await client.createOrder('BTC/USDT', 'market', 'buy', 0.002, undefined, { clientOrderId: 'b2' });
    const looked = await client.fetchOrder(String(first.id), 'BTC/USDT');
    expect(looked).toMatchObject({ status: 'closed', filled: 0.01, clientOrderId: 'b1' });
    expect(looked.fee).toBeUndefined();
    expect((looked.info as Record<string, unknown>).fills).toBeUndefined();

    const all = await client.fetchMyTrades('BTC/USDT');
    expect(all.map((t) => [t.order, t.amount, t.fee?.cost, t.fee?.currency, t.side])).toEqual([
      [first.id, 0.01, 0.00001, 'BTC', 'buy'],
      [expect.any(String), 0.002, 0.000002, 'BTC', 'buy'],
    ]);
    const ofFirst = await client.fetchMyTrades('BTC/USDT', undefined, undefined, { orderId: first.id });
    expect(ofFirst).toHaveLength(1);
    expect(ofFirst[0]).toMatchObject({ order: first.id, price: 50_000, amount: 0.01, cost: 500, fee: { cost: 0.00001, currency: 'BTC' } });
  });

  it('a market order walking the book fills at several prices, one commission per fill', async () => {
    emulator.book.depth = { levelQty: 0.004, levelTicks: 100 }; // 0.004 BTC per level, each 1 USDT worse
    const order = await client.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'walk' });
    expect(order.trades.map((t) => [t.price, t.amount, t.fee?.cost])).toEqual([
      [50_000, 0.004, 0.000004],
      [50_001, 0.004, 0.000004],
      [50_002, 0.002, 0.000002],
    ]);
    expect(order.cost).toBeCloseTo(200 + 200.004 + 100.004, 9);
    expect(order.fee).toEqual({ cost: 0.00001, currency: 'BTC' });
    expect((await client.fetchBalance()).BTC?.free).toBe(0.00999);
  });

  it('an account paying fees in the quote coin keeps the whole 0.01 BTC and pays 0.5 USDT', async () => {
    emulator.book.feeAsset = 'quote';
    const order = await client.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'q1' });
    expect(order.fee).toEqual({ cost: 0.5, currency: 'USDT' });
    const balance = await client.fetchBalance();
    expect(balance.BTC?.free).toBe(0.01);
    expect(balance.USDT?.free).toBe(499.5);
  });

  it('a marketable LIMIT buy answers FULL with its fill and the fee in BTC', async () => {
    const order = await client.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50_100, { clientOrderId: 'lim' });
    expect(order).toMatchObject({ status: 'closed', filled: 0.01, average: 50_000 });
    expect(order.fee).toEqual({ cost: 0.00001, currency: 'BTC' });
  });
});

describe('Binance emulator: margin fees in the coin received (real ccxt)', () => {
  let emulator: BinanceEmulator;
  let client: Exchange;
  beforeEach(async () => {
    emulator = await startBinanceEmulator();
    emulator.setPrice('BTCUSDT', 50_000);
    client = ccxtClient(emulator, 'margin');
  });
  afterEach(() => emulator.close());

  it('cross: a BUY credits 0.00999 BTC; margin myTrades reports the BTC commission', async () => {
    asset(emulator.book.marginCross, 'USDT').free = 1_000;
    const order = await client.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'm1', marginMode: 'cross' });
    expect(order.fee).toEqual({ cost: 0.00001, currency: 'BTC' });
    expect(emulator.book.marginCross.get('BTC')?.free).toBe(0.00999);
    expect(emulator.book.marginCross.get('USDT')?.free).toBe(500);
    const trades = await client.fetchMyTrades('BTC/USDT', undefined, undefined, { marginMode: 'cross' });
    expect(trades.map((t) => [t.amount, t.fee?.cost, t.fee?.currency])).toEqual([[0.01, 0.00001, 'BTC']]);
    expect(emulator.requests.at(-1)?.path).toBe('/sapi/v1/margin/myTrades');
  });

  it('isolated: trades of the isolated wallet are listed apart from cross ones', async () => {
    asset(emulator.book.marginWallet('BTCUSDT'), 'USDT').free = 1_000;
    await client.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'i1', marginMode: 'isolated' });
    expect(emulator.book.marginWallet('BTCUSDT').get('BTC')?.free).toBe(0.00999);
    expect(await client.fetchMyTrades('BTC/USDT', undefined, undefined, { marginMode: 'cross' })).toEqual([]);
    const isolated = await client.fetchMyTrades('BTC/USDT', undefined, undefined, { marginMode: 'isolated' });
    expect(isolated.map((t) => [t.amount, t.fee?.cost, t.fee?.currency])).toEqual([[0.01, 0.00001, 'BTC']]);
  });
});
