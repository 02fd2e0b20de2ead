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
    const trades = await h.exchange.fetchMyTrades(SPOT, 0);
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

  it('below the minimum size (51020) → the minimum message, nothing sent twice', async () => {
    await start('spot');
    const error = await h.exchange.placeOrder({ symbol: SPOT, side: 'buy', type: 'market', qty: 0.000009, clientOrderId: 'tiny' }).catch((e: unknown) => e);
    expect(isExchangeError(error, 'ORDER_BELOW_MINIMUM')).toBe(true);
    expect((error as Error & { detail: string }).detail).toContain('51020');
    expect(h.emulator.count('/api/v5/trade/batch-orders')).toBe(1);
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
