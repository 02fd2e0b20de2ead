/**
 * The Bybit v5 emulator's own behaviour, at the HTTP edge (a hand-signed request) and through
 * real ccxt `bybit`: Bybit's authentication, conditional orders, what holds coins, faults.
 */
import { createHmac } from 'node:crypto';
import ccxt, { type Exchange } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBybitEmulator, type BybitEmulator } from './bybit-server.ts';

let em: BybitEmulator;
beforeEach(async () => {
  em = await startBybitEmulator();
  em.book.addCoin('USDT', 10_000);
  em.setPrice('BTCUSDT', 50_000);
});
afterEach(() => em.close());

function client(type: 'spot' | 'swap', secret = em.secret): Exchange {
  return new ccxt.bybit({
    apiKey: em.apiKey,
    secret,
    enableRateLimit: false,
    timeout: 1_000,
    urls: { api: em.ccxtApiUrls() },
    options: { defaultType: type, fetchMarkets: { types: [type === 'swap' ? 'linear' : 'spot'] }, fetchOrder: { acknowledged: true } },
  });
}

/** a signed GET as Bybit documents it, timestamp and window chosen by the test */
async function signedGet(path: string, query: string, at = Date.now(), recvWindow = '5000', secret = em.secret) {
  const sign = createHmac('sha256', secret).update(`${at}${em.apiKey}${recvWindow}${query}`).digest('hex');
  const res = await fetch(`${em.url}${path}?${query}`, { headers: { 'X-BAPI-API-KEY': em.apiKey, 'X-BAPI-TIMESTAMP': String(at), 'X-BAPI-RECV-WINDOW': recvWindow, 'X-BAPI-SIGN': sign } });
  return (await res.json()) as { retCode: number; retMsg: string; result: Record<string, unknown> };
}

describe('Bybit emulator: authentication', () => {
  it('accepts HMAC-SHA256(timestamp + key + recvWindow + query) and refuses a wrong signature (10004) or a stale timestamp (10002)', async () => {
    const good = await signedGet('/v5/account/wallet-balance', 'accountType=UNIFIED');
    expect(good.retCode).toBe(0);
    expect((good.result.list as Array<{ coin: Array<{ coin: string; walletBalance: string }> }>)[0]!.coin).toMatchObject([{ coin: 'USDT', walletBalance: '10000' }]);
    expect((await signedGet('/v5/account/wallet-balance', 'accountType=UNIFIED', Date.now(), '5000', 'other')).retCode).toBe(10004);
    const stale = await signedGet('/v5/account/wallet-balance', 'accountType=UNIFIED', Date.now() - 6_000);
    expect(stale).toMatchObject({ retCode: 10002, retMsg: expect.stringMatching(/recv_window/) });
    expect((await signedGet('/v5/account/wallet-balance', 'accountType=UNIFIED', Date.now() - 6_000, '10000')).retCode).toBe(0);
  });

  it('a POST signs its JSON body; public market data needs no key', async () => {
    const body = JSON.stringify({ category: 'linear', symbol: 'BTCUSDT', buyLeverage: '3', sellLeverage: '3' });
    const at = Date.now();
    const headers = { 'content-type': 'application/json', 'X-BAPI-API-KEY': em.apiKey, 'X-BAPI-TIMESTAMP': String(at), 'X-BAPI-RECV-WINDOW': '5000' };
    const post = (sign: string) => fetch(`${em.url}/v5/position/set-leverage`, { method: 'POST', body, headers: { ...headers, 'X-BAPI-SIGN': sign } }).then((r) => r.json() as Promise<{ retCode: number }>);
    expect((await post(createHmac('sha256', em.secret).update(`${at}${em.apiKey}5000${body.replace('3', '4')}`).digest('hex'))).retCode).toBe(10004);
    expect((await post(createHmac('sha256', em.secret).update(`${at}${em.apiKey}5000${body}`).digest('hex'))).retCode).toBe(0);
    expect(em.book.leverage('BTCUSDT')).toBe(3);
    const tickers = (await (await fetch(`${em.url}/v5/market/tickers?category=spot&symbol=BTCUSDT`)).json()) as { result: { list: Array<{ lastPrice: string }> } };
    expect(tickers.result.list[0]!.lastPrice).toBe('50000');
  });

  it('ccxt with a wrong secret gets AuthenticationError from 10004', async () => {
    await expect(client('spot', 'wrong').fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
  });
});

describe('Bybit emulator: conditional orders', () => {
  it('a perpetual trigger on the wrong side of the price is refused: 110093 (falling) and 110092 (rising)', async () => {
    const ex = client('swap');
    await ex.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.01);
    await expect(ex.createOrder('BTC/USDT:USDT', 'market', 'sell', 0.01, undefined, { stopLossPrice: 50_100, reduceOnly: true })).rejects.toThrow(/110093/);
    await expect(ex.createOrder('BTC/USDT:USDT', 'market', 'sell', 0.01, undefined, { takeProfitPrice: 49_900, reduceOnly: true })).rejects.toThrow(/110092/);
  });

  it('a reduce-only stop with nothing left to reduce is Deactivated when it fires, never opening a position', async () => {
    const ex = client('swap');
    await ex.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.01);
    const stop = await ex.createOrder('BTC/USDT:USDT', 'market', 'sell', 0.01, undefined, { stopLossPrice: 49_000, reduceOnly: true });
    await ex.createOrder('BTC/USDT:USDT', 'market', 'sell', 0.01, undefined, { reduceOnly: true });
    em.setPrice('BTCUSDT', 48_900);
    expect(em.book.orders.find((o) => o.orderId === stop.id)).toMatchObject({ orderStatus: 'Deactivated', cumExecQty: 0 });
    expect(em.book.position('BTCUSDT').size).toBe(0);
  });

  it('spot: a StopOrder holds nothing until it fires; a tpslOrder (ccxt’s default for stopLossPrice) holds the coins', async () => {
    const ex = client('spot');
    await ex.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    await ex.createOrder('BTC/USDT', 'market', 'sell', 0.00999, undefined, { stopLossPrice: 48_000, orderFilter: 'StopOrder' });
    expect(em.book.locked('BTC')).toBe(0);
    await ex.createOrder('BTC/USDT', 'market', 'sell', 0.005, undefined, { stopLossPrice: 47_000 });
    expect(em.book.orders.at(-1)).toMatchObject({ orderFilter: 'tpslOrder' });
    expect(em.book.locked('BTC')).toBe(0.005);
    expect((await ex.fetchBalance()).BTC).toMatchObject({ total: 0.00999, used: 0.005, free: 0.00499 });
  });

  it('a fired stop keeps its orderId: realtime by client id shows it Filled with its fee in cumFeeDetail', async () => {
    const ex = client('swap');
    await ex.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.02);
    await ex.createOrder('BTC/USDT:USDT', 'market', 'sell', 0.02, undefined, { stopLossPrice: 49_000, reduceOnly: true, clientOrderId: 'stop-1' });
    em.setPrice('BTCUSDT', 48_950);
    const raw = (await (ex as unknown as { privateGetV5OrderRealtime(p: object): Promise<{ result: { list: Array<Record<string, unknown>> } }> }).privateGetV5OrderRealtime({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'stop-1', orderFilter: 'StopOrder' })).result.list;
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatchObject({ orderStatus: 'Filled', stopOrderType: 'Stop', triggerPrice: '49000', cumExecQty: '0.02', avgPrice: '48950', cumFeeDetail: { USDT: String(0.02 * 48_950 * 0.00055) } });
  });
});

