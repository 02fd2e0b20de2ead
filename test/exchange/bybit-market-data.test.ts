/**
 * The shared price feed on Bybit: real ccxt.pro `bybit` against the emulator's public v5 ticker
 * streams (spot snapshots; perpetual snapshot then deltas), as production runs it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCcxtClient } from '../../src/exchange/factory.ts';
import { ccxtTickerSource, createMarketDataFeed } from '../../src/exchange/market-data.ts';
import type { TradingMode } from '../../src/exchange/port.ts';
import { startBybitEmulator, type BybitEmulator } from '../emulators/exchange/bybit-server.ts';
import { DEFAULT_BYBIT_MARKETS, type BybitMarket } from '../emulators/exchange/bybit-types.ts';

const SOL: BybitMarket = { ...DEFAULT_BYBIT_MARKETS[1]!, symbol: 'SOLUSDT', base: 'SOL' };
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function proFeed(mode: TradingMode): Promise<{ emulator: BybitEmulator; feed: ReturnType<typeof createMarketDataFeed> }> {
  const emulator = await startBybitEmulator({ markets: [...DEFAULT_BYBIT_MARKETS, SOL] });
  const client = createCcxtClient({ exchange: 'bybit', mode, pro: true, options: { bybit: { timeout: 1_000, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } } });
  const feed = createMarketDataFeed({ exchange: 'bybit', source: ccxtTickerSource(client), reconnect: { baseDelayMs: 10, maxDelayMs: 20 } });
  cleanup.push(() => emulator.close(), () => feed.close());
  return { emulator, feed };
}

describe.each(['spot', 'futures'] as const)('Bybit %s price feed over the websocket (real ccxt.pro)', (mode) => {
  const sym = (base: string) => (mode === 'futures' ? `${base}/USDT:USDT` : `${base}/USDT`);

  it('every symbol of a burst gets its price, burst after burst, without REST polling; it resumes after a drop', async () => {
    const { emulator, feed } = await proFeed(mode);
    const last = new Map<string, number>();
    for (const base of ['BTC', 'ETH', 'SOL']) feed.subscribe(sym(base), (tick) => last.set(base, tick.price));
    await vi.waitFor(() => expect(emulator.streams.subscriptions().flat().sort()).toEqual(['tickers.BTCUSDT', 'tickers.ETHUSDT', 'tickers.SOLUSDT']), { timeout: 5_000, interval: 10 });
    for (let burst = 1; burst <= 5; burst++) {
      for (const [i, id] of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'].entries()) emulator.setPrice(id, 100 * (i + 1) + burst);
      await vi.waitFor(() => expect([...['BTC', 'ETH', 'SOL'].map((b) => last.get(b))]).toEqual([100 + burst, 200 + burst, 300 + burst]), { timeout: 5_000, interval: 10 });
    }
    expect(emulator.streams.openConnections()).toBe(1);

    emulator.streams.dropAll();
    await vi.waitFor(() => expect(emulator.streams.openConnections()).toBe(1), { timeout: 5_000, interval: 10 });
    await vi.waitFor(
      () => {
        emulator.setPrice('ETHUSDT', 250);
        expect(last.get('ETH')).toBe(250);
      },
      { timeout: 5_000, interval: 50 },
    );
    expect(emulator.requests.filter((r) => r.path === '/v5/market/tickers')).toEqual([]);
  });
});
