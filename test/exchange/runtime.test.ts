import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryPaperStore } from '../../src/exchange/paper-store.ts';
import { createReplayFeed } from '../../src/exchange/replay-feed.ts';
import { createExchangeRuntime, type ExchangeRuntime } from '../../src/exchange/runtime.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';

describe('exchange runtime (composition of factory, feeds and paper)', () => {
  let emulator: BinanceEmulator | undefined;
  let runtime: ExchangeRuntime | undefined;
  afterEach(async () => {
    await runtime?.close();
    await emulator?.close();
    runtime = undefined;
    emulator = undefined;
  });

  it('a paper account trades on the exchange’s public prices and markets, without any key', async () => {
    emulator = await startBinanceEmulator();
    emulator.setPrice('BTCUSDT', 60_000);
    runtime = createExchangeRuntime({
      options: { binance: { timeout: 400, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } },
      feed: { websocket: false, pollIntervalMs: 20 },
      paper: { store: createMemoryPaperStore(), settings: { slippage: 0.001, feeRate: 0.001 } },
    });
    const paper = runtime.create({ exchange: 'binance', mode: 'spot', paper: true, accountId: 'acc-1' });
    const order = await paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.123456, clientOrderId: 'p1' });
    // rounded down to the real step 0.00001; filled at 60 000 × 1.001
    expect(order).toMatchObject({ qty: 0.12345, filledQty: 0.12345, avgPrice: 60_060 });
    expect(emulator.requests.filter((r) => r.signed)).toEqual([]);
    expect(emulator.book.orders).toEqual([]);
    // the same shared feed serves the engine's monitor
    expect(runtime.feedFor('binance', 'spot').lastTick('BTC/USDT')?.price).toBe(60_000);
  });

  it('a live account goes to the ccxt adapter and needs its keys', async () => {
    runtime = createExchangeRuntime({});
    expect(() => runtime!.create({ exchange: 'okx', mode: 'spot', credentials: { apiKey: 'k', secret: 's' } })).toThrow(/passphrase/);
    expect(() => runtime!.create({ exchange: 'binance', mode: 'futures' })).toThrow(/API key and secret/);
    expect(runtime.create({ exchange: 'kraken', mode: 'futures', credentials: { apiKey: 'k', secret: 'c2VjcmV0' } }).account.exchange).toBe('kraken');
  });

  it('every account of an exchange shares one request budget (exchanges limit per IP)', () => {
    runtime = createExchangeRuntime({});
    const budget = (port: unknown) => ((port as { ex: unknown }).ex as { throttler: unknown }).throttler;
    const a = runtime.create({ exchange: 'binance', mode: 'spot', credentials: { apiKey: 'a', secret: 'a' } });
    const b = runtime.create({ exchange: 'binance', mode: 'futures', credentials: { apiKey: 'b', secret: 'b' } });
    const c = runtime.create({ exchange: 'bybit', mode: 'spot', credentials: { apiKey: 'c', secret: 'c' } });
    expect(budget(a)).toBe(budget(b));
    expect(budget(a)).not.toBe(budget(c));
  });

  it('paper trading offline on a replayed candle file', async () => {
    const priceFeed = createReplayFeed({
      speed: 0,
      series: [{ symbol: 'BTC/USDT', candles: [{ time: 0, open: 100, high: 110, low: 95, close: 105, volume: 1 }] }],
    });
    runtime = createExchangeRuntime({ priceFeed, paper: { store: createMemoryPaperStore(), settings: { slippage: 0, feeRate: 0 } } });
    const paper = runtime.create({ exchange: 'binance', mode: 'spot', paper: true, accountId: 'offline' });
    priceFeed.step(2); // open 100, then the low 95 first (110 − 100 > 100 − 95)
    const order = await paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 1, clientOrderId: 'r1' });
    expect(order.avgPrice).toBe(95);
  });
});
