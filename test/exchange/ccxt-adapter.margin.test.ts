import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeError } from '../../src/exchange/port.ts';
import { asset } from '../emulators/exchange/binance-margin.ts';
import { startHarness, type Harness } from './support.ts';

const MARGIN_ORDER = '/sapi/v1/margin/order';

describe('ccxt adapter on Binance margin (real ccxt against the emulator)', () => {
  let h: Harness;
  afterEach(() => h.close());

  const lastOrderParams = () => h.emulator.requests.filter((r) => r.path === MARGIN_ORDER && r.method === 'POST').at(-1)?.params;

  it('cross: a short borrows the base (MARGIN_BUY), closing buys it back and repays (AUTO_REPAY)', async () => {
    h = await startHarness('margin', { account: { marginMode: 'cross' } });
    h.emulator.setPrice('BTCUSDT', 50_000);
    asset(h.emulator.book.marginCross, 'USDT').free = 1_000;

    const open = await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: 0.02, clientOrderId: 'short-1' });
    expect(open).toMatchObject({ status: 'closed', filledQty: 0.02, avgPrice: 50_000 });
    expect(lastOrderParams()).toMatchObject({ sideEffectType: 'MARGIN_BUY', newClientOrderId: 'short-1' });
    expect(h.emulator.book.marginCross.get('BTC')).toEqual({ free: 0, borrowed: 0.02 });

    h.emulator.setPrice('BTCUSDT', 49_000);
    // the engine's close names neither side nor size: the debt says it is a 0.02 BTC short
    // the buy-back pays its fee in BTC: 0.02 / 0.999 rounded up to the step, so the whole debt is repaid
    const close = await h.exchange.closePosition({ symbol: 'BTC/USDT', clientOrderId: 'close-1' });
    expect(close).toMatchObject({ side: 'buy', filledQty: 0.02003, avgPrice: 49_000, feeCurrency: 'BTC' });
    expect(lastOrderParams()).toMatchObject({ sideEffectType: 'AUTO_REPAY' });
    const btc = h.emulator.book.marginCross.get('BTC');
    expect(btc?.borrowed).toBe(0);
    expect(btc?.free).toBeCloseTo(0.02003 - 0.00002003 - 0.02, 12);
    // 1 000 + 1 000 − 1 (the short's fee in USDT) − 0.02003 × 49 000
    expect((await h.exchange.fetchBalance()).USDT?.total).toBeCloseTo(1_999 - 981.47, 8);
  });

  it('isolated: a long borrows quote in the symbol’s own wallet and a partial close repays part', async () => {
    h = await startHarness('margin', { account: { marginMode: 'isolated' } });
    h.emulator.setPrice('BTCUSDT', 50_000);
    asset(h.emulator.book.marginWallet('BTCUSDT'), 'USDT').free = 1_000;

    await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.03, clientOrderId: 'long-1' });
    expect(lastOrderParams()).toMatchObject({ isIsolated: 'true', sideEffectType: 'MARGIN_BUY' });
    const wallet = h.emulator.book.marginWallet('BTCUSDT');
    // 1 500 cost, 1 000 own → 500 borrowed; the fee (0.00003 BTC) is taken from the coin bought
    expect(wallet.get('USDT')?.borrowed).toBeCloseTo(500, 8);
    expect(h.emulator.book.marginCross.size).toBe(0);

    const part = await h.exchange.closePosition({ symbol: 'BTC/USDT', qty: 0.01, clientOrderId: 'part-1' });
    expect(part).toMatchObject({ side: 'sell', filledQty: 0.01 });
    expect(lastOrderParams()).toMatchObject({ isIsolated: 'true', sideEffectType: 'AUTO_REPAY' });
    // proceeds 500 − 0.5 fee repay the loan
    expect(wallet.get('USDT')?.borrowed).toBeCloseTo(0.5, 8);
    expect(wallet.get('BTC')?.free).toBeCloseTo(0.01997, 12);
  });

  it('borrowing past the account’s limit is MARGIN_LEVEL_TOO_LOW (seed: reduce position size)', async () => {
    h = await startHarness('margin', { account: { marginMode: 'cross' } });
    h.emulator.setPrice('BTCUSDT', 50_000);
    asset(h.emulator.book.marginCross, 'USDT').free = 1_000;
    const error = (await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.1, clientOrderId: 'big' }).catch((e: unknown) => e)) as ExchangeError;
    expect(error.code).toBe('MARGIN_LEVEL_TOO_LOW');
    expect(h.emulator.book.marginCross.get('USDT')).toEqual({ free: 1_000, borrowed: 0 });
  });

  it('finds a margin order by client id after its answer was dropped', async () => {
    h = await startHarness('margin', { account: { marginMode: 'cross' } });
    h.emulator.setPrice('BTCUSDT', 50_000);
    asset(h.emulator.book.marginCross, 'USDT').free = 1_000;
    h.emulator.inject({ method: 'POST', path: MARGIN_ORDER, fault: { kind: 'drop-after-accept' } });
    const order = await h.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.01, clientOrderId: 'm-drop' });
    expect(order.filledQty).toBe(0.01);
    expect(h.emulator.book.orders.filter((o) => o.clientOrderId === 'm-drop')).toHaveLength(1);
    // the lookup asked the margin API, not the spot one
    expect(h.emulator.count(MARGIN_ORDER, 'GET')).toBe(1);
    expect(h.emulator.count('/api/v3/order')).toBe(0);
  });
});
