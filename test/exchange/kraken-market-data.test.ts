/**
 * The shared price feed on Kraken spot: real ccxt.pro (`kraken` watchTickers, websocket v2) against
 * the emulator's ticker channel: ticks arrive from the websocket (no REST polling), every symbol
 * of a burst, and the feed resubscribes after the connection drops.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCcxtClient } from '../../src/exchange/factory.ts';
import { ccxtTickerSource, createMarketDataFeed } from '../../src/exchange/market-data.ts';
import { startKrakenSpotEmulator } from '../emulators/exchange/kraken-server.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('Kraken spot prices over the websocket (real ccxt.pro)', () => {
  it('every symbol of a burst arrives from the v2 ticker channel, without REST polling, and again after a drop', async () => {
    const emulator = await startKrakenSpotEmulator();
    cleanup.push(() => emulator.close());
    emulator.setPrice('XBTUSDT', 50_000);
    emulator.setPrice('ETHUSDT', 3_000);
    const client = createCcxtClient({ exchange: 'kraken', mode: 'spot', pro: true, options: { kraken: { timeout: 1_000, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } } });
    const feed = createMarketDataFeed({ exchange: 'kraken', source: ccxtTickerSource(client), reconnect: { baseDelayMs: 10, maxDelayMs: 20 } });
    cleanup.push(() => feed.close());
    const seen = new Map<string, number[]>();
    for (const symbol of ['BTC/USDT', 'ETH/USDT']) feed.subscribe(symbol, (tick) => seen.set(symbol, [...(seen.get(symbol) ?? []), tick.price]));
    await vi.waitFor(() => expect([seen.get('BTC/USDT')?.at(-1), seen.get('ETH/USDT')?.at(-1)]).toEqual([50_000, 3_000]), { timeout: 10_000, interval: 20 });
    expect(emulator.streams.subscriptions().flat().sort()).toEqual(['BTC/USDT', 'ETH/USDT']);

    // a burst: both symbols change at once; neither update is lost
    const burst = (b: number, e: number) => () => {
      emulator.setPrice('XBTUSDT', b);
      emulator.setPrice('ETHUSDT', e);
      expect([seen.get('BTC/USDT')?.at(-1), seen.get('ETH/USDT')?.at(-1)]).toEqual([b, e]);
    };
    await vi.waitFor(burst(50_100, 3_010), { timeout: 5_000, interval: 30 });

    emulator.streams.dropAll();
    await vi.waitFor(burst(50_200, 3_020), { timeout: 10_000, interval: 30 });
    expect(feed.stats().failures).toBeGreaterThanOrEqual(1);
    expect(emulator.requests.filter((r) => r.path.endsWith('/Ticker'))).toEqual([]);
    expect(emulator.streams.openConnections()).toBe(1);
  });
});
