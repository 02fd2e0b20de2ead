/**
 * The ccxt adapter on Kraken Futures: real ccxt `krakenfutures` against the emulator. USD-quoted
 * linear perpetuals, quantities in contracts, the multi-collateral account, leverage preferences,
 * reduce-only closes and the backstop's reduce-only stop.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { marketSymbol } from '../../src/engine/market-symbol.ts';
import { EXCHANGE_ERROR_MESSAGES, type ExchangeError } from '../../src/exchange/port.ts';
import { quirksFor } from '../../src/exchange/quirks/index.ts';
import { startKrakenFutures, type KrakenFuturesHarness } from './krakenfutures-support.ts';

const BTC = 'BTC/USD:USD';
const kraken = quirksFor('kraken');

describe('Kraken Futures markets', () => {
  it.each([
    ['BTC/USDT', 'BTC/USD:USD'],
    ['BTCUSDT', 'BTC/USD:USD'],
    ['ETH/USDC', 'ETH/USD:USD'],
    ['SOL/USD', 'SOL/USD:USD'],
    ['ETH/BTC', 'ETH/BTC:BTC'],
  ])('a %s signal trades %s', (signal, expected) => {
    expect(marketSymbol(signal, 'futures', kraken)).toBe(expected);
    expect(marketSymbol(signal, 'futures')).not.toBe('BTC/USD:USD'); // without the rule: BTC/USDT:USDT, which Kraken does not list
  });

  describe('against the emulator', () => {
    let h: KrakenFuturesHarness;
    beforeEach(async () => (h = await startKrakenFutures()));
    afterEach(() => h.close());

    it('loads the linear multi-collateral perpetuals only, with their maximum leverage', async () => {
      const markets = await h.exchange.loadMarkets();
      expect(Object.keys(markets).sort()).toEqual(['BTC/USD:USD', 'ETH/USD:USD', 'SOL/USD:USD']);
      expect(markets[BTC]).toMatchObject({ id: 'PF_XBTUSD', base: 'BTC', quote: 'USD', settle: 'USD', type: 'swap', contractSize: 1, stepSize: 0.0001, tickSize: 1, maxLeverage: 50 });
      expect(markets['SOL/USD:USD']?.maxLeverage).toBe(10);
    });

    it('refuses an inverse contract with the reason, and a dated future', async () => {
      const inverse = (await h.exchange.market('BTC/USD:BTC').catch((e: unknown) => e)) as ExchangeError;
      expect(inverse.code).toBe('UNKNOWN_SYMBOL');
      expect(inverse.message).toBe('BTC/USD:BTC is not traded on kraken futures: it is an inverse contract (margined and settled in BTC); the bot trades Kraken\'s USD-margined linear perpetuals (PF_) only.');
      const dated = (await h.exchange.market('BTC/USD:BTC-260327').catch((e: unknown) => e)) as ExchangeError;
      expect(dated.message).toContain('inverse contract');
    });
  });
});

describe('Kraken Futures account and orders', () => {
  let h: KrakenFuturesHarness;
  afterEach(() => h.close());

  it('sizes from the multi-collateral available margin in USD, not a USDT balance', async () => {
    h = await startKrakenFutures({ USDT: 10_000, USD: 0 });
    h.emulator.book.haircuts.set('USDT', 0.01);
    const balance = await h.exchange.fetchBalance();
    expect(balance).toEqual({ USD: { free: 9_900, used: 0, total: 9_900 } });
    await h.exchange.placeOrder({ symbol: BTC, side: 'buy', type: 'market', qty: 0.1, leverage: 5, clientOrderId: 'open1' });
    const after = await h.exchange.fetchBalance();
    // 0.1 × 50 000 at 5× holds 1 000; the 0.05 % fee (2.50 USD) is taken in USD
    expect(after.USD!.free).toBeCloseTo(9_900 - 2.5 - 1_000, 6);
    expect(after.USD!.total).toBeCloseTo(9_900 - 2.5, 6);
  });

  describe('with 10 000 USD', () => {
    beforeEach(async () => (h = await startKrakenFutures()));

    it('sets the leverage preference once per symbol, capped by the market maximum, then fills in contracts', async () => {
      const order = await h.exchange.placeOrder({ symbol: BTC, side: 'buy', type: 'market', qty: 0.0123, leverage: 125, clientOrderId: 'k-open-1' });
      expect(order).toMatchObject({ status: 'closed', filledQty: 0.0123, avgPrice: 50_000, side: 'buy' });
      expect(order.fee).toBeCloseTo(0.0123 * 50_000 * 0.0005, 9);
      const put = h.emulator.requests.filter((r) => r.path.endsWith('/leveragepreferences') && r.method === 'PUT');
      expect(put.map((r) => r.params)).toEqual([{ maxLeverage: '50', symbol: 'PF_XBTUSD' }]);
      await h.exchange.placeOrder({ symbol: BTC, side: 'buy', type: 'market', qty: 0.0001, leverage: 125, clientOrderId: 'k-open-2' });
      expect(h.emulator.count('/leveragepreferences', 'PUT')).toBe(1);
      const sent = h.emulator.requests.find((r) => r.path.endsWith('/sendorder'));
      expect(sent?.params).toMatchObject({ orderType: 'mkt', symbol: 'PF_XBTUSD', side: 'buy', size: '0.0123', cliOrdId: 'k-open-1' });
      const [position] = await h.exchange.fetchPositions();
      expect(position).toMatchObject({ symbol: BTC, side: 'long', qty: 0.0124, leverage: 50 });
    });

    it('the venue refuses a leverage preference above the market maximum; the bot asks for at most the maximum', async () => {
      const order = await h.exchange.placeOrder({ symbol: 'SOL/USD:USD', side: 'buy', type: 'market', qty: 1, leverage: 25, clientOrderId: 'sol' });
      expect(order.filledQty).toBe(1);
      expect(h.emulator.book.leveragePreferences.get('PF_SOLUSD')).toBe(10);
      expect(() => h.emulator.book.maxLeverage('PF_SOLUSD')).not.toThrow();
      const raw = await fetch(`${h.emulator.url}/derivatives/api/v3/instruments`).then((r) => r.json() as Promise<{ result: string }>);
      expect(raw.result).toBe('success');
    });

    it('a partial reduce-only close, then the rest; P&L and fees settle in USD', async () => {
      await h.exchange.placeOrder({ symbol: BTC, side: 'sell', type: 'market', qty: 0.2, leverage: 10, clientOrderId: 'short' });
      h.emulator.setPrice('PF_XBTUSD', 49_000);
      const part = await h.exchange.closePosition({ symbol: BTC, qty: 0.05, clientOrderId: 'tp1' });
      expect(part).toMatchObject({ side: 'buy', filledQty: 0.05, avgPrice: 49_000 });
      expect(h.emulator.requests.filter((r) => r.path.endsWith('/sendorder')).at(-1)?.params.reduceOnly).toBe('true');
      await h.exchange.closePosition({ symbol: BTC, clientOrderId: 'rest' });
      expect(await h.exchange.fetchPositions()).toEqual([]);
      const fees = 0.0005 * (0.2 * 50_000 + 0.2 * 49_000);
      expect(h.emulator.book.collateral.get('USD')).toBeCloseTo(10_000 + 0.2 * 1_000 - fees, 6);
    });

    it('insufficient margin (Appendix B "Insufficient funds") maps to the trader message', async () => {
      const error = (await h.exchange.placeOrder({ symbol: BTC, side: 'buy', type: 'market', qty: 20, leverage: 5, clientOrderId: 'big' }).catch((e: unknown) => e)) as ExchangeError;
      expect(error.code).toBe('INSUFFICIENT_FUNDS');
      expect(error.message).toBe(EXCHANGE_ERROR_MESSAGES.INSUFFICIENT_FUNDS);
    });

    it('a reduce-only order with nothing to reduce is refused (wouldNotReducePosition)', async () => {
      const error = (await h.exchange.placeOrder({ symbol: BTC, side: 'sell', type: 'market', qty: 0.01, reduceOnly: true, clientOrderId: 'ro' }).catch((e: unknown) => e)) as ExchangeError;
      expect(error.code).toBe('REDUCE_ONLY_INVALID');
    });

    it('a wrong secret is refused by Kraken\'s Authent check (authenticationError)', async () => {
      const bad = h.port({ credentials: { apiKey: h.emulator.apiKey, secret: Buffer.from('not-the-secret').toString('base64') } });
      const error = (await bad.fetchBalance().catch((e: unknown) => e)) as ExchangeError;
      expect(error.code).toBe('AUTH_FAILED');
      const wrongKey = h.port({ credentials: { apiKey: 'someone-else', secret: h.emulator.secret } });
      expect(((await wrongKey.fetchBalance().catch((e: unknown) => e)) as ExchangeError).code).toBe('AUTH_FAILED');
      expect(await h.exchange.fetchBalance()).toEqual({ USD: { free: 10_000, used: 0, total: 10_000 } });
    });

    it('a rate-limit answer is retried; an order whose answer was dropped is found by its client id, priced from its fill', async () => {
      h.emulator.inject({ path: '/accounts', fault: { kind: 'rate-limit' } });
      expect((await h.exchange.fetchBalance()).USD?.free).toBe(10_000);
      expect(h.waits.length).toBeGreaterThan(0);
      h.emulator.inject({ path: '/sendorder', fault: { kind: 'drop-after-accept' } });
      const order = await h.exchange.placeOrder({ symbol: BTC, side: 'buy', type: 'market', qty: 0.01, leverage: 5, clientOrderId: 'dropped' });
      expect(order).toMatchObject({ status: 'closed', filledQty: 0.01, avgPrice: 50_000 });
      expect(h.emulator.count('/sendorder')).toBe(1);
      expect(h.emulator.requests.find((r) => r.path.endsWith('/orders/status'))?.params).toMatchObject({ cliOrdIds: 'dropped' });
    });

    it('candles and tickers', async () => {
      const hour = 3_600_000;
      const start = Math.floor(Date.now() / hour) * hour - 5 * hour;
      h.emulator.setCandles('PF_XBTUSD', [0, 1, 2, 3, 4].map((i) => ({ time: start + i * hour, open: 100 + i, high: 110 + i, low: 90 + i, close: 105 + i, volume: 7 })));
      // limit 3 asks from now − 3 h: the candles opened at or after that
      const candles = await h.exchange.fetchCandles!(BTC, '1h', 3);
      expect(candles.map((c) => c.close)).toEqual([108, 109]);
      expect(h.emulator.requests.find((r) => r.path.startsWith('/api/charts/'))?.path).toBe('/api/charts/v1/trade/PF_XBTUSD/1h');
      h.emulator.setPrice('PF_XBTUSD', 51_234);
      expect(await h.exchange.fetchPrice(BTC)).toBe(51_234);
    });
  });
});

describe('Kraken Futures backstop: a reduce-only stop (real ccxt, emulator)', () => {
  let h: KrakenFuturesHarness;
  beforeEach(async () => (h = await startKrakenFutures()));
  afterEach(() => h.close());

  it('is placed as stp reduceOnly for the exact contracts, seen open, and cancelled', async () => {
    await h.exchange.placeOrder({ symbol: BTC, side: 'buy', type: 'market', qty: 0.02, leverage: 5, clientOrderId: 'entry' });
    const stop = await h.exchange.placeStop!({ symbol: BTC, side: 'long', qty: 0.02, stopPrice: 47_500.7, clientOrderId: 'bsabc001' });
    expect(stop).toMatchObject({ status: 'open', stopPrice: 47_500, qty: 0.02 });
    const sent = h.emulator.requests.filter((r) => r.path.endsWith('/sendorder')).at(-1);
    expect(sent?.params).toMatchObject({ orderType: 'stp', side: 'sell', size: '0.02', stopPrice: '47500', reduceOnly: 'true', cliOrdId: 'bsabc001', triggerSignal: 'last' });
    expect(await h.exchange.fetchStop!(BTC, { clientOrderId: 'bsabc001' })).toMatchObject({ status: 'open', stopPrice: 47_500 });
    const cancelled = await h.exchange.cancelStop!(BTC, { id: stop.id });
    expect(cancelled?.status).toBe('canceled');
    expect(h.emulator.book.orders.find((o) => o.orderId === stop.id)?.status).toBe('cancelled');
    expect(await h.exchange.cancelStop!(BTC, { id: stop.id })).toBeUndefined();
  });

  it('fired: found with its fill right after, and by its fill once orders/status has forgotten it (after 5 s)', async () => {
    await h.exchange.placeOrder({ symbol: BTC, side: 'buy', type: 'market', qty: 0.02, leverage: 5, clientOrderId: 'entry' });
    await h.exchange.placeStop!({ symbol: BTC, side: 'long', qty: 0.02, stopPrice: 47_500, clientOrderId: 'bsfired01' });
    for (const price of [48_000, 47_600, 47_400]) h.emulator.setPrice('PF_XBTUSD', price);
    expect(h.emulator.book.positions.size).toBe(0);
    const soon = await h.exchange.fetchStop!(BTC, { clientOrderId: 'bsfired01' });
    expect(soon).toMatchObject({ status: 'closed', fill: { filledQty: 0.02, avgPrice: 47_400, side: 'sell' } });
    expect(soon!.fill!.fee).toBeCloseTo(0.02 * 47_400 * 0.0005, 9);
    h.emulator.advance(6_000);
    const later = await h.exchange.fetchStop!(BTC, { clientOrderId: 'bsfired01' });
    expect(later).toMatchObject({ status: 'closed', fill: { filledQty: 0.02, avgPrice: 47_400, feeCurrency: 'USD' } });
    expect(await h.exchange.fetchStop!(BTC, { clientOrderId: 'never-placed' })).toBeUndefined();
  });
});
