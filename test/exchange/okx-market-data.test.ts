/**
 * The shared price feed on OKX: real ccxt.pro `okx` watching the emulator's public websocket
 * (tickers channel, one message per instrument), and REST polling of /market/tickers, for spot
 * and swap instruments; candles from /market/candles.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCcxtClient } from '../../src/exchange/factory.ts';
import { ccxtTickerSource, createMarketDataFeed } from '../../src/exchange/market-data.ts';
import { startOkxEmulator, type OkxEmulator } from '../emulators/exchange/okx-server.ts';
import { okxOptions, startOkxHarness } from './okx-support.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function emulator(): Promise<OkxEmulator> {
  const e = await startOkxEmulator();
  cleanup.push(() => e.close());
  return e;
}

describe('OKX prices', () => {
  it('websocket: every ticker of a burst of spot and swap prices arrives, none over REST; a dropped connection is dialled again', async () => {
    const e = await emulator();
    for (const id of ['BTC-USDT', 'ETH-USDT']) e.setPrice(id, 100);
    const client = createCcxtClient({ exchange: 'okx', mode: 'spot', pro: true, options: { okx: { ...okxOptions(e).okx, enableRateLimit: false } } });
    const feed = createMarketDataFeed({ exchange: 'okx', source: ccxtTickerSource(client), reconnect: { baseDelayMs: 10, maxDelayMs: 20 } });
    cleanup.push(() => feed.close());
    const prices = new Map<string, number[]>([['BTC/USDT', []], ['ETH/USDT', []]]);
    for (const [symbol, list] of prices) feed.subscribe(symbol, (tick) => list.push(tick.price));
    await vi.waitFor(() => expect(e.streams.subscriptions().flat().sort()).toEqual(['BTC-USDT', 'ETH-USDT']), { timeout: 15_000, interval: 10 });
    for (let burst = 1; burst <= 5; burst += 1) {
      e.setPrice('BTC-USDT', 50_000 + burst);
      e.setPrice('ETH-USDT', 3_000 + burst);
      await new Promise((r) => setTimeout(r, 30));
    }
    await vi.waitFor(() => expect(prices.get('ETH/USDT')!.at(-1)).toBe(3_005), { timeout: 3_000, interval: 10 });
    expect(prices.get('BTC/USDT')!.slice(-5)).toEqual([50_001, 50_002, 50_003, 50_004, 50_005]);
    expect(prices.get('ETH/USDT')!.slice(-5)).toEqual([3_001, 3_002, 3_003, 3_004, 3_005]);
    expect(e.requests.filter((r) => r.path.includes('ticker'))).toEqual([]);
    expect(e.streams.openConnections()).toBe(1);

    e.streams.dropAll();
    await vi.waitFor(() => expect(e.streams.openConnections()).toBe(1), { timeout: 5_000, interval: 10 });
    await vi.waitFor(
      () => {
        e.setPrice('BTC-USDT', 51_000);
        expect(prices.get('BTC/USDT')!.at(-1)).toBe(51_000);
      },
      { timeout: 5_000, interval: 30 },
    );
  });

  it('REST: swap tickers polled from /market/tickers?instType=SWAP', async () => {
    const e = await emulator();
    e.setPrice('BTC-USDT-SWAP', 50_000);
    const client = createCcxtClient({ exchange: 'okx', mode: 'futures', options: { okx: { ...okxOptions(e).okx, enableRateLimit: false } } });
    const feed = createMarketDataFeed({ exchange: 'okx', source: ccxtTickerSource(client), pollIntervalMs: 20 });
    cleanup.push(() => feed.close());
    const prices: number[] = [];
    feed.subscribe('BTC/USDT:USDT', (tick) => prices.push(tick.price));
    await vi.waitFor(() => expect(prices).toContain(50_000), { timeout: 5_000, interval: 10 });
    e.setPrice('BTC-USDT-SWAP', 50_100);
    await vi.waitFor(() => expect(prices.at(-1)).toBe(50_100), { timeout: 5_000, interval: 10 });
    expect(e.requests.find((r) => r.path === '/api/v5/market/tickers')?.params).toMatchObject({ instType: 'SWAP' });
  });

  it('candles from /market/candles, oldest first on the port', async () => {
    const h = await startOkxHarness('spot');
    cleanup.push(() => h.close());
    const t0 = Date.UTC(2026, 0, 7, 0);
    const list = Array.from({ length: 30 }, (_, i) => ({ time: t0 + i * 3_600_000, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 10 }));
    h.emulator.setCandles('BTC-USDT', list);
    const candles = await h.exchange.fetchCandles!('BTC/USDT', '1h', 24);
    expect(candles).toHaveLength(24);
    expect(candles[0]).toEqual(list[6]);
    expect(candles.at(-1)).toEqual(list[29]);
    expect(h.emulator.requests.find((r) => r.path === '/api/v5/market/candles')?.params).toMatchObject({ instId: 'BTC-USDT', bar: '1H', limit: '24' });
  });
});
