/**
 * Live candles reach the entry decision: a signal without SL/TP opens with ATR/regime levels
 * computed by the domain (computeSlTp) on the last 60 closed hourly candles the live candle
 * source read from the Binance emulator through real ccxt; without candles the user's percent
 * levels apply. Candles: the recorded BTC/USDT week of 2021-02-19, resampled to 1 h.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCandlesCsv } from '../../src/domain/csv.ts';
import { resampleCandles } from '../../src/domain/candles.ts';
import { computeSlTp } from '../../src/domain/sltp.ts';
import type { Candle } from '../../src/domain/types.ts';
import { createCandleSource } from '../../src/engine/candle-source.ts';
import type { ExchangeId } from '../../src/exchange/port.ts';
import { createExchangeRuntime, type ExchangeRuntime } from '../../src/exchange/runtime.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { fixtureFile } from '../support/fixtures.ts';
import { createHarness, signalsDone, T0, type Harness } from './harness.ts';

const HOUR = 3_600_000;

/** 61 real hourly BTC candles re-timed so the last one opens at T0 (still forming then) */
function recordedHours(): Candle[] {
  const parsed = parseCandlesCsv(readFileSync(fixtureFile('BTC_USDT-1m-2021-02-19.csv'), 'utf8'), 'BTC_USDT-1m');
  if (!parsed.ok) throw new Error('bad csv');
  const hours = resampleCandles(parsed.value, HOUR).slice(60, 121);
  return hours.map((c, k) => ({ ...c, time: T0 - (60 - k) * HOUR }));
}

describe.each(databaseKinds())('ATR/regime SL/TP from live candles on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  let emulator: BinanceEmulator;
  let runtime: ExchangeRuntime;

  afterEach(async () => {
    await h?.engine.stop();
    await db?.destroy();
    await runtime?.close();
    await emulator?.close();
  });

  async function setup(withCandles: boolean) {
    emulator = await startBinanceEmulator();
    const hours = recordedHours();
    emulator.setCandles('BTCUSDT', hours);
    runtime = createExchangeRuntime({ options: { binance: { timeout: 400, urls: { api: emulator.ccxtApiUrls() } } }, feed: { websocket: false } });
    db = await openTestDatabase(kind);
    const overrides = withCandles
      ? { candles: createCandleSource({ publicPort: (exchange, mode) => runtime.publicPort(exchange as ExchangeId, mode), now: () => h.clock.now() }) }
      : {};
    h = await createHarness(db, {}, overrides);
    const closed = hours.slice(0, 60);
    const entry = closed.at(-1)!.close;
    h.feed.push('BTC/USDT', entry);
    await h.engine.start();
    return { closed, entry };
  }

  it('a BUY without levels gets the domain ATR levels of the last 60 closed hourly candles', async () => {
    const { closed, entry } = await setup(true);
    const { userId } = await h.addTrader(9101);
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
    await signalsDone(h);
    const [position] = await h.engine.facade.listPositions(userId);
    const expected = computeSlTp({ side: 'long', entry, signalStopLoss: null, signalTakeProfit: null, candles: closed, stopLossPct: 2, takeProfitPct: 10 });
    expect(expected.slSource).toBe('atr');
    expect(expected.tpSource).toBe('atr');
    expect(expected.regime).not.toBeNull();
    expect(position).toBeDefined();
    expect(position!.stopLoss).toBeCloseTo(expected.stopLoss, 6);
    expect(position!.takeProfit).toBeCloseTo(expected.takeProfit, 6);
    // not the 2 % / 10 % fallback
    expect(Math.abs(position!.stopLoss! - entry * 0.98)).toBeGreaterThan(1);
    expect(emulator.count('/api/v3/klines')).toBe(1);
  });

  it('without a candle source the user percentages apply', async () => {
    const { entry } = await setup(false);
    const { userId } = await h.addTrader(9102);
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
    await signalsDone(h);
    const [position] = await h.engine.facade.listPositions(userId);
    const pct = computeSlTp({ side: 'long', entry, signalStopLoss: null, signalTakeProfit: null, candles: [], stopLossPct: 2, takeProfitPct: 10 });
    expect(pct.slSource).toBe('percent');
    expect(position!.stopLoss).toBeCloseTo(pct.stopLoss, 6);
    expect(position!.takeProfit).toBeCloseTo(pct.takeProfit, 6);
    expect(emulator.count('/api/v3/klines')).toBe(0);
  });
});
