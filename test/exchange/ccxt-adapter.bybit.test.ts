/**
 * The ccxt adapter on Bybit v5 (unified trading account) at the protocol edge: real ccxt `bybit`
 * against the Bybit emulator, the adapter built by the production factory, for every mode /connect
 * offers (spot, spot margin, USDT perpetuals cross and isolated), the key check and the backstop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeError } from '../../src/exchange/port.ts';
import { startBybitHarness, type BybitHarness } from './bybit-support.ts';

const SPOT = 'BTC/USDT';
const PERP = 'BTC/USDT:USDT';
const caught = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as ExchangeError);
const orderPosts = (h: BybitHarness) => h.emulator.requests.filter((r) => r.path === '/v5/order/create');

let h: BybitHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Bybit spot (real ccxt, emulator)', () => {
  it('loads only spot markets, with Bybit filters', async () => {
    h = await startBybitHarness('spot');
    const markets = await h.exchange.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(markets[SPOT]).toMatchObject({ type: 'spot', tickSize: 0.01, stepSize: 0.000001, minQty: 0.000048, minCost: 5 });
  });

  it('candles come from /v5/market/kline (Bybit lists newest first), oldest first for the bot', async () => {
    h = await startBybitHarness('spot');
    const hour = 3_600_000;
    const t0 = Date.UTC(2026, 0, 7, 0);
    h.emulator.setCandles('BTCUSDT', [0, 1, 2, 3].map((i) => ({ time: t0 + i * hour, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 10 + i })));
    const candles = await h.exchange.fetchCandles!(SPOT, '1h', 3);
    expect(candles).toEqual([1, 2, 3].map((i) => ({ time: t0 + i * hour, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 10 + i })));
    expect(h.emulator.requests.at(-1)).toMatchObject({ path: '/v5/market/kline', signed: false, params: { category: 'spot', symbol: 'BTCUSDT', interval: '60', limit: '3' } });
  });

  it('a market buy pays its fee in the coin bought: 0.02 BTC bought, 0.01998 BTC held', async () => {
    h = await startBybitHarness('spot');
    const order = await h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.02, clientOrderId: 'buy-1' });
    expect(order).toMatchObject({ status: 'closed', filledQty: 0.02, avgPrice: 50_000, fee: 0.00002, feeCurrency: 'BTC' });
    expect(orderPosts(h)[0]!.params).toMatchObject({ category: 'spot', side: 'Buy', orderType: 'Market', marketUnit: 'baseCoin', qty: '0.02', orderLinkId: 'buy-1' });
    const balance = await h.exchange.fetchBalance();
    expect(balance.BTC).toMatchObject({ free: 0.01998, total: 0.01998 });
    expect(balance.USDT?.total).toBe(9_000);
    // a close sells what is held, and that fee is taken in USDT
    h.emulator.setPrice('BTCUSDT', 51_000);
    const sold = await h.exchange.closePosition({ symbol: SPOT, clientOrderId: 'sell-1' });
    expect(sold).toMatchObject({ side: 'sell', filledQty: 0.01998, avgPrice: 51_000, feeCurrency: 'USDT' });
    expect(sold.fee).toBeCloseTo(0.01998 * 51_000 * 0.001, 9);
    const trades = await h.exchange.fetchMyTrades!(SPOT, 0);
    expect(trades.map((t) => [t.side, t.qty, t.price])).toEqual([
      ['buy', 0.02, 50_000],
      ['sell', 0.01998, 51_000],
    ]);
    expect(trades[0]!.feeInQuote).toBeCloseTo(0.00002 * 50_000, 9);
  });

  it('not enough USDT: Bybit 170131 → "Insufficient funds … Check your wallet" (seed Appendix B)', async () => {
    h = await startBybitHarness('spot', { usdt: 100 });
    const error = await caught(h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.01, clientOrderId: 'poor' }));
    expect(error?.code).toBe('INSUFFICIENT_FUNDS');
    expect(error?.message).toBe('Insufficient funds: not enough balance for this order. Check your wallet.');
    expect(h.emulator.requests.at(-1)?.retCode).toBe(170131);
  });

  it('an order under the minimum value is refused before it is sent', async () => {
    h = await startBybitHarness('spot');
    const error = await caught(h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.00005, clientOrderId: 'tiny' }));
    expect(error?.code).toBe('ORDER_BELOW_MINIMUM');
    expect(orderPosts(h)).toHaveLength(0);
  });

  it('the key check reads /v5/user/query-api: withdrawal permission and read-only keys', async () => {
    h = await startBybitHarness('spot');
    expect(await h.exchange.keyPermissions!()).toEqual({ canWithdraw: false, canTrade: true, canFutures: true });
    h.emulator.keyInfo.permissions.Wallet.push('Withdraw');
    h.emulator.keyInfo.readOnly = 1;
    expect(await h.exchange.keyPermissions!()).toEqual({ canWithdraw: true, canTrade: false, canFutures: false });
  });

  it('a wrong key is 10003 and a wrong secret 10004: both AUTH_FAILED, never retried', async () => {
    h = await startBybitHarness('spot');
    const wrongKey = h.reconnect({ credentials: { apiKey: 'not-the-key', secret: h.emulator.secret } });
    expect((await caught(wrongKey.fetchBalance()))?.code).toBe('AUTH_FAILED');
    expect(h.emulator.requests.at(-1)?.retCode).toBe(10003);
    const wrongSecret = h.reconnect({ credentials: { apiKey: h.emulator.apiKey, secret: 'not-the-secret' } });
    expect((await caught(wrongSecret.fetchBalance()))?.code).toBe('AUTH_FAILED');
    expect(h.emulator.requests.at(-1)?.retCode).toBe(10004);
    expect(h.waits).toEqual([]);
  });

  it('"Too many visits" (10006) is retried and then succeeds', async () => {
    h = await startBybitHarness('spot');
    await h.exchange.loadMarkets();
    h.emulator.inject({ path: '/v5/account/wallet-balance', times: 2, fault: { kind: 'rate-limit' } });
    expect((await h.exchange.fetchBalance()).USDT?.total).toBe(10_000);
    expect(h.waits).toHaveLength(2);
  });

  it('backstop: a conditional StopOrder that holds no coins, amended in place, fired → its fill', async () => {
    h = await startBybitHarness('spot');
    await h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.02, clientOrderId: 'buy-bs' });
    const placed = await h.exchange.placeStop!({ symbol: SPOT, side: 'long', qty: 0.01998, stopPrice: 48_000.004, clientOrderId: 'bs-spot-1' });
    expect(placed).toMatchObject({ status: 'open', stopPrice: 48_000, qty: 0.01998 });
    const stop = h.emulator.book.orders.at(-1)!;
    expect(stop).toMatchObject({ orderFilter: 'StopOrder', orderStatus: 'Untriggered', side: 'Sell', triggerPrice: 48_000, triggerDirection: 2, locked: undefined });
    expect((await h.exchange.fetchBalance()).BTC?.free).toBe(0.01998); // nothing held back: a partial sell never meets our own stop

    const amended = await h.exchange.amendStop!(SPOT, { id: placed.id }, { symbol: SPOT, side: 'long', qty: 0.015, stopPrice: 48_500, clientOrderId: 'bs-spot-1' });
    expect(amended).toMatchObject({ id: placed.id, stopPrice: 48_500, qty: 0.015 });
    expect(h.emulator.book.orders.filter((o) => o.triggerPrice > 0)).toHaveLength(1);
    expect(stop).toMatchObject({ orderId: placed.id, triggerPrice: 48_500, qty: 0.015 });
    expect(await h.exchange.fetchStop!(SPOT, { clientOrderId: 'bs-spot-1' })).toMatchObject({ status: 'open', stopPrice: 48_500, qty: 0.015 });

    h.emulator.setPrice('BTCUSDT', 48_400);
    const fired = await h.exchange.fetchStop!(SPOT, { clientOrderId: 'bs-spot-1' });
    expect(fired).toMatchObject({ status: 'closed', fill: { filledQty: 0.015, avgPrice: 48_400, feeCurrency: 'USDT' } });
    expect(fired?.fill?.fee).toBeCloseTo(0.015 * 48_400 * 0.001, 9);
    expect(await h.exchange.cancelStop!(SPOT, { clientOrderId: 'bs-spot-1' })).toBeUndefined();
  });
});

describe('Bybit spot margin (isLeverage 1)', () => {
  it('a long borrows the USDT it lacks; the sell repays it', async () => {
    h = await startBybitHarness('margin', { usdt: 500 });
    const order = await h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.02, clientOrderId: 'm-long' });
    expect(order).toMatchObject({ filledQty: 0.02, feeCurrency: 'BTC' });
    expect(orderPosts(h)[0]!.params.isLeverage).toBe(1);
    expect(h.emulator.book.coin('USDT')).toBe(-500); // 1 000 spent of 500: 500 borrowed
    await h.exchange.closePosition({ symbol: SPOT, side: 'long', qty: 0.01998, clientOrderId: 'm-long-close' });
    // 0.01998 BTC sold at 50 000 less the 0.1 % fee in USDT; the proceeds repay the 500 borrowed
    expect(h.emulator.book.coin('USDT')).toBeCloseTo(-500 + 0.01998 * 50_000 * (1 - 0.001), 6);
  });

  it('a short sells borrowed BTC; the close buys the debt plus the fee taken in BTC, leaving no debt', async () => {
    h = await startBybitHarness('margin', { usdt: 1_000 });
    await h.exchange.placeOrder({ symbol: SPOT, side: 'sell', type: 'market', qty: 0.01, clientOrderId: 'm-short' });
    expect((await h.exchange.fetchBalance()).BTC?.total).toBe(-0.01);
    h.emulator.setPrice('BTCUSDT', 49_000);
    const close = await h.exchange.closePosition({ symbol: SPOT, clientOrderId: 'm-short-close' });
    expect(close.side).toBe('buy');
    expect(close.filledQty).toBeCloseTo(0.010011, 9); // 0.01 / (1 − 0.1 %), up to the 0.000001 step
    expect(h.emulator.book.coin('BTC')).toBeGreaterThanOrEqual(0);
    expect(h.emulator.book.liabilitiesValue()).toBe(0);
  });
});

describe('Bybit USDT perpetuals (real ccxt, emulator)', () => {
  it('cross: sets leverage once per symbol; another instance asking the same leverage (110043) is fine', async () => {
    h = await startBybitHarness('futures', { account: { marginMode: 'cross' } });
    await h.exchange.placeOrder({ symbol: PERP, side: 'buy', type: 'market', qty: 0.02, leverage: 5, clientOrderId: 'p-1' });
    await h.exchange.placeOrder({ symbol: PERP, side: 'buy', type: 'market', qty: 0.01, leverage: 5, clientOrderId: 'p-2' });
    expect(h.emulator.count('/v5/account/set-margin-mode', 'POST')).toBe(1);
    expect(h.emulator.count('/v5/position/set-leverage', 'POST')).toBe(1);
    expect(h.emulator.requests.find((r) => r.path === '/v5/account/set-margin-mode')?.params.setMarginMode).toBe('REGULAR_MARGIN');
    const restarted = h.reconnect({ marginMode: 'cross' });
    const order = await restarted.placeOrder({ symbol: PERP, side: 'buy', type: 'market', qty: 0.01, leverage: 5, clientOrderId: 'p-3' });
    expect(order.filledQty).toBe(0.01);
    expect(h.emulator.requests.filter((r) => r.path === '/v5/position/set-leverage').map((r) => r.retCode)).toEqual([0, 110043]);
    const [position] = await restarted.fetchPositions([PERP]);
    expect(position).toMatchObject({ symbol: PERP, side: 'long', qty: 0.04, entryPrice: 50_000, leverage: 5 });
  });

  it('isolated: account-wide ISOLATED_MARGIN; liquidation from the position’s own margin; reduce-only closes; exact wallet', async () => {
    h = await startBybitHarness('futures', { account: { marginMode: 'isolated' }, usdt: 1_000 });
    await h.exchange.placeOrder({ symbol: PERP, side: 'sell', type: 'market', qty: 0.05, leverage: 10, clientOrderId: 's-1' });
    expect(h.emulator.book.marginMode).toBe('ISOLATED_MARGIN');
    const [short] = await h.exchange.fetchPositions();
    expect(short).toMatchObject({ side: 'short', qty: 0.05, entryPrice: 50_000, leverage: 10 });
    // margin 250 over 0.05: bankrupt at 55 000; liquidation (50 000 + 5 000) / (1 + 0.5 %)
    expect(short?.liquidationPrice).toBeCloseTo(55_000 / 1.005, 4);
    h.emulator.setPrice('BTCUSDT', 49_000);
    await h.exchange.closePosition({ symbol: PERP, qty: 0.02, clientOrderId: 's-tp' });
    expect(orderPosts(h).at(-1)!.params).toMatchObject({ side: 'Buy', reduceOnly: true });
    await h.exchange.closePosition({ symbol: PERP, clientOrderId: 's-close' });
    expect(await h.exchange.fetchPositions()).toEqual([]);
    const fees = 0.00055 * (0.05 * 50_000 + 0.05 * 49_000);
    expect(h.emulator.book.coin('USDT')).toBeCloseTo(1_000 + 50 - fees, 6);
  });

  it('not enough for the margin: Bybit 110007 "ab not enough for new order" → Insufficient funds', async () => {
    h = await startBybitHarness('futures', { account: { marginMode: 'cross' }, usdt: 100 });
    const error = await caught(h.exchange.placeOrder({ symbol: PERP, side: 'buy', type: 'market', qty: 0.5, leverage: 2, clientOrderId: 'huge' }));
    expect(error?.code).toBe('INSUFFICIENT_FUNDS');
    expect(h.emulator.requests.at(-1)?.retCode).toBe(110007);
  });

  it('backstop: a reduce-only conditional market stop, amended in place (one call), refused on the wrong side (110093), fired → fill', async () => {
    h = await startBybitHarness('futures', { account: { marginMode: 'cross' } });
    await h.exchange.placeOrder({ symbol: PERP, side: 'buy', type: 'market', qty: 0.02, leverage: 5, clientOrderId: 'long-bs' });
    const placed = await h.exchange.placeStop!({ symbol: PERP, side: 'long', qty: 0.02, stopPrice: 48_123.45, clientOrderId: 'bs-perp-1' });
    expect(placed).toMatchObject({ status: 'open', stopPrice: 48_123.4, qty: 0.02 });
    expect(h.emulator.book.orders.at(-1)).toMatchObject({ category: 'linear', side: 'Sell', reduceOnly: true, triggerPrice: 48_123.4, triggerDirection: 2, orderStatus: 'Untriggered', orderLinkId: 'bs-perp-1' });

    const before = h.emulator.requests.length;
    await h.exchange.amendStop!(PERP, { id: placed.id }, { symbol: PERP, side: 'long', qty: 0.015, stopPrice: 49_000, clientOrderId: 'bs-perp-1' });
    expect(h.emulator.requests.slice(before).map((r) => r.path)).toEqual(['/v5/order/amend']);
    expect(h.emulator.book.orders.at(-1)).toMatchObject({ orderId: placed.id, triggerPrice: 49_000, qty: 0.015 });

    const wrongSide = await caught(h.exchange.placeStop!({ symbol: PERP, side: 'long', qty: 0.02, stopPrice: 50_500, clientOrderId: 'bs-perp-2' }));
    expect(wrongSide?.code).toBe('INVALID_ORDER');
    expect(h.emulator.requests.at(-1)?.retCode).toBe(110093);

    h.emulator.setPrice('BTCUSDT', 48_900);
    const fired = await h.exchange.fetchStop!(PERP, { clientOrderId: 'bs-perp-1' });
    expect(fired).toMatchObject({ status: 'closed', fill: { filledQty: 0.015, avgPrice: 48_900, feeCurrency: 'USDT' } });
    expect((await h.exchange.fetchPositions([PERP]))[0]?.qty).toBeCloseTo(0.005, 12);
    // gone: an amend or a cancel finds nothing open
    expect(await h.exchange.amendStop!(PERP, { id: placed.id }, { symbol: PERP, side: 'long', qty: 0.005, stopPrice: 48_000, clientOrderId: 'bs-perp-1' })).toBeUndefined();
    expect(await h.exchange.cancelStop!(PERP, { id: placed.id })).toBeUndefined();
  });
});
