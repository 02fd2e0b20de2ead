/**
 * The shared price feed on Bitget: real ccxt.pro (`bitget` watchTickers) against the emulator's
 * public websocket, spot and USDT-M: ticks arrive from the ticker channel (no REST polling), every
 * symbol of a burst, and the feed resubscribes after the connection drops.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCcxtClient } from '../../src/exchange/factory.ts';
import { ccxtTickerSource, createMarketDataFeed } from '../../src/exchange/market-data.ts';
import { startBitgetEmulator } from '../emulators/exchange/bitget-server.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe.each([
  { mode: 'spot' as const, btc: 'BTC/USDT', eth: 'ETH/USDT', instType: 'SPOT' },
  { mode: 'futures' as const, btc: 'BTC/USDT:USDT', eth: 'ETH/USDT:USDT', instType: 'USDT-FUTURES' },
])('Bitget $mode prices over the websocket (real ccxt.pro)', ({ mode, btc, eth, instType }) => {
  it('every symbol of a burst arrives from the ticker channel, without REST polling, and again after a drop', async () => {
    const emulator = await startBitgetEmulator();
    cleanup.push(() => emulator.close());
    emulator.setPrice('BTCUSDT', 50_000);
    emulator.setPrice('ETHUSDT', 3_000);
    const client = createCcxtClient({ exchange: 'bitget', mode, pro: true, options: { bitget: { timeout: 1_000, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } } });
    const feed = createMarketDataFeed({ exchange: 'bitget', source: ccxtTickerSource(client), reconnect: { baseDelayMs: 10, maxDelayMs: 20 } });
    cleanup.push(() => feed.close());
    const seen = new Map<string, number[]>();
    for (const symbol of [btc, eth]) feed.subscribe(symbol, (tick) => seen.set(symbol, [...(seen.get(symbol) ?? []), tick.price]));
    await vi.waitFor(() => expect([seen.get(btc)?.at(-1), seen.get(eth)?.at(-1)]).toEqual([50_000, 3_000]), { timeout: 10_000, interval: 20 });
    expect(emulator.streams.subscriptions().flat().sort()).toEqual([`${instType}:BTCUSDT`, `${instType}:ETHUSDT`]);

    // a burst: both symbols change at once; neither update is lost
    const burst = (b: number, e: number) => () => {
      emulator.setPrice('BTCUSDT', b);
      emulator.setPrice('ETHUSDT', e);
      expect([seen.get(btc)?.at(-1), seen.get(eth)?.at(-1)]).toEqual([b, e]);
    };
    await vi.waitFor(burst(50_100, 3_010), { timeout: 5_000, interval: 30 });

    emulator.streams.dropAll();
    await vi.waitFor(burst(50_200, 3_020), { timeout: 10_000, interval: 30 });
    expect(feed.stats().failures).toBeGreaterThanOrEqual(1);
    expect(emulator.requests.filter((r) => r.path.includes('ticker'))).toEqual([]);
  });
});
