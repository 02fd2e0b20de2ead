/**
 * The OKX emulator's own rules, through real ccxt where ccxt sends the request and raw HTTP
 * where only a broken client would: authentication failures, algo orders that fail when they fire,
 * cross and isolated positions kept apart, limit orders and OKX's price limit, settings refused
 * while a position is open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError, InsufficientFunds, InvalidNonce } from 'ccxt';
import { okxClient } from './okx-client.ts';
import { startOkxEmulator, type OkxEmulator } from './okx-server.ts';

let e: OkxEmulator;
afterEach(() => e?.close());

async function start(options: Parameters<typeof startOkxEmulator>[0] = {}) {
  e = await startOkxEmulator(options);
  e.book.balances.set('USDT', 10_000);
  e.setPrice('BTC-USDT', 50_000);
  e.setPrice('BTC-USDT-SWAP', 50_000);
}

describe('OKX emulator', () => {
  it('a request signed more than 30 s away from the server clock is refused (50102); headers missing (50103)', async () => {
    await start({ now: () => Date.now() + 60_000 });
    const client = okxClient(e, 'spot');
    await expect(client.fetchBalance()).rejects.toBeInstanceOf(InvalidNonce);
    const raw = await fetch(`${e.url}/api/v5/account/balance`);
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ code: '50103' });
    expect(e.book.orders).toEqual([]);
  });

  it('the signature covers the query: a tampered query is refused (50113)', async () => {
    await start();
    const client = okxClient(e, 'spot');
    await client.loadMarkets();
    const sign = client.sign('account/balance', 'private', 'GET', { ccy: 'USDT' }) as { url: string; headers: Record<string, string> };
    const ok = await fetch(sign.url, { headers: sign.headers });
    expect(await ok.json()).toMatchObject({ code: '0' });
    const tampered = await fetch(sign.url.replace('ccy=USDT', 'ccy=BTC'), { headers: sign.headers });
    expect(await tampered.json()).toMatchObject({ code: '50113', msg: 'Invalid Sign' });
    await expect(okxClient(e, 'spot', { password: 'nope' }).fetchBalance()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('a spot stop holds no coins; if they are gone when it fires, it fails (order_failed, 51008) and sells nothing', async () => {
    await start();
    const client = okxClient(e, 'spot');
    await client.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clOrdId: 'buy1' });
    await client.createOrder('BTC/USDT', 'market', 'sell', 0.00999, undefined, { stopLossPrice: 49_000, tdMode: 'cash', algoClOrdId: 'stop1' });
    await client.createOrder('BTC/USDT', 'market', 'sell', 0.00999, undefined, { clOrdId: 'byhand' }); // the trader sells by hand
    e.setPrice('BTC-USDT', 48_900);
    const algo = await client.fetchOrder('', 'BTC/USDT', { trigger: true, clOrdId: 'stop1' });
    expect(algo.status).toBe('canceled'); // ccxt's reading of order_failed
    expect(e.book.algos[0]).toMatchObject({ state: 'order_failed', failCode: '51008', ordId: '' });
    expect(e.book.fills.filter((f) => f.side === 'sell')).toHaveLength(1);
  });

  it('a spot algo order in tdMode cross is refused (the emulator takes spot algo orders in cash only, see README)', async () => {
    await start();
    const client = okxClient(e, 'spot');
    await expect(client.createOrder('BTC/USDT', 'market', 'sell', 0.001, undefined, { stopLossPrice: 49_000, algoClOrdId: 'x1' })).rejects.toThrow(/tdMode/);
  });

  it('cross and isolated positions of one swap are apart: a cross reduce-only order cannot close an isolated long (51169)', async () => {
    await start();
    const client = okxClient(e, 'swap');
    await client.createOrder('BTC/USDT:USDT', 'market', 'buy', 2, undefined, { marginMode: 'isolated', clOrdId: 'iso1' });
    await expect(client.createOrder('BTC/USDT:USDT', 'market', 'sell', 2, undefined, { marginMode: 'cross', reduceOnly: true, clOrdId: 'cr1' })).rejects.toThrow(/51169/);
    await client.createOrder('BTC/USDT:USDT', 'market', 'sell', 2, undefined, { marginMode: 'isolated', reduceOnly: true, clOrdId: 'iso2' });
    expect((await client.fetchPositions()).length).toBe(0);
  });

  it('limit orders: beyond the 5 % price limit 51006; a resting buy holds its USDT and fills when the price comes; set-position-mode refused with a position (59000)', async () => {
    await start();
    const spot = okxClient(e, 'spot');
    await expect(spot.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 53_000, { clOrdId: 'far' })).rejects.toThrow(/51006/);
    await spot.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 49_500, { clOrdId: 'rest1' });
    expect((await spot.fetchBalance()).USDT).toMatchObject({ free: 9_505, total: 10_000 });
    await expect(spot.createOrder('BTC/USDT', 'market', 'buy', 0.2, undefined, { clOrdId: 'big' })).rejects.toBeInstanceOf(InsufficientFunds);
    e.setPrice('BTC-USDT', 49_400);
    expect(await spot.fetchOrder('', 'BTC/USDT', { clOrdId: 'rest1' })).toMatchObject({ status: 'closed', average: 49_500, filled: 0.01 });
    const swap = okxClient(e, 'swap');
    await swap.createOrder('BTC/USDT:USDT', 'market', 'buy', 1, undefined, { marginMode: 'cross', clOrdId: 'p1' });
    await expect(swap.setPositionMode(true)).rejects.toThrow(/59000/);
  });
});
