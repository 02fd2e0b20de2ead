/**
 * The live CandleSource against the Binance emulator through real ccxt: the last 60 closed
 * hourly candles, one request for a burst of signals (5 min cache), [] on a server error,
 * logged once, and the candles again once the exchange recovers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCandleSource } from '../../src/engine/candle-source.ts';
import type { EngineLogger } from '../../src/engine/ports.ts';
import { createExchangeRuntime, type ExchangeRuntime } from '../../src/exchange/runtime.ts';
import type { Candle } from '../../src/domain/types.ts';
import type { ExchangeId } from '../../src/exchange/port.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';

const HOUR = 3_600_000;
const T = Date.UTC(2026, 0, 7, 0, 0, 0);
/** 100 hourly candles from T; the last (T + 99 h) is still forming at NOW */
const hourly: Candle[] = Array.from({ length: 100 }, (_, i) => ({ time: T + i * HOUR, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 10 + i }));
const NOW = T + 99 * HOUR + 20 * 60_000;

let emulator: BinanceEmulator;
let runtime: ExchangeRuntime;
let now: number;
let warnings: string[];
const logger: EngineLogger = { info() {}, debug() {}, error() {}, warn: (_obj, msg) => void warnings.push(msg ?? '') };

beforeEach(async () => {
  now = NOW;
  warnings = [];
  emulator = await startBinanceEmulator();
  emulator.setCandles('BTCUSDT', hourly);
  runtime = createExchangeRuntime({
    options: { binance: { timeout: 400, urls: { api: emulator.ccxtApiUrls() } } },
    retryPolicy: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    feed: { websocket: false },
  });
});
afterEach(async () => {
  await runtime.close();
  await emulator.close();
});

const source = () => createCandleSource({ publicPort: (exchange, mode) => runtime.publicPort(exchange as ExchangeId, mode), now: () => now, logger });

describe('live candle source', () => {
  it('gives the last 60 closed hourly candles; a burst of 20 signals costs one request; a new one once the next hour has closed', async () => {
    const candles = source();
    const burst = await Promise.all(Array.from({ length: 20 }, () => candles('binance', 'BTC/USDT')));
    expect(emulator.count('/api/v3/klines')).toBe(1);
    for (const got of burst) expect(got).toEqual(hourly.slice(39, 99)); // 60 closed: T+39h … T+98h
    expect(emulator.requests.find((r) => r.path === '/api/v3/klines')?.params).toMatchObject({ interval: '1h', limit: '61' });

    // read at T+99h20m: the closed set cannot change before T+100h
    now += 39 * 60_000;
    await candles('binance', 'BTC/USDT');
    expect(emulator.count('/api/v3/klines')).toBe(1);
    now += 60_000 + 5_000; // T+100h00m05s: the T+99h candle has closed
    await candles('binance', 'BTC/USDT');
    expect(emulator.count('/api/v3/klines')).toBe(2);
  });

  it('caches per symbol and reads futures symbols from the futures API', async () => {
    const candles = source();
    emulator.setCandles('ETHUSDT', hourly.map((c) => ({ ...c, close: c.close * 10 })));
    expect((await candles('binance', 'ETH/USDT')).at(-1)?.close).toBe(1_990);
    expect((await candles('binance', 'BTC/USDT:USDT')).at(-1)?.close).toBe(199);
    expect(emulator.count('/api/v3/klines')).toBe(1);
    expect(emulator.count('/fapi/v1/klines')).toBe(1);
  });

  it('a 5xx gives [] (percent SL/TP), logged once, not asked again for a minute, and candles after recovery', async () => {
    const candles = source();
    emulator.inject({ path: '/api/v3/klines', times: 4, fault: { kind: 'server-error', status: 503 } });
    expect(await candles('binance', 'BTC/USDT')).toEqual([]);
    expect(await Promise.all(Array.from({ length: 20 }, () => candles('binance', 'BTC/USDT')))).toEqual(Array.from({ length: 20 }, () => []));
    expect(emulator.count('/api/v3/klines')).toBe(2); // one read, retried once
    expect(warnings).toEqual(['candles unavailable; SL/TP fall back to percentages']);

    now += 61_000;
    expect(await candles('binance', 'BTC/USDT')).toEqual([]); // still failing: not logged again
    expect(warnings).toHaveLength(1);
    now += 61_000;
    expect(await candles('binance', 'BTC/USDT')).toHaveLength(60);
  });

  it('an unknown symbol or exchange gives []', async () => {
    const candles = source();
    expect(await candles('binance', 'NOPE/USDT')).toEqual([]);
    expect(await candles('nosuchexchange', 'BTC/USDT')).toEqual([]);
    expect(warnings).toHaveLength(2);
  });
});
