/**
 * The Kraken spot emulator's own rules, through real ccxt `kraken` where ccxt sends the request
 * and raw HTTP where only another client would: Kraken's signature and nonce, its error array,
 * fees in the quote currency, order minimum and volume decimals, cl_ord_id formats, a
 * stop-loss-limit that holds the coins and fires on the price, margin lots and TradeBalance.
 */
import ccxt, { AuthenticationError, ExchangeError, InsufficientFunds, InvalidNonce, type Exchange } from 'ccxt';
import { afterEach, describe, expect, it } from 'vitest';
import { startKrakenSpotEmulator, type KrakenSpotEmulator } from './kraken-server.ts';

let e: KrakenSpotEmulator;
afterEach(() => e?.close());

function client(credentials: { apiKey?: string; secret?: string } = {}): Exchange {
  return new ccxt.kraken({
    apiKey: credentials.apiKey ?? e.apiKey,
    secret: credentials.secret ?? e.secret,
    timeout: 2_000,
    enableRateLimit: false,
    urls: { api: e.ccxtApiUrls() },
  });
}

async function start() {
  e = await startKrakenSpotEmulator();
  e.book.setCash('USDT', 10_000);
  e.setPrice('XBTUSDT', 50_000);
}

describe('Kraken spot emulator', () => {
  it('markets: BTC/USDT from XBTUSDT with Kraken\'s minimum, volume and price decimals, margin up to 5×', async () => {
    await start();
    const c = client();
    const markets = await c.loadMarkets();
    expect(markets['BTC/USDT']).toMatchObject({ id: 'XBTUSDT', base: 'BTC', quote: 'USDT', spot: true, margin: true, taker: 0.004, precision: { amount: 1e-8, price: 0.1 }, limits: { amount: { min: 0.00005 }, cost: { min: 0.5 }, leverage: { max: 5 } } });
    expect((await c.fetchTicker('BTC/USDT')).last).toBe(50_000);
    expect(await c.fetchTime()).toBeGreaterThan(0);
  });

  it('authentication: a wrong key, a wrong secret and a nonce that does not grow are refused with Kraken\'s texts', async () => {
    await start();
    await expect(client({ apiKey: 'nope' }).fetchBalance()).rejects.toBeInstanceOf(AuthenticationError);
    const wrongSecret = await client({ secret: Buffer.from('another-secret').toString('base64') }).fetchBalance().catch((error: unknown) => error);
    expect(wrongSecret).toBeInstanceOf(ExchangeError);
    expect(String(wrongSecret)).toContain('EAPI:Invalid signature');
    const c = client();
    await c.loadMarkets();
    const signed = c.sign('BalanceEx', 'private', 'POST', {}) as { url: string; headers: Record<string, string>; body: string };
    const first = await (await fetch(signed.url, { method: 'POST', headers: signed.headers, body: signed.body })).json();
    expect(first).toMatchObject({ error: [] });
    const replay = await (await fetch(signed.url, { method: 'POST', headers: signed.headers, body: signed.body })).json();
    expect(replay).toEqual({ error: ['EAPI:Invalid nonce'], result: {} });
    await expect(c.fetchBalance()).resolves.toBeDefined();
    c.options['timeDifference'] = 10_000_000; // a clock far behind: its nonce is below the last one
    await expect(c.fetchBalance()).rejects.toBeInstanceOf(InvalidNonce);
  });

  it('a market buy pays its fee in USDT (0.40 %), a sell too; fcib takes it in BTC', async () => {
    await start();
    const c = client();
    const buy = await c.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'buy-1' });
    expect(buy.info).toEqual({ descr: { order: 'buy 0.01000000 XBTUSDT @ market' }, txid: [buy.id] });
    const order = await c.fetchOrder(buy.id!, 'BTC/USDT');
    expect(order).toMatchObject({ status: 'closed', filled: 0.01, average: 50_000, cost: 500, clientOrderId: 'buy-1' });
    expect(Number(order.fee?.cost)).toBe(2); // ccxt leaves Kraken's fee text as it came and names no currency (the quote, unless fcib)
    expect(e.book.cash('BTC')).toBe(0.01);
    expect(e.book.cash('USDT')).toBe(10_000 - 500 - 2);
    await c.createOrder('BTC/USDT', 'market', 'sell', 0.004, undefined, {});
    expect(e.book.cash('USDT')).toBeCloseTo(9_498 + 200 - 0.8, 8);
    await c.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { oflags: 'fcib' });
    expect(e.book.cash('BTC')).toBeCloseTo(0.006 + 0.001 - 0.000004, 12);
    const [trade] = await c.fetchMyTrades('BTC/USDT');
    expect(trade).toMatchObject({ order: buy.id, price: 50_000, amount: 0.01, fee: { cost: 2, currency: 'USDT' } });
  });

  it('refusals: below the minimum, too many volume or price decimals, a cl_ord_id Kraken does not take, no funds', async () => {
    await start();
    const c = client();
    await c.loadMarkets();
    await expect(c.createOrder('BTC/USDT', 'market', 'buy', 0.00004)).rejects.toThrow('EOrder:Order minimum not met');
    const raw = async (params: Record<string, string>) => {
      const s = c.sign('AddOrder', 'private', 'POST', params) as { url: string; headers: Record<string, string>; body: string };
      return (await fetch(s.url, { method: 'POST', headers: s.headers, body: s.body })).json();
    };
    expect(await raw({ pair: 'XBTUSDT', type: 'buy', ordertype: 'market', volume: '0.000000001' })).toEqual({ error: ['EGeneral:Invalid arguments:volume'], result: {} });
    expect(await raw({ pair: 'XBTUSDT', type: 'buy', ordertype: 'limit', volume: '0.01', price: '49000.05' })).toEqual({ error: ['EOrder:Invalid price:XBTUSDT price can only be specified up to 1 decimals.'], result: {} });
    // 31 characters, neither a UUID nor free text of at most 18
    await expect(c.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'ase0123456789abcdef0123456789n1' })).rejects.toThrow('EGeneral:Invalid arguments:cl_ord_id');
    await expect(c.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: '0123456789abcdef0123456789abcdef' })).resolves.toBeDefined();
    await expect(c.createOrder('BTC/USDT', 'market', 'buy', 1)).rejects.toBeInstanceOf(InsufficientFunds);
    await expect(c.createOrder('BTC/USDT', 'market', 'sell', 1)).rejects.toThrow('EOrder:Insufficient funds');
    expect(e.book.orders).toHaveLength(1);
  });

  it('a stop-loss-limit sell holds the coins (hold_trade), a sell beyond the rest is refused; at the trigger it fills at the price', async () => {
    await start();
    const c = client();
    await c.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    const stop = await c.createOrder('BTC/USDT', 'limit', 'sell', 0.01, 48_510, { stopLossPrice: 49_000, clientOrderId: 'stop-1' });
    expect(stop.info.descr).toEqual({ order: 'sell 0.01000000 XBTUSDT @ stop loss 49000.0 -> limit 48510.0' });
    const balance = await c.fetchBalance();
    expect(balance['BTC']).toMatchObject({ total: 0.01, used: 0.01, free: 0 });
    await expect(c.createOrder('BTC/USDT', 'market', 'sell', 0.005)).rejects.toBeInstanceOf(InsufficientFunds);
    const open = await c.fetchOpenOrders('BTC/USDT', undefined, undefined, { clientOrderId: 'stop-1' });
    expect(open.map((o) => [o.id, o.stopLossPrice, o.price, o.clientOrderId])).toEqual([[stop.id, 49_000, 48_510, 'stop-1']]);
    e.setPrice('XBTUSDT', 49_200);
    expect(e.book.orders[1]!.status).toBe('open');
    e.setPrice('XBTUSDT', 48_950);
    const fired = await c.fetchOrder(stop.id!, 'BTC/USDT');
    expect(fired).toMatchObject({ status: 'closed', filled: 0.01, average: 48_950 });
    expect(Number(fired.fee?.cost)).toBeCloseTo(1.958, 10);
    expect(e.book.cash('BTC')).toBe(0);
    await expect(c.cancelOrder(stop.id!, 'BTC/USDT')).rejects.toThrow('EOrder:Unknown order');
  });

  it('margin: a 3× long posts a third of its cost, closes against an opposite order with leverage; TradeBalance reports the margin level', async () => {
    await start();
    const c = client();
    await c.createOrder('BTC/USDT', 'market', 'buy', 0.3, undefined, { leverage: 3 });
    expect(e.book.cash('BTC')).toBe(0);
    expect(e.book.cash('USDT')).toBe(10_000 - 60); // the fee only
    const [position] = await c.fetchPositions(['BTC/USDT']);
    expect(position).toMatchObject({ symbol: 'BTC/USDT', side: 'long', contracts: 0.3, leverage: 3, initialMargin: 5_000 });
    e.setPrice('XBTUSDT', 51_000);
    const balance = (await c.privatePostTradeBalance({})) as { result: Record<string, string> };
    expect(balance.result).toMatchObject({ m: '5000.0000', n: '300.0000', e: '10240.0000', mf: '5240.0000', ml: '204.8000' });
    await expect(c.createOrder('BTC/USDT', 'market', 'buy', 0.6, undefined, { leverage: 5 })).rejects.toThrow('EOrder:Margin level too low');
    await expect(c.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { leverage: 7 })).rejects.toThrow('EGeneral:Invalid arguments:leverage');
    await c.createOrder('BTC/USDT', 'market', 'sell', 0.5, undefined, { leverage: 3, reduceOnly: true });
    expect(await c.fetchPositions(['BTC/USDT'])).toEqual([]);
    expect(e.book.cash('USDT')).toBeCloseTo(10_000 - 60 + 300 - 61.2, 8);
    await expect(c.createOrder('BTC/USDT', 'market', 'sell', 0.1, undefined, { leverage: 3, reduceOnly: true })).rejects.toThrow('EOrder:Reduce only:No position exists');
    await expect(c.createOrder('BTC/USDT', 'market', 'sell', 0.1, undefined, { reduceOnly: true })).rejects.toThrow('EOrder:Reduce only:Non-PC');
  });
});
