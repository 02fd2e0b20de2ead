import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExchangeError } from '../../src/exchange/port.ts';
import { startHarness, type Harness } from './support.ts';

const SYMBOL = 'BTC/USDT:USDT';

describe('ccxt adapter on Binance USDⓈ-M futures (real ccxt against the emulator)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness('futures', { account: { marginMode: 'isolated' } });
    h.emulator.book.futuresWallet = 1_000;
    h.emulator.setPrice('BTCUSDT', 50_000);
  });
  afterEach(() => h.close());

  it('loads only linear perpetuals', async () => {
    const markets = await h.exchange.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT:USDT', 'ETH/USDT:USDT']);
    expect(markets[SYMBOL]).toMatchObject({ type: 'swap', settle: 'USDT', contractSize: 1 });
  });

  it('leverage never above the symbol\'s limit: a 125× wish on a symbol whose first leverage bracket allows 50× sets 50×; the brackets are read once per symbol', async () => {
    h.emulator.book.leverageBrackets.set('BTCUSDT', [{ initialLeverage: 50, notionalCap: 50_000 }, { initialLeverage: 25, notionalCap: 250_000 }]);
    expect(await h.exchange.maxLeverage!(SYMBOL)).toBe(50);
    expect(await h.exchange.maxLeverage!('ETH/USDT:USDT')).toBe(125);
    await h.exchange.placeOrder({ symbol: SYMBOL, side: 'buy', type: 'market', qty: 0.01, leverage: 125, clientOrderId: 'cap-1' });
    const set = h.emulator.requests.filter((r) => r.path === '/fapi/v1/leverage');
    expect(set.map((r) => r.params.leverage)).toEqual(['50']);
    expect(h.emulator.book.settings('BTCUSDT').leverage).toBe(50);
    await h.exchange.placeOrder({ symbol: SYMBOL, side: 'buy', type: 'market', qty: 0.01, leverage: 125, clientOrderId: 'cap-2' });
    const reads = h.emulator.requests.filter((r) => r.path === '/fapi/v1/leverageBracket');
    expect(reads.map((r) => r.params.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(h.emulator.book.orders.filter((o) => o.venue === 'futures')).toHaveLength(2);
  });

  it('sets margin mode and leverage once before the first order of a symbol, then opens a short', async () => {
    const order = await h.exchange.placeOrder({ symbol: SYMBOL, side: 'sell', type: 'market', qty: 0.05, leverage: 5, clientOrderId: 'short-1' });
    expect(order).toMatchObject({ status: 'closed', filledQty: 0.05, avgPrice: 50_000 });
    await h.exchange.placeOrder({ symbol: SYMBOL, side: 'sell', type: 'market', qty: 0.01, leverage: 5, clientOrderId: 'short-2' });
    expect(h.emulator.count('/fapi/v1/marginType', 'POST')).toBe(1);
    expect(h.emulator.count('/fapi/v1/leverage', 'POST')).toBe(1);
    const calls = h.emulator.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    expect(calls.slice(0, 3)).toEqual(['/fapi/v1/marginType', '/fapi/v1/leverage', '/fapi/v1/order']);
    expect(h.emulator.requests.find((r) => r.path === '/fapi/v1/marginType')?.params.marginType).toBe('ISOLATED');

    const [position] = await h.exchange.fetchPositions();
    expect(position).toMatchObject({ symbol: SYMBOL, side: 'short', qty: 0.06, entryPrice: 50_000, leverage: 5, marginMode: 'isolated' });
    // Binance's isolated formula, short 0.06 at 50 000 with 5× (margin 600) and 0.4 % maintenance: (600 + 3 000) / (0.06 × 1.004)
    expect(position?.liquidationPrice).toBeCloseTo(3_600 / 0.06024, 6);
  });

  it('closes a position partly with a reduce-only order, then fully', async () => {
    await h.exchange.placeOrder({ symbol: SYMBOL, side: 'buy', type: 'market', qty: 0.08, leverage: 10, clientOrderId: 'long-1' });
    h.emulator.setPrice('BTCUSDT', 51_000);
    const part = await h.exchange.closePosition({ symbol: SYMBOL, qty: 0.03, clientOrderId: 'tp-1' });
    expect(part).toMatchObject({ side: 'sell', filledQty: 0.03, avgPrice: 51_000 });
    const sent = h.emulator.requests.filter((r) => r.path === '/fapi/v1/order' && r.method === 'POST').at(-1);
    expect(sent?.params.reduceOnly).toBe('true');
    expect((await h.exchange.fetchPositions([SYMBOL]))[0]?.qty).toBeCloseTo(0.05, 10);
    await h.exchange.closePosition({ symbol: SYMBOL, clientOrderId: 'close-all' });
    expect(await h.exchange.fetchPositions()).toEqual([]);
    // realized: 0.08 × 1 000 = 80 USDT, minus fees 0.04 % of each fill's value
    const fees = 0.0004 * (0.08 * 50_000 + 0.08 * 51_000);
    expect(h.emulator.book.futuresWallet).toBeCloseTo(1_000 + 80 - fees, 6);
  });

  it("an exit jumps the account's queue: at most one balance refresh goes ahead of it", async () => {
    await h.exchange.placeOrder({ symbol: SYMBOL, side: 'buy', type: 'market', qty: 0.08, leverage: 10, clientOrderId: 'long-q' });
    const before = h.emulator.requests.length;
    // eight balance refreshes asked at once (reports, /balance), then the exit
    const refreshes = Array.from({ length: 8 }, () => h.exchange.fetchBalance());
    const exit = h.exchange.closePosition({ symbol: SYMBOL, side: 'long', qty: 0.08, clientOrderId: 'exit-q' });
    await Promise.all([...refreshes, exit]);
    const sent = h.emulator.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    const exitAt = sent.indexOf('POST /fapi/v1/order');
    // ahead of the order: at most the one refresh already under way, and the exit's own position read
    expect(sent.slice(0, exitAt).filter((r) => r.includes('/fapi/v2/balance') || r.includes('/fapi/v3/balance') || r.includes('/fapi/v3/account') || r.includes('/fapi/v2/account')).length).toBeLessThanOrEqual(1);
    expect(sent.filter((r) => r === 'POST /fapi/v1/order')).toHaveLength(1);
    expect(sent.length - exitAt - 1).toBeGreaterThanOrEqual(7);
  });

  it('asking to close more than is open closes what is open', async () => {
    await h.exchange.placeOrder({ symbol: SYMBOL, side: 'buy', type: 'market', qty: 0.01, leverage: 10, clientOrderId: 'small' });
    const order = await h.exchange.closePosition({ symbol: SYMBOL, qty: 1, clientOrderId: 'too-much' });
    expect(order.filledQty).toBe(0.01);
  });

  it('closing with no open position says so, without an order', async () => {
    const error = (await h.exchange.closePosition({ symbol: SYMBOL, clientOrderId: 'nothing' }).catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('POSITION_NOT_FOUND');
    expect(h.emulator.count('/fapi/v1/order', 'POST')).toBe(0);
  });

  it('maps "Margin is insufficient" to MARGIN_LEVEL_TOO_LOW (seed: reduce position size)', async () => {
    const error = (await h.exchange.placeOrder({ symbol: SYMBOL, side: 'buy', type: 'market', qty: 1, leverage: 2, clientOrderId: 'huge' }).catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('MARGIN_LEVEL_TOO_LOW');
    expect(error.message).toBe('Margin level too low: not enough margin for this position. Reduce the position size.');
  });

  it('maps a reduce-only order the exchange rejects to REDUCE_ONLY_INVALID', async () => {
    const error = (await h.exchange.placeOrder({ symbol: SYMBOL, side: 'sell', type: 'market', qty: 0.01, reduceOnly: true, clientOrderId: 'ro' }).catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('REDUCE_ONLY_INVALID');
  });

  it('a market order answered before it was matched (status NEW) is asked again until filled', async () => {
    h.emulator.book.futuresReportsFillsLate = true;
    const order = await h.exchange.placeOrder({ symbol: SYMBOL, side: 'buy', type: 'market', qty: 0.02, leverage: 5, clientOrderId: 'late' });
    expect(order).toMatchObject({ clientOrderId: 'late', status: 'closed', filledQty: 0.02, avgPrice: 50_000 });
    expect(h.emulator.count('/fapi/v1/order', 'GET')).toBe(1);
  });

  it('reports the futures wallet as balance', async () => {
    const balance = await h.exchange.fetchBalance();
    expect(balance.USDT).toEqual({ free: 1_000, used: 0, total: 1_000 });
  });
});
