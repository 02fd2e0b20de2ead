/**
 * The ccxt adapter on Bitget v2 (spot and USDT-M), real ccxt against the Bitget emulator: Bitget's
 * signature and passphrase, markets, the spot fee in the coin bought, a spot market buy sent as
 * USDT to spend, USDT-M margin mode, leverage and reduce-only closes, Bitget's error codes, and
 * the backstop orders (spot plan order, USDT-M position stop) placed, found, fired and cancelled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ExchangeError } from '../../src/exchange/port.ts';
import { bitgetFactory, startBitgetHarness, type BitgetHarness } from './bitget-support.ts';

let h: BitgetHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function spot(): Promise<BitgetHarness> {
  h = await startBitgetHarness('spot');
  h.emulator.book.spot('USDT').available = 10_000;
  h.emulator.setPrice('BTCUSDT', 50_000);
  return h;
}

async function futures(marginMode: 'cross' | 'isolated' = 'cross'): Promise<BitgetHarness> {
  h = await startBitgetHarness('futures', { marginMode });
  h.emulator.book.mixWallet = 10_000;
  h.emulator.setPrice('BTCUSDT', 50_000);
  return h;
}

const codeOf = (error: unknown) => (error instanceof ExchangeError ? error.code : String(error));

describe('Bitget authentication (ACCESS-KEY / ACCESS-SIGN / ACCESS-TIMESTAMP / ACCESS-PASSPHRASE)', () => {
  it.each([
    ['a wrong passphrase', { password: 'nope' }, '40012'],
    ['a wrong secret', { secret: 'nope' }, '40009'],
    ['an unknown key', { apiKey: 'bg_other' }, '40006'],
  ])('%s is refused with Bitget code %s and maps to AUTH_FAILED', async (_name, override, code) => {
    const { emulator } = await spot();
    const port = bitgetFactory(emulator, 1_000).create({ exchange: 'bitget', mode: 'spot', credentials: { apiKey: emulator.apiKey, secret: emulator.secret, password: emulator.passphrase, ...override } });
    const error = await port.fetchBalance().catch((e: unknown) => e);
    await port.close();
    expect(codeOf(error)).toBe('AUTH_FAILED');
    expect((error as ExchangeError).detail).toContain(`"code":"${code}"`);
  });

  it('the right key reads the balance; the signature covers the sorted query string', async () => {
    const { exchange } = await spot();
    expect((await exchange.fetchBalance()).USDT).toEqual({ free: 10_000, used: 0, total: 10_000 });
    expect(await exchange.fetchMyTrades!('BTC/USDT', 1)).toEqual([]);
  });

  it('key permissions come from /api/v2/spot/account/info: a withdrawal authority is reported', async () => {
    const { exchange, emulator } = await spot();
    expect(await exchange.keyPermissions!()).toEqual({ canWithdraw: false, canTrade: true });
    emulator.key.authorities = ['readonly', 'trade', 'withdraw'];
    expect(await exchange.keyPermissions!()).toEqual({ canWithdraw: true, canTrade: true });
  });
});

describe('Bitget spot', () => {
  it('reads markets with tick, step and minimum order value', async () => {
    const { exchange } = await spot();
    expect(await exchange.market('BTC/USDT')).toMatchObject({ symbol: 'BTC/USDT', id: 'BTCUSDT', type: 'spot', tickSize: 0.01, stepSize: 0.000001, minCost: 5, contractSize: 1 });
  });

  it('a market buy is sent as USDT to spend (qty × price); the fee is taken in the coin bought', async () => {
    const { exchange, emulator } = await spot();
    const order = await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.02, clientOrderId: 'buy-1' });
    const sent = emulator.requests.find((r) => r.path === '/api/v2/spot/trade/place-order');
    expect(sent?.params).toMatchObject({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', size: '1000', clientOid: 'buy-1' });
    expect(order).toMatchObject({ clientOrderId: 'buy-1', status: 'closed', filledQty: 0.02, avgPrice: 50_000, feeCurrency: 'BTC' });
    expect(order.fee).toBeCloseTo(0.00002, 12);
    const balance = await exchange.fetchBalance();
    expect(balance.BTC?.free).toBeCloseTo(0.01998, 12);
    expect(balance.USDT?.free).toBeCloseTo(9_000, 9);
  });

  it('a sell pays its fee in USDT; my trades carry both fees', async () => {
    const { exchange, emulator } = await spot();
    emulator.book.spot('BTC').available = 0.01;
    const sell = await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: 0.01, clientOrderId: 'sell-1' });
    expect(sell).toMatchObject({ filledQty: 0.01, avgPrice: 50_000, feeCurrency: 'USDT' });
    expect(sell.fee).toBeCloseTo(0.5, 9);
    const [trade] = await exchange.fetchMyTrades!('BTC/USDT', 0);
    expect(trade).toMatchObject({ side: 'sell', qty: 0.01, price: 50_000, orderId: sell.id });
    expect(trade!.feeInQuote).toBeCloseTo(0.5, 9);
  });

  it('Bitget 43012 (insufficient balance) maps to INSUFFICIENT_FUNDS; an order id nobody knows is undefined', async () => {
    const { exchange } = await spot();
    const error = await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: 0.01, clientOrderId: 'sell-x' }).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('INSUFFICIENT_FUNDS');
    expect(await exchange.fetchOrder('BTC/USDT', { clientOrderId: 'never-sent' })).toBeUndefined();
  });

  it('backstop: a plan order that holds no coins; found among the open plans, then fired with its fill', async () => {
    const { exchange, emulator } = await spot();
    emulator.book.spot('BTC').available = 0.01998;
    const stop = await exchange.placeStop!({ symbol: 'BTC/USDT', side: 'long', qty: 0.01998, stopPrice: 48_750.555, clientOrderId: 'bs-spot-1' });
    expect(stop).toMatchObject({ clientOrderId: 'bs-spot-1', status: 'open', stopPrice: 48_750.55, qty: 0.01998 });
    expect(emulator.book.spot('BTC')).toEqual({ available: 0.01998, frozen: 0 }); // nothing locked
    // ccxt sends the trigger it was given as a JSON number (its params override its own string)
    expect(emulator.requests.find((r) => r.path === '/api/v2/spot/trade/place-plan-order')?.params).toMatchObject({ side: 'sell', size: '0.01998', triggerPrice: 48750.55, planType: 'amount', orderType: 'market' });
    expect(await exchange.fetchStop!('BTC/USDT', { clientOrderId: 'bs-spot-1' })).toMatchObject({ status: 'open', stopPrice: 48_750.55 });
    emulator.setPrice('BTCUSDT', 48_700);
    const fired = await exchange.fetchStop!('BTC/USDT', { clientOrderId: 'bs-spot-1' });
    expect(fired).toMatchObject({ status: 'closed' });
    expect(fired!.fill).toMatchObject({ side: 'sell', filledQty: 0.01998, avgPrice: 48_700, feeCurrency: 'USDT' });
    expect(fired!.fill!.fee).toBeCloseTo(0.01998 * 48_700 * 0.001, 9);
  });

  it('backstop: cancelled by client id; cancelling it again finds nothing', async () => {
    const { exchange, emulator } = await spot();
    emulator.book.spot('BTC').available = 0.01;
    await exchange.placeStop!({ symbol: 'BTC/USDT', side: 'long', qty: 0.01, stopPrice: 45_000, clientOrderId: 'bs-spot-2' });
    expect(await exchange.cancelStop!('BTC/USDT', { clientOrderId: 'bs-spot-2' })).toMatchObject({ status: 'canceled' });
    expect(emulator.book.plans[0]!.status).toBe('cancelled');
    expect(await exchange.cancelStop!('BTC/USDT', { clientOrderId: 'bs-spot-2' })).toBeUndefined();
    expect(await exchange.fetchStop!('BTC/USDT', { clientOrderId: 'bs-spot-2' })).toMatchObject({ status: 'canceled' });
  });
});

describe('Bitget USDT-M futures', () => {
  it('sets the margin mode and leverage, opens in base units, closes reduce-only with the realized P&L in the wallet', async () => {
    const { exchange, emulator } = await futures('isolated');
    const open = await exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 0.02, leverage: 5, clientOrderId: 'open-1' });
    expect(emulator.book.marginModeOf('BTCUSDT')).toBe('isolated');
    expect(emulator.book.leverageOf('BTCUSDT')).toBe(5);
    expect(open).toMatchObject({ status: 'closed', filledQty: 0.02, avgPrice: 50_000, feeCurrency: 'USDT' });
    expect(open.fee).toBeCloseTo(0.6, 9); // 1 000 USDT × 0.06 %
    const [position] = await exchange.fetchPositions!(['BTC/USDT:USDT']);
    expect(position).toMatchObject({ symbol: 'BTC/USDT:USDT', side: 'long', qty: 0.02, entryPrice: 50_000, leverage: 5, marginMode: 'isolated' });
    // isolated 5×: liquidated when the 200 USDT margin is gone, less the maintenance margin
    expect(position!.liquidationPrice).toBeCloseTo((50_000 - 10_000) / (1 - 0.004), 6);
    emulator.setPrice('BTCUSDT', 51_000);
    const close = await exchange.closePosition({ symbol: 'BTC/USDT:USDT', clientOrderId: 'close-1' });
    expect(emulator.requests.find((r) => r.path === '/api/v2/mix/order/place-order' && r.params.clientOid === 'close-1')?.params).toMatchObject({ side: 'sell', reduceOnly: 'YES', marginMode: 'isolated', size: '0.02' });
    expect(close).toMatchObject({ filledQty: 0.02, avgPrice: 51_000 });
    expect(emulator.book.mixWallet).toBeCloseTo(10_000 - 0.6 + 20 - 0.612, 9);
    expect(await exchange.fetchPositions!()).toEqual([]);
  });

  it('Bitget 40762 (order amount exceeds the balance) maps to INSUFFICIENT_FUNDS; 22002 (no position to close) to REDUCE_ONLY_INVALID', async () => {
    const { exchange } = await futures();
    const big = await exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 3, leverage: 1, clientOrderId: 'big' }).catch((e: unknown) => e);
    expect(codeOf(big)).toBe('INSUFFICIENT_FUNDS');
    const reduce = await exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'sell', type: 'market', qty: 0.01, reduceOnly: true, clientOrderId: 'ro' }).catch((e: unknown) => e);
    expect(codeOf(reduce)).toBe('REDUCE_ONLY_INVALID');
  });

  it('backstop: a sized position stop (place-tpsl-order loss_plan), several at once, found by client id, cancelled', async () => {
    const { exchange, emulator } = await futures();
    await exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 0.02, leverage: 10, clientOrderId: 'open-2' });
    const first = await exchange.placeStop!({ symbol: 'BTC/USDT:USDT', side: 'long', qty: 0.02, stopPrice: 48_750.06, clientOrderId: 'bs-fut-1' });
    expect(first).toMatchObject({ status: 'open', stopPrice: 48_750, qty: 0.02 });
    expect(emulator.requests.find((r) => r.path === '/api/v2/mix/order/place-tpsl-order')?.params).toMatchObject({ planType: 'loss_plan', holdSide: 'buy', triggerPrice: '48750', size: '0.02', clientOid: 'bs-fut-1' });
    const second = await exchange.placeStop!({ symbol: 'BTC/USDT:USDT', side: 'long', qty: 0.015, stopPrice: 49_000, clientOrderId: 'bs-fut-2' });
    expect(second.status).toBe('open');
    expect(await exchange.cancelStop!('BTC/USDT:USDT', { clientOrderId: 'bs-fut-1' })).toMatchObject({ status: 'canceled' });
    expect(await exchange.fetchStop!('BTC/USDT:USDT', { clientOrderId: 'bs-fut-1' })).toMatchObject({ status: 'canceled' });
    expect(await exchange.fetchStop!('BTC/USDT:USDT', { clientOrderId: 'bs-fut-2' })).toMatchObject({ status: 'open', qty: 0.015, stopPrice: 49_000 });
  });

  it('backstop: a stop on the wrong side of the mark price is refused (40917) as INVALID_ORDER', async () => {
    const { exchange } = await futures();
    await exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 0.02, leverage: 10, clientOrderId: 'open-3' });
    const error = await exchange.placeStop!({ symbol: 'BTC/USDT:USDT', side: 'long', qty: 0.02, stopPrice: 50_100, clientOrderId: 'bs-fut-3' }).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('INVALID_ORDER');
    expect((error as ExchangeError).detail).toContain('40917');
  });

  it('backstop: fired by the price, the position is closed; fetchStop gives the fill of the market order it became', async () => {
    const { exchange, emulator } = await futures();
    await exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 0.02, leverage: 10, clientOrderId: 'open-4' });
    await exchange.placeStop!({ symbol: 'BTC/USDT:USDT', side: 'long', qty: 0.02, stopPrice: 48_000, clientOrderId: 'bs-fut-4' });
    emulator.setPrice('BTCUSDT', 47_900);
    expect(emulator.book.positions.size).toBe(0);
    const fired = await exchange.fetchStop!('BTC/USDT:USDT', { clientOrderId: 'bs-fut-4' });
    expect(fired).toMatchObject({ status: 'closed' });
    expect(fired!.fill).toMatchObject({ side: 'sell', filledQty: 0.02, avgPrice: 47_900, feeCurrency: 'USDT', reduceOnly: true });
    expect(fired!.fill!.fee).toBeCloseTo(0.02 * 47_900 * 0.0006, 9);
    // Bitget answers a cancel of a stop that is no longer live with an empty success list: nothing cancelled
    expect(await exchange.cancelStop!('BTC/USDT:USDT', { clientOrderId: 'bs-fut-4' })).toBeUndefined();
  });
});
