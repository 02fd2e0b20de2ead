/**
 * The ccxt adapter on OKX v5 through real ccxt against the OKX emulator: spot (fees in the coin
 * received), USDT swaps (contracts of 0.01 BTC on the wire, base units on the port), the
 * conditional algo order of the backstop (placed, found, cancelled, fired), the key's
 * permissions from account/config, and OKX's error codes mapped to the trader's messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EXCHANGE_ERROR_MESSAGES, isExchangeError } from '../../src/exchange/port.ts';
import { startOkxHarness, type OkxHarness } from './okx-support.ts';

const SPOT = 'BTC/USDT';
const SWAP = 'BTC/USDT:USDT';
let h: OkxHarness;
afterEach(() => h?.close());

async function start(mode: 'spot' | 'futures', marginMode: 'cross' | 'isolated' = 'cross') {
  h = await startOkxHarness(mode, mode === 'futures' ? { marginMode } : {});
  h.emulator.book.balances.set('USDT', 10_000);
  h.emulator.setPrice('BTC-USDT', 50_000);
  h.emulator.setPrice('BTC-USDT-SWAP', 50_000);
}

describe('OKX spot (tdMode cash)', () => {
  it('loads spot markets only; a market buy takes its 0.1 % fee in BTC, a sell in USDT', async () => {
    await start('spot');
    expect(Object.keys(await h.exchange.loadMarkets()).sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
    const buy = await h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.02, clientOrderId: 'entry-1' });
    expect(buy).toMatchObject({ status: 'closed', filledQty: 0.02, avgPrice: 50_000, fee: 0.00002, feeCurrency: 'BTC' });
    const sent = h.emulator.requests.find((r) => r.path === '/api/v5/trade/batch-orders');
    expect(sent?.params).toMatchObject({ tdMode: 'cash', clOrdId: 'entry1', sz: '0.02', tgtCcy: 'base_ccy' });
    expect((await h.exchange.fetchBalance()).BTC).toMatchObject({ free: 0.01998, total: 0.01998 });
    h.emulator.setPrice('BTC-USDT', 51_000);
    const sell = await h.exchange.closePosition({ symbol: SPOT, clientOrderId: 'exit-1' });
    expect(sell).toMatchObject({ side: 'sell', filledQty: 0.01998, avgPrice: 51_000, feeCurrency: 'USDT' });
    expect(sell.fee).toBeCloseTo(0.01998 * 51_000 * 0.001, 9);
    expect(h.emulator.book.cash('USDT')).toBeCloseTo(10_000 - 1_000 + 0.01998 * 51_000 * 0.999, 9);
    const trades = await h.exchange.fetchMyTrades!(SPOT, 0);
    expect(trades.map((t) => [t.side, t.qty])).toEqual([['buy', 0.02], ['sell', 0.01998]]);
    expect(trades[0]!.feeInQuote).toBeCloseTo(0.00002 * 50_000, 9);
  });

  it('the backstop is a conditional algo sell named by algoClOrdId, tdMode cash; found, cancelled, and its fill read when it fires', async () => {
    await start('spot');
    await h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.02, clientOrderId: 'entry-1' });
    const stop = await h.exchange.placeStop!({ symbol: SPOT, side: 'long', qty: 0.01998, stopPrice: 48_760.05, clientOrderId: 'bs-1' });
    expect(stop).toMatchObject({ status: 'open', stopPrice: 48_760, qty: 0.01998 });
    const [algo] = h.emulator.book.algos;
    expect(algo).toMatchObject({ ordType: 'conditional', side: 'sell', tdMode: 'cash', sz: 0.01998, slTriggerPx: 48_760, slOrdPx: -1, algoClOrdId: 'bs1', state: 'live' });
    // it holds nothing back: the coins stay free
    expect((await h.exchange.fetchBalance()).BTC?.free).toBe(0.01998);
    expect(await h.exchange.fetchStop!(SPOT, { clientOrderId: 'bs-1' })).toMatchObject({ id: algo!.algoId, status: 'open', stopPrice: 48_760, qty: 0.01998 });
    expect(await h.exchange.cancelStop!(SPOT, { clientOrderId: 'bs-1' })).toMatchObject({ status: 'canceled' });
    expect(algo!.state).toBe('canceled');
    expect(await h.exchange.cancelStop!(SPOT, { clientOrderId: 'bs-1' })).toBeUndefined(); // 51400: already gone

    await h.exchange.placeStop!({ symbol: SPOT, side: 'long', qty: 0.01998, stopPrice: 49_000, clientOrderId: 'bs-2' });
    h.emulator.setPrice('BTC-USDT', 48_900);
    const fired = await h.exchange.fetchStop!(SPOT, { clientOrderId: 'bs-2' });
    expect(fired).toMatchObject({ status: 'closed', fill: { side: 'sell', filledQty: 0.01998, avgPrice: 48_900, feeCurrency: 'USDT' } });
    expect(fired!.fill!.fee).toBeCloseTo(0.01998 * 48_900 * 0.001, 9);
  });

  it('a stop at or above the last price is refused (51280) as an invalid order', async () => {
    await start('spot');
    await h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.02, clientOrderId: 'entry-1' });
    const error = await h.exchange.placeStop!({ symbol: SPOT, side: 'long', qty: 0.01998, stopPrice: 50_100, clientOrderId: 'bs-1' }).catch((e: unknown) => e);
    expect(isExchangeError(error, 'INVALID_ORDER')).toBe(true);
    expect((error as Error & { detail: string }).detail).toContain('51280');
  });

  it('Appendix B: a buy beyond the balance (51008, insufficient USDT balance) → the insufficient-funds message', async () => {
    await start('spot');
    const error = await h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.5, clientOrderId: 'big' }).catch((e: unknown) => e);
    expect(isExchangeError(error, 'INSUFFICIENT_FUNDS')).toBe(true);
    expect((error as Error).message).toBe(EXCHANGE_ERROR_MESSAGES.INSUFFICIENT_FUNDS);
  });

  it('below the instrument minSz → the minimum message before anything is sent', async () => {
    await start('spot');
    const error = await h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.000009, clientOrderId: 'tiny' }).catch((e: unknown) => e);
    expect(isExchangeError(error, 'ORDER_BELOW_MINIMUM')).toBe(true);
    expect((error as Error).message).toMatch(/below the minimum 0\.00001 BTC/);
    expect(h.emulator.count('/api/v5/trade/batch-orders')).toBe(0);
  });
});

describe('OKX authentication and the key check', () => {
  it('reads the key permissions from account/config (perm), withdraw included', async () => {
    await start('spot');
    expect(await h.exchange.keyPermissions!()).toEqual({ canWithdraw: false, canTrade: true, canFutures: true });
    h.emulator.key.perm = 'read_only,trade,withdraw';
    expect(await h.exchange.keyPermissions!()).toMatchObject({ canWithdraw: true });
  });

  it.each([
    ['a wrong passphrase', { password: 'wrong' }, '50105'],
    ['a wrong secret (signature)', { secret: 'wrong' }, '50113'],
    ['an unknown key', { apiKey: 'nobody' }, '50111'],
  ])('%s is refused with OKX code %s as AUTH_FAILED', async (_name, wrong, code) => {
    const { startOkxEmulator } = await import('../emulators/exchange/okx-server.ts');
    const { createExchangeFactory } = await import('../../src/exchange/factory.ts');
    const { okxCredentials, okxOptions } = await import('./okx-support.ts');
    const emulator = await startOkxEmulator();
    const port = createExchangeFactory({ options: okxOptions(emulator) }).create({ exchange: 'okx', mode: 'spot', credentials: { ...okxCredentials(emulator), ...wrong } });
    h = { emulator, exchange: port, close: async () => (await port.close(), await emulator.close()) };
    const error = await port.fetchBalance().catch((e: unknown) => e);
    expect(isExchangeError(error, 'AUTH_FAILED')).toBe(true);
    expect((error as Error & { detail: string }).detail).toContain(`"code":"${code}"`);
  });
});

describe('OKX USDT swaps (contracts of 0.01 BTC on the wire)', () => {
  it('sets leverage once (set-leverage names the margin mode), opens 0.05 BTC as 5 contracts, reports the position in BTC', async () => {
    await start('futures', 'isolated');
    expect(Object.keys(await h.exchange.loadMarkets()).sort()).toEqual(['BTC/USDT:USDT', 'ETH/USDT:USDT']);
    const order = await h.exchange.placeOrder({ symbol: SWAP, side: 'buy', type: 'market', qty: 0.05, leverage: 5, clientOrderId: 'long-1' });
    expect(order).toMatchObject({ status: 'closed', filledQty: 0.05, avgPrice: 50_000, fee: 1.25, feeCurrency: 'USDT' }); // 0.05 % of 2 500
    await h.exchange.placeOrder({ symbol: SWAP, side: 'buy', type: 'market', qty: 0.01, leverage: 5, clientOrderId: 'long-2' });
    expect(h.emulator.count('/api/v5/account/set-leverage')).toBe(1);
    expect(h.emulator.requests.find((r) => r.path === '/api/v5/account/set-leverage')?.params).toMatchObject({ lever: '5', mgnMode: 'isolated', instId: 'BTC-USDT-SWAP' });
    expect(h.emulator.requests.find((r) => r.path === '/api/v5/trade/batch-orders')?.params).toMatchObject({ sz: '5', tdMode: 'isolated', clOrdId: 'long1' });
    const [position] = await h.exchange.fetchPositions();
    expect(position).toMatchObject({ symbol: SWAP, side: 'long', qty: 0.06, entryPrice: 50_000, leverage: 5, marginMode: 'isolated' });
    // isolated: margin 600 on 0.06 BTC, maintenance 0.4 %: (3 000 − 600) / (0.06 × 0.996)
    expect(position!.liquidationPrice).toBeCloseTo(2_400 / (0.06 * 0.996), 3);
  });

  it('closes partly and fully with reduce-only orders; the wallet gets the realized P&L less 0.05 % fees', async () => {
    await start('futures');
    await h.exchange.placeOrder({ symbol: SWAP, side: 'buy', type: 'market', qty: 0.08, leverage: 10, clientOrderId: 'long-1' });
    h.emulator.setPrice('BTC-USDT-SWAP', 51_000);
    expect(await h.exchange.closePosition({ symbol: SWAP, qty: 0.03, clientOrderId: 'tp-1' })).toMatchObject({ side: 'sell', filledQty: 0.03, avgPrice: 51_000, reduceOnly: true });
    expect(h.emulator.requests.filter((r) => r.path === '/api/v5/trade/batch-orders').at(-1)?.params).toMatchObject({ reduceOnly: 'true', sz: '3' });
    expect((await h.exchange.fetchPositions([SWAP]))[0]?.qty).toBeCloseTo(0.05, 10);
    await h.exchange.closePosition({ symbol: SWAP, clientOrderId: 'close-all' });
    expect(await h.exchange.fetchPositions()).toEqual([]);
    const fees = 0.0005 * (0.08 * 50_000 + 0.08 * 51_000);
    expect(h.emulator.book.cash('USDT')).toBeCloseTo(10_000 + 80 - fees, 6);
  });

  it('hedge mode (long_short_mode): orders name posSide, a close names the side it closes', async () => {
    await start('futures');
    h.emulator.book.posMode = 'long_short_mode';
    await h.exchange.placeOrder({ symbol: SWAP, side: 'buy', type: 'market', qty: 0.02, leverage: 3, clientOrderId: 'long-1' });
    expect(h.emulator.requests.filter((r) => r.path === '/api/v5/trade/batch-orders').at(-1)?.params).toMatchObject({ posSide: 'long' });
    await h.exchange.closePosition({ symbol: SWAP, side: 'long', clientOrderId: 'close-1' });
    expect(h.emulator.requests.filter((r) => r.path === '/api/v5/trade/batch-orders').at(-1)?.params).toMatchObject({ posSide: 'long', side: 'sell' });
    expect(await h.exchange.fetchPositions()).toEqual([]);
  });

  it('the backstop is a reduce-only conditional algo order in contracts; when it fires its fill is the market order it became', async () => {
    await start('futures');
    await h.exchange.placeOrder({ symbol: SWAP, side: 'buy', type: 'market', qty: 0.02, leverage: 5, clientOrderId: 'long-1' });
    const stop = await h.exchange.placeStop!({ symbol: SWAP, side: 'long', qty: 0.02, stopPrice: 48_755.07, clientOrderId: 'bs-1' });
    expect(stop).toMatchObject({ status: 'open', stopPrice: 48_755, qty: 0.02 });
    expect(h.emulator.book.algos[0]).toMatchObject({ ordType: 'conditional', sz: 2, reduceOnly: true, tdMode: 'cross', slTriggerPx: 48_755, algoClOrdId: 'bs1' });
    h.emulator.setPrice('BTC-USDT-SWAP', 48_700);
    expect(h.emulator.book.algos[0]!.state).toBe('effective');
    expect(await h.exchange.fetchPositions()).toEqual([]);
    const fired = await h.exchange.fetchStop!(SWAP, { clientOrderId: 'bs-1' });
    expect(fired).toMatchObject({ status: 'closed', fill: { side: 'sell', filledQty: 0.02, avgPrice: 48_700, reduceOnly: true, feeCurrency: 'USDT' } });
    expect(fired!.fill!.fee).toBeCloseTo(0.02 * 48_700 * 0.0005, 9);
  });

  it('Appendix B: opening beyond the free margin (51008, insufficient USDT margin) → the margin-level message', async () => {
    await start('futures');
    const error = await h.exchange.placeOrder({ symbol: SWAP, side: 'buy', type: 'market', qty: 5, leverage: 2, clientOrderId: 'huge' }).catch((e: unknown) => e);
    expect(isExchangeError(error, 'MARGIN_LEVEL_TOO_LOW')).toBe(true);
    expect((error as Error).message).toBe(EXCHANGE_ERROR_MESSAGES.MARGIN_LEVEL_TOO_LOW);
  });

  it('a rate limit (HTTP 429, 50011) is retried; an order whose answer was lost is looked up by its client id, never sent twice', async () => {
    await start('futures');
    h.emulator.inject({ path: '/api/v5/account/balance', fault: { kind: 'rate-limit', retryAfterSec: 0 } });
    expect((await h.exchange.fetchBalance()).USDT?.total).toBe(10_000);
    expect(h.emulator.count('/api/v5/account/balance')).toBe(2);
    h.emulator.inject({ path: '/api/v5/trade/batch-orders', fault: { kind: 'drop-after-accept' } });
    const order = await h.exchange.placeOrder({ symbol: SWAP, side: 'buy', type: 'market', qty: 0.01, leverage: 3, clientOrderId: 'lost-answer' });
    expect(order).toMatchObject({ status: 'closed', filledQty: 0.01, clientOrderId: 'lost-answer' });
    expect(h.emulator.count('/api/v5/trade/batch-orders')).toBe(1);
    expect(h.emulator.book.orders).toHaveLength(1);
  });
});

describe('OKX spot margin (tdMode cross / isolated, MARGIN positions)', () => {
  it.each(['cross', 'isolated'] as const)('%s: a long buys with borrowed USDT (fee in BTC), is reported as a MARGIN position and closed reduce-only', async (marginMode) => {
    h = await startOkxHarness('margin', { marginMode });
    h.emulator.book.balances.set('USDT', 10_000);
    h.emulator.setPrice('BTC-USDT', 50_000);
    const buy = await h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.1, leverage: 3, clientOrderId: 'mlong-1' });
    expect(buy).toMatchObject({ filledQty: 0.1, avgPrice: 50_000, fee: 0.0001, feeCurrency: 'BTC' });
    expect(h.emulator.requests.find((r) => r.path === '/api/v5/trade/batch-orders')?.params).toMatchObject({ tdMode: marginMode, ccy: 'USDT' });
    expect(h.emulator.requests.find((r) => r.path === '/api/v5/account/set-leverage')?.params).toMatchObject({ lever: '3', mgnMode: marginMode, instId: 'BTC-USDT' });
    const [position] = await h.exchange.fetchPositions();
    expect(position).toMatchObject({ symbol: SPOT, side: 'long', qty: 0.0999, entryPrice: 50_000, leverage: 3, marginMode });
    h.emulator.setPrice('BTC-USDT', 51_000);
    const sell = await h.exchange.closePosition({ symbol: SPOT, clientOrderId: 'mclose-1' });
    expect(sell).toMatchObject({ side: 'sell', filledQty: 0.0999, avgPrice: 51_000 });
    expect(h.emulator.requests.filter((r) => r.path === '/api/v5/trade/batch-orders').at(-1)?.params).toMatchObject({ reduceOnly: 'true', tdMode: marginMode });
    expect(await h.exchange.fetchPositions()).toEqual([]);
    // paid 5 000 for 0.1 BTC, sold 0.0999 at 51 000 less 0.1 % in USDT
    expect(h.emulator.book.cash('USDT')).toBeCloseTo(10_000 - 5_000 + 0.0999 * 51_000 * 0.999, 6);
  });

  it('a short sells borrowed BTC; its size is what is owed (liab), not the USDT OKX counts it in; the buy-back repays all of it', async () => {
    h = await startOkxHarness('margin', { marginMode: 'cross' });
    h.emulator.book.balances.set('USDT', 10_000);
    h.emulator.setPrice('BTC-USDT', 50_000);
    await h.exchange.placeOrder({ symbol: SPOT, side: 'sell', type: 'market', qty: 0.1, leverage: 2, clientOrderId: 'mshort-1' });
    expect(h.emulator.requests.find((r) => r.path === '/api/v5/trade/batch-orders')?.params).toMatchObject({ side: 'sell', tdMode: 'cross', ccy: 'BTC' });
    const [position] = await h.exchange.fetchPositions();
    expect(position).toMatchObject({ symbol: SPOT, side: 'short', qty: 0.1, entryPrice: 50_000 });
    h.emulator.setPrice('BTC-USDT', 49_000);
    await h.exchange.closePosition({ symbol: SPOT, clientOrderId: 'mcover-1' });
    expect(await h.exchange.fetchPositions()).toEqual([]);
    expect(h.emulator.book.marginPositions.size).toBe(0);
    // the buy-back is grossed up by the fee taken in BTC, so all 0.1 BTC is repaid (a hair of BTC is left over)
    const bought = h.emulator.requests.filter((r) => r.path === '/api/v5/trade/batch-orders').at(-1)!.params;
    expect(Number(bought.sz)).toBeGreaterThanOrEqual(0.1 / 0.999);
    expect(h.emulator.book.cash('BTC')).toBeGreaterThanOrEqual(0);
    expect(h.emulator.book.cash('USDT')).toBeCloseTo(10_000 + 0.1 * 50_000 * 0.999 - Number(bought.sz) * 49_000, 6);
  });
});