describe('Bybit emulator: faults', () => {
  it('drop-after-accept: the order exists although the answer was lost; hold-then-execute: it appears only later', async () => {
    const ex = client('spot');
    em.inject({ path: '/v5/order/create', fault: { kind: 'drop-after-accept' } });
    await expect(ex.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { clientOrderId: 'lost' })).rejects.toBeInstanceOf(ccxt.NetworkError);
    expect((await ex.fetchOrder('', 'BTC/USDT', { orderLinkId: 'lost' })).status).toBe('closed');

    em.inject({ path: '/v5/order/create', fault: { kind: 'hold-then-execute', delayMs: 1_500 } });
    await expect(ex.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { clientOrderId: 'late' })).rejects.toBeInstanceOf(ccxt.RequestTimeout);
    await expect(ex.fetchOrder('', 'BTC/USDT', { orderLinkId: 'late' })).rejects.toBeInstanceOf(ccxt.OrderNotFound);
    await new Promise((r) => setTimeout(r, 700));
    expect((await ex.fetchOrder('', 'BTC/USDT', { orderLinkId: 'late' })).status).toBe('closed');
  });

  it('rate limit (10006) and a 502 from the gateway map to ccxt’s RateLimitExceeded and ExchangeNotAvailable', async () => {
    const ex = client('spot');
    await ex.loadMarkets();
    em.inject({ path: '/v5/market/tickers', fault: { kind: 'rate-limit' } });
    await expect(ex.fetchTicker('BTC/USDT')).rejects.toBeInstanceOf(ccxt.RateLimitExceeded);
    em.inject({ path: '/v5/market/tickers', fault: { kind: 'server-error' } });
    await expect(ex.fetchTicker('BTC/USDT')).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    expect((await ex.fetchTicker('BTC/USDT')).last).toBe(50_000);
  });
});
