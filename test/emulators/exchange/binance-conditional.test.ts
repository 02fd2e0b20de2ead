/**
 * Conditional orders as Binance keeps them. Spot: a STOP_LOSS_LIMIT sell locks the coins (a market
 * sell of them is refused), cancel unlocks, and it fires when the price crosses its stop. USD-M:
 * STOP_MARKET algo orders (reduceOnly or closePosition), seen only with trigger: true, -4130 for a
 * second closePosition stop, -2021 for a trigger already crossed, fired by the price. Real ccxt.
 */
import type { Exchange } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBinanceEmulator, type BinanceEmulator } from './binance-server.ts';
import { ccxtClient } from './ccxt-client.ts';

describe('Binance emulator: spot stop-loss orders (real ccxt)', () => {
  let emulator: BinanceEmulator;
  let client: Exchange;
  beforeEach(async () => {
    emulator = await startBinanceEmulator();
    emulator.book.spot('BTC').free = 0.00999;
    emulator.setPrice('BTCUSDT', 50_000);
    client = ccxtClient(emulator, 'spot');
    await client.loadMarkets();
  });
  afterEach(() => emulator.close());

  const stop = () => client.createOrder('BTC/USDT', 'limit', 'sell', 0.00999, 47_900, { stopLossPrice: 48_000, clientOrderId: 'sl-1' });

  it('a STOP_LOSS_LIMIT sell locks the coins: a market sell of them is -2010; cancel unlocks', async () => {
    const order = await stop();
    expect(emulator.requests.at(-1)?.params).toMatchObject({ type: 'STOP_LOSS_LIMIT', stopPrice: '48000', price: '47900', timeInForce: 'GTC' });
    expect(order).toMatchObject({ status: 'open', type: 'limit', triggerPrice: 48_000, filled: 0 });
    const locked = await client.fetchBalance();
    expect(locked.BTC).toMatchObject({ free: 0, used: 0.00999, total: 0.00999 });
    await expect(client.createOrder('BTC/USDT', 'market', 'sell', 0.00999)).rejects.toThrow(/Account has insufficient balance for requested action/);
    expect(await client.fetchOpenOrders('BTC/USDT')).toHaveLength(1);
    await client.cancelOrder(String(order.id), 'BTC/USDT');
    expect((await client.fetchBalance()).BTC).toMatchObject({ free: 0.00999, used: 0 });
    expect((await client.createOrder('BTC/USDT', 'market', 'sell', 0.00999)).status).toBe('closed');
  });

  it('a stop for the 0.01 BTC bought is refused when the fee left 0.00999 (-2010)', async () => {
    await expect(client.createOrder('BTC/USDT', 'limit', 'sell', 0.01, 47_900, { stopLossPrice: 48_000 })).rejects.toThrow(/Account has insufficient balance for requested action/);
    expect((await client.fetchBalance()).BTC).toMatchObject({ free: 0.00999, used: 0 });
  });

  it('a stop the price already crossed is refused: "Stop price would trigger immediately."', async () => {
    await expect(client.createOrder('BTC/USDT', 'limit', 'sell', 0.00999, 50_500, { stopLossPrice: 51_000 })).rejects.toThrow(/Stop price would trigger immediately/);
  });

  it('fires when the price falls through the stop: sold at the market, the fee in USDT', async () => {
    const order = await stop();
    emulator.setPrice('BTCUSDT', 48_500);
    expect((await client.fetchOrder(String(order.id), 'BTC/USDT')).status).toBe('open');
    emulator.setPrice('BTCUSDT', 47_950);
    const done = await client.fetchOrder(String(order.id), 'BTC/USDT');
    expect(done).toMatchObject({ status: 'closed', filled: 0.00999, average: 47_950 });
    const [trade] = await client.fetchMyTrades('BTC/USDT');
    expect(trade?.fee).toEqual({ cost: 0.47902050, currency: 'USDT' }); // 0.00999 × 47 950 × 0.1 %
    const balance = await client.fetchBalance();
    expect(balance.BTC?.total ?? 0).toBe(0);
    expect(balance.USDT?.free).toBeCloseTo(479.0205 - 0.4790205, 9);
  });

  it('a stop-limit that gaps below its limit becomes a working limit order, still locked', async () => {
    const order = await stop();
    emulator.setPrice('BTCUSDT', 47_000);
    const working = await client.fetchOrder(String(order.id), 'BTC/USDT');
    expect(working.status).toBe('open');
    expect((working.info as Record<string, unknown>).isWorking).toBe(true);
    expect((await client.fetchBalance()).BTC).toMatchObject({ free: 0, used: 0.00999 });
  });
});

