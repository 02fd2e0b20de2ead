/**
 * fetchCandles through real ccxt against the Binance emulator's klines: the live adapter's public
 * port (spot and futures), and the paper exchange delegating to it (none on a replay feed).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryPaperStore } from '../../src/exchange/paper-store.ts';
import { createExchangeRuntime, type ExchangeRuntime } from '../../src/exchange/runtime.ts';
import type { Candle } from '../../src/domain/types.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';

const HOUR = 3_600_000;
const T = Date.UTC(2026, 0, 7, 0, 0, 0);
const hourly: Candle[] = Array.from({ length: 100 }, (_, i) => ({ time: T + i * HOUR, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 10 + i }));

let emulator: BinanceEmulator;
let runtime: ExchangeRuntime;
beforeEach(async () => {
  emulator = await startBinanceEmulator();
  emulator.setCandles('BTCUSDT', hourly);
  runtime = createExchangeRuntime({
    options: { binance: { timeout: 400, urls: { api: emulator.ccxtApiUrls() } } },
    paper: { store: createMemoryPaperStore() },
    feed: { websocket: false },
  });
});
afterEach(async () => {
  await runtime.close();
  await emulator.close();
});

describe('candles through ccxt fetchOHLCV', () => {
  it('the public spot port reads the last 61 hourly klines, oldest first, as numbers, without a key', async () => {
    const candles = await runtime.publicPort('binance', 'spot').fetchCandles!('BTC/USDT', '1h', 61);
    expect(candles).toEqual(hourly.slice(-61));
    const sent = emulator.requests.filter((r) => r.path === '/api/v3/klines');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ signed: false, params: { symbol: 'BTCUSDT', interval: '1h', limit: '61' } });
  });

  it('a futures symbol reads /fapi/v1/klines', async () => {
    const candles = await runtime.publicPort('binance', 'futures').fetchCandles!('BTC/USDT:USDT', '1h', 5);
    expect(candles.map((c) => c.close)).toEqual([196, 197, 198, 199, 200]);
    expect(emulator.count('/fapi/v1/klines')).toBe(1);
  });

  it('a paper account on live market data delegates to the public klines', async () => {
    const paper = runtime.create({ exchange: 'binance', mode: 'spot', paper: true, accountId: 'paper-1' });
    expect((await paper.fetchCandles!('BTC/USDT', '1h', 3)).map((c) => c.time)).toEqual([T + 97 * HOUR, T + 98 * HOUR, T + 99 * HOUR]);
  });

  it('a paper account on a replay feed has no candle history', async () => {
    const replay = createExchangeRuntime({ priceFeed: new ManualFeed('binance', { now: () => T }), paper: { store: createMemoryPaperStore() } });
    const paper = replay.create({ exchange: 'binance', mode: 'spot', paper: true, accountId: 'paper-2' });
    expect(paper.fetchCandles).toBeUndefined();
    await replay.close();
  });
});