describe('Binance emulator: resting limit orders (real ccxt)', () => {
  let emulator: BinanceEmulator;
  beforeEach(async () => {
    emulator = await startBinanceEmulator();
    emulator.setPrice('BTCUSDT', 50_000);
  });
  afterEach(() => emulator.close());

  it('spot: a limit buy locks quantity × price of USDT and fills at its own price when the market comes down to it', async () => {
    emulator.book.spot('USDT').free = 1_000;
    const client = ccxtClient(emulator, 'spot');
    const order = await client.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 49_000);
    expect((await client.fetchBalance()).USDT).toMatchObject({ free: 510, used: 490 });
    emulator.setPrice('BTCUSDT', 49_500);
    expect((await client.fetchOrder(String(order.id), 'BTC/USDT')).status).toBe('open');
    emulator.setPrice('BTCUSDT', 48_800);
    expect(await client.fetchOrder(String(order.id), 'BTC/USDT')).toMatchObject({ status: 'closed', filled: 0.01, average: 49_000 });
    const balance = await client.fetchBalance();
    expect(balance.USDT).toMatchObject({ free: 510, used: 0 });
    expect(balance.BTC?.free).toBe(0.00999);
  });

  it('futures: a resting limit sell opens a short at its price when reached', async () => {
    emulator.book.futuresWallet = 1_000;
    const client = ccxtClient(emulator, 'futures');
    await client.createOrder('BTC/USDT:USDT', 'limit', 'sell', 0.01, 51_000);
    expect(await client.fetchPositions(['BTC/USDT:USDT'])).toEqual([]);
    emulator.setPrice('BTCUSDT', 51_200);
    expect((await client.fetchPositions(['BTC/USDT:USDT']))[0]).toMatchObject({ side: 'short', contracts: 0.01, entryPrice: 51_000 });
  });
});

describe('Binance emulator: USD-M algo stop orders (real ccxt)', () => {
  const BTC = 'BTC/USDT:USDT';
  let emulator: BinanceEmulator;
  let client: Exchange;
  beforeEach(async () => {
    emulator = await startBinanceEmulator();
    emulator.book.futuresWallet = 1_000;
    emulator.setPrice('BTCUSDT', 50_000);
    client = ccxtClient(emulator, 'futures');
    await client.loadMarkets();
    await client.createOrder(BTC, 'market', 'buy', 0.01);
  });
  afterEach(() => emulator.close());

  it('a reduce-only STOP_MARKET goes to /fapi/v1/algoOrder, is seen only with trigger: true, and cancels there', async () => {
    const stop = await client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { stopLossPrice: 48_000, reduceOnly: true, clientOrderId: 'stop-1' });
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'POST', path: '/fapi/v1/algoOrder', params: { algoType: 'CONDITIONAL', type: 'STOP_MARKET', triggerPrice: '48000', reduceOnly: 'true', clientAlgoId: 'stop-1' } });
    expect(stop).toMatchObject({ status: 'open', triggerPrice: 48_000, amount: 0.01, clientOrderId: 'stop-1' });
    expect(await client.fetchOpenOrders(BTC)).toEqual([]);
    const open = await client.fetchOpenOrders(BTC, undefined, undefined, { trigger: true });
    expect(open.map((o) => o.id)).toEqual([stop.id]);
    expect((await client.fetchOrder(String(stop.id), BTC, { trigger: true })).status).toBe('open');
    await client.cancelOrder(String(stop.id), BTC, { trigger: true });
    expect((await client.fetchOrder(String(stop.id), BTC, { trigger: true })).status).toBe('canceled');
  });

  it('a second closePosition stop of the same type and side is -4130; a crossed trigger is -2021', async () => {
    await client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { stopLossPrice: 48_000, closePosition: true });
    await expect(client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { stopLossPrice: 47_000, closePosition: true })).rejects.toThrow(/-4130/);
    await expect(client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { stopLossPrice: 51_000, reduceOnly: true })).rejects.toThrow(/-2021.*Order would immediately trigger/);
    // a take-profit on the same side is another type: accepted
    await client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { takeProfitPrice: 55_000, closePosition: true });
    expect(await client.fetchOpenOrders(BTC, undefined, undefined, { trigger: true })).toHaveLength(2);
  });

  it('the price crossing a closePosition stop closes the whole position; the order ends FINISHED', async () => {
    await client.createOrder(BTC, 'market', 'buy', 0.005); // 0.015 held now
    const stop = await client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { stopLossPrice: 48_000, closePosition: true });
    emulator.setPrice('BTCUSDT', 49_000);
    expect(await client.fetchPositions([BTC])).toHaveLength(1);
    emulator.setPrice('BTCUSDT', 47_990);
    expect(await client.fetchPositions([BTC])).toEqual([]);
    const fired = await client.fetchOrder(String(stop.id), BTC, { trigger: true });
    expect(fired.status).toBe('closed');
    const [trade] = (await client.fetchMyTrades(BTC)).slice(-1);
    expect(trade).toMatchObject({ side: 'sell', amount: 0.015, price: 47_990 });
    expect(emulator.book.futuresWallet).toBeCloseTo(1_000 - 0.015 * 2_010 - 0.0004 * (500 + 250 + 0.015 * 47_990), 6);
  });

  it('hedge mode: a closePosition stop on LONG closes the long only, the short stays', async () => {
    await client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { reduceOnly: true });
    await client.setPositionMode(true, BTC);
    await client.createOrder(BTC, 'market', 'buy', 0.02, undefined, { positionSide: 'LONG' });
    await client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { positionSide: 'SHORT' });
    await client.createOrder(BTC, 'market', 'sell', 0.02, undefined, { stopLossPrice: 48_000, closePosition: true, positionSide: 'LONG' });
    expect(emulator.requests.at(-1)?.params).toMatchObject({ positionSide: 'LONG', closePosition: 'true' });
    emulator.setPrice('BTCUSDT', 47_500);
    const left = await client.fetchPositions([BTC]);
    expect(left.map((p) => [p.side, p.contracts, (p.info as Record<string, string>).positionSide])).toEqual([['short', 0.01, 'SHORT']]);
  });
});
