import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCcxtClient } from '../../src/exchange/factory.ts';
import { ccxtTickerSource, createMarketDataFeed, createFeedRegistry, type RawTicker, type SharedMarketDataFeed, type TickerSource } from '../../src/exchange/market-data.ts';
import type { StaleEvent, Tick } from '../../src/exchange/port.ts';
import type { EmulatorMarket } from '../emulators/exchange/binance-book.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';

const fiftyMarkets: EmulatorMarket[] = Array.from({ length: 50 }, (_, i) => ({
  id: `C${i}USDT`,
  base: `C${i}`,
  quote: 'USDT',
  tickSize: '0.01',
  stepSize: '0.001',
  minQty: '0.001',
  minNotional: '5',
}));

describe('shared market-data feed', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function emulatorFeed(): Promise<{ emulator: BinanceEmulator; feed: SharedMarketDataFeed }> {
    const emulator = await startBinanceEmulator({ markets: fiftyMarkets });
    fiftyMarkets.forEach((m, i) => emulator.setPrice(m.id, 10 + i));
    // public data only: no API key
    const client = createCcxtClient({ exchange: 'binance', mode: 'spot', options: { binance: { timeout: 400, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } } });
    const feed = createMarketDataFeed({ exchange: 'binance', source: ccxtTickerSource(client), pollIntervalMs: 20 });
    cleanup.push(() => emulator.close(), () => feed.close());
    return { emulator, feed };
  }

  it('1 000 positions on 50 symbols cost one ticker request per poll, not one per position', async () => {
    const { emulator, feed } = await emulatorFeed();
    const received = new Array<number>(1_000).fill(0);
    for (let position = 0; position < 1_000; position += 1) {
      feed.subscribe(`C${position % 50}/USDT`, (tick) => {
        received[position]! += 1;
        expect(tick.price).toBe(10 + (position % 50));
      });
    }
    await vi.waitFor(() => expect(Math.min(...received)).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 10 });
    await feed.close();

    const tickerRequests = emulator.requests.filter((r) => r.path.startsWith('/api/v3/ticker')).length;
    const polls = feed.stats().updates;
    expect(polls).toBeGreaterThanOrEqual(3);
    // one request per poll (the first poll may have covered only the first symbol)
    expect(tickerRequests).toBe(polls);
    expect(tickerRequests).toBeLessThan(1_000 / 50);
    // one market load, no other traffic
    expect(emulator.requests.filter((r) => !r.path.startsWith('/api/v3/ticker')).map((r) => r.path)).toEqual(['/api/v3/exchangeInfo']);
  });

  it('delivers ticks by symbol and stops after unsubscribe', async () => {
    const { emulator, feed } = await emulatorFeed();
    const btc: Tick[] = [];
    const stop = feed.subscribe('C1/USDT', (tick) => btc.push(tick));
    await vi.waitFor(() => expect(btc.length).toBeGreaterThan(0), { timeout: 5_000, interval: 10 });
    expect(btc[0]).toMatchObject({ symbol: 'C1/USDT', price: 11 });
    emulator.setPrice('C1USDT', 12.5);
    await vi.waitFor(() => expect(btc.at(-1)?.price).toBe(12.5), { timeout: 5_000, interval: 10 });
    stop();
    expect(feed.symbols()).toEqual([]);
    const count = btc.length;
    emulator.setPrice('C1USDT', 99);
    const other: Tick[] = [];
    feed.subscribe('C3/USDT', (tick) => other.push(tick));
    await vi.waitFor(() => expect(other.length).toBeGreaterThan(1), { timeout: 5_000, interval: 10 });
    expect(btc.length).toBe(count);
    const lastRequest = emulator.requests.filter((r) => r.path === '/api/v3/ticker/24hr').at(-1);
    expect(lastRequest?.params.symbols).toBe('["C3USDT"]');
    expect(feed.lastTick('C1/USDT')?.price).toBe(12.5);
  });

  it('signals staleness while the exchange fails, reconnects with backoff and recovers', async () => {
    const { emulator } = await emulatorFeed();
    const client = createCcxtClient({ exchange: 'binance', mode: 'spot', options: { binance: { timeout: 300, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } } });
    const errors: string[] = [];
    const feed = createMarketDataFeed({
      exchange: 'binance',
      source: ccxtTickerSource(client),
      pollIntervalMs: 10,
      // wide enough that a busy test machine's pause between two polls is not taken for an outage
      staleAfterMs: 500,
      reconnect: { baseDelayMs: 150, maxDelayMs: 300 },
      random: () => 1, // full backoff: 8 failures span ~2 s, longer than staleAfterMs
      onError: (error) => errors.push(error.code),
    });
    cleanup.push(() => feed.close());
    const events: StaleEvent[] = [];
    feed.onStale((event) => events.push(event));
    const ticks: Tick[] = [];
    feed.subscribe('C2/USDT', (tick) => ticks.push(tick));
    await vi.waitFor(() => expect(ticks.length).toBeGreaterThan(0), { timeout: 5_000, interval: 10 });

    emulator.inject({ method: 'GET', path: '/api/v3/ticker/24hr', times: 8, fault: { kind: 'server-error', status: 503 } });
    await vi.waitFor(() => expect(feed.isStale()).toBe(true), { timeout: 5_000, interval: 10 });
    expect(events[0]?.stale).toBe(true);
    await vi.waitFor(() => expect(feed.isStale()).toBe(false), { timeout: 5_000, interval: 10 });
    expect(events.map((e) => e.stale)).toEqual([true, false]);
    expect(errors).toEqual(new Array(8).fill('EXCHANGE_UNAVAILABLE'));
  });

  it('real ccxt.pro: ticks come from the websocket stream (no polling), and resume after the connection drops', async () => {
    const emulator = await startBinanceEmulator({ markets: fiftyMarkets });
    cleanup.push(() => emulator.close());
    emulator.setPrice('C5USDT', 5);
    const client = createCcxtClient({ exchange: 'binance', mode: 'spot', pro: true, options: { binance: { timeout: 400, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } } });
    const feed = createMarketDataFeed({ exchange: 'binance', source: ccxtTickerSource(client), reconnect: { baseDelayMs: 10, maxDelayMs: 20 } });
    cleanup.push(() => feed.close());
    const prices: number[] = [];
    feed.subscribe('C5/USDT', (tick) => prices.push(tick.price));
    await vi.waitFor(() => expect(prices).toContain(5), { timeout: 5_000, interval: 10 });
    // a live market keeps ticking: each attempt publishes again (ccxt drops updates between two watch calls)
    const publish = (price: number) => () => {
      emulator.setPrice('C5USDT', price);
      expect(prices.at(-1)).toBe(price);
    };
    await vi.waitFor(publish(5.5), { timeout: 5_000, interval: 20 });
    expect(emulator.streams.subscriptions()).toEqual([['c5usdt@miniTicker']]);

    emulator.streams.dropAll();
    await vi.waitFor(() => expect(emulator.streams.subscribeCount()).toBe(2), { timeout: 5_000, interval: 10 });
    await vi.waitFor(publish(6), { timeout: 5_000, interval: 20 });
    expect(feed.stats().failures).toBeGreaterThanOrEqual(1);
    expect(emulator.requests.filter((r) => r.path.includes('ticker'))).toEqual([]);
  });

  async function proFeed(extra: { symbolStaleAfterMs?: number } = {}): Promise<{ emulator: BinanceEmulator; feed: SharedMarketDataFeed }> {
    const emulator = await startBinanceEmulator({ markets: fiftyMarkets });
    fiftyMarkets.forEach((m, i) => emulator.setPrice(m.id, 10 + i));
    const client = createCcxtClient({ exchange: 'binance', mode: 'spot', pro: true, options: { binance: { timeout: 400, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } } });
    const feed = createMarketDataFeed({ exchange: 'binance', source: ccxtTickerSource(client, { retireAfterMs: 200 }), reconnect: { baseDelayMs: 10, maxDelayMs: 20 }, ...extra });
    cleanup.push(() => emulator.close(), () => feed.close());
    return { emulator, feed };
  }

  it('real ccxt.pro: every symbol of a burst gets its price, burst after burst (none lost between two watch calls)', async () => {
    const { emulator, feed } = await proFeed();
    const names = ['C0', 'C1', 'C2'];
    const prices = new Map<string, number[]>(names.map((n) => [n, []]));
    for (const n of names) feed.subscribe(`${n}/USDT`, (tick) => prices.get(n)!.push(tick.price));
    await vi.waitFor(() => expect(names.every((n) => prices.get(n)!.length > 0)).toBe(true), { timeout: 5_000, interval: 10 });
    for (const list of prices.values()) list.length = 0;

    // ten bursts: the exchange pushes all three tickers at once (three messages in one go)
    for (let burst = 1; burst <= 10; burst += 1) {
      names.forEach((n, i) => emulator.setPrice(`${n}USDT`, 100 * (i + 1) + burst));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await vi.waitFor(() => expect(prices.get('C2')!.at(-1)).toBe(310), { timeout: 2_000, interval: 10 });
    const bursts = Array.from({ length: 10 }, (_, b) => b + 1);
    expect(prices.get('C0')).toEqual(bursts.map((b) => 100 + b));
    expect(prices.get('C1')).toEqual(bursts.map((b) => 200 + b));
    expect(prices.get('C2')).toEqual(bursts.map((b) => 300 + b));
    expect(emulator.requests.filter((r) => r.path.includes('ticker'))).toEqual([]);
  });

  it('real ccxt.pro: one websocket per feed: 1 000 subscribe/unsubscribe cycles leave one connection open, none once nobody watches', async () => {
    const { emulator, feed } = await proFeed();
    const held: number[] = [];
    const stopHeld = feed.subscribe('C0/USDT', (tick) => held.push(tick.price));
    await vi.waitFor(() => expect(held.length).toBeGreaterThan(0), { timeout: 5_000, interval: 5 });
    let maxOpen = 0;
    for (let cycle = 0; cycle < 1_000; cycle += 1) {
      const symbol = `C${1 + (cycle % 40)}`;
      let got = 0;
      const stop = feed.subscribe(`${symbol}/USDT`, () => (got += 1));
      // every tenth cycle waits for the symbol's first tick over its new subscription
      if (cycle % 10 === 0) {
        await vi.waitFor(() => expect(got).toBeGreaterThan(0), { timeout: 5_000, interval: 2 });
      } else {
        await new Promise((resolve) => setImmediate(resolve));
      }
      stop();
      maxOpen = Math.max(maxOpen, emulator.streams.openConnections());
    }
    await vi.waitFor(() => expect(emulator.streams.subscriptions()).toEqual([['c0usdt@miniTicker']]), { timeout: 5_000, interval: 10 });
    expect(emulator.streams.openConnections()).toBe(1);
    // the held symbol still ticks on the one connection left
    emulator.setPrice('C0USDT', 4.25);
    await vi.waitFor(() => expect(held.at(-1)).toBe(4.25), { timeout: 2_000, interval: 10 });
    // an old connection stays open only until its replacement delivered
    expect(maxOpen).toBeLessThanOrEqual(4);
    stopHeld();
    await vi.waitFor(() => expect(emulator.streams.openConnections()).toBe(0), { timeout: 2_000, interval: 10 });
  }, 60_000);

  it('real ccxt.pro: a symbol the stream leaves quiet is re-polled over REST and listed stale until the stream speaks again', async () => {
    const { emulator, feed } = await proFeed({ symbolStaleAfterMs: 300 });
    const c1: number[] = [];
    const c2: number[] = [];
    feed.subscribe('C1/USDT', (tick) => c1.push(tick.price));
    feed.subscribe('C2/USDT', (tick) => c2.push(tick.price));
    await vi.waitFor(() => expect(c1.length * c2.length).toBeGreaterThan(0), { timeout: 5_000, interval: 10 });
    emulator.streams.mute('C2USDT');
    emulator.setPrice('C2USDT', 77); // the exchange knows it, the stream does not say it
    const started = Date.now();
    const keepC1Alive = setInterval(() => emulator.setPrice('C1USDT', 11 + (Date.now() % 7) / 100), 50);
    try {
      await vi.waitFor(() => expect(c2.at(-1)).toBe(77), { timeout: 3_000, interval: 10 });
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(1_500);
      const restCalls = emulator.requests.filter((r) => r.path === '/api/v3/ticker/24hr');
      // only the quiet symbol is polled (a slow machine may see the re-poll run twice before this check)
      expect(restCalls.length).toBeGreaterThanOrEqual(1);
      expect(new Set(restCalls.map((r) => r.params.symbols))).toEqual(new Set(['["C2USDT"]']));
      expect(feed.staleSymbols().map((s) => s.symbol)).toEqual(['C2/USDT']);
      expect(feed.isStale()).toBe(false);
      const [entry] = feed.staleSymbols();
      expect(entry!.lastPriceAt! - entry!.lastStreamAt).toBeGreaterThanOrEqual(250);

      emulator.streams.unmute('C2USDT');
      emulator.setPrice('C2USDT', 78);
      await vi.waitFor(() => expect(c2.at(-1)).toBe(78), { timeout: 2_000, interval: 10 });
      expect(feed.staleSymbols()).toEqual([]);
    } finally {
      clearInterval(keepC1Alive);
    }
  });

  it('uses the websocket stream where the source has one, and reconnects after it drops', async () => {
    let calls = 0;
    const source: TickerSource = {
      fetchTickers: () => Promise.reject(new Error('polling must not be used when a websocket exists')),
      watchTickers: async (symbols) => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (calls === 2) throw new Error('connection closed');
        return Object.fromEntries(symbols.map((s): [string, RawTicker] => [s, { symbol: s, last: 100 + calls, timestamp: 1_700_000_000_000 + calls }]));
      },
    };
    const feed = createMarketDataFeed({ exchange: 'fake', source, reconnect: { baseDelayMs: 5, maxDelayMs: 5 } });
    cleanup.push(() => feed.close());
    const prices: number[] = [];
    feed.subscribe('ETH/USDT', (tick) => prices.push(tick.price));
    await vi.waitFor(() => expect(prices.length).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 5 });
    expect(prices.slice(0, 2)).toEqual([101, 103]);
    expect(feed.stats().failures).toBe(1);
  });

  it('websocket: a symbol subscribed while the stream waits on a quiet market is watched at once', async () => {
    const watched: string[][] = [];
    const source: TickerSource = {
      fetchTickers: () => Promise.reject(new Error('no polling')),
      // a quiet market: ETH trades once, then nothing does
      watchTickers: (symbols) => {
        watched.push(symbols);
        return symbols.includes('ETH/USDT') && watched.length === 2 ? Promise.resolve({ 'ETH/USDT': { symbol: 'ETH/USDT', last: 3_000 } }) : new Promise(() => {});
      },
    };
    const feed = createMarketDataFeed({ exchange: 'fake', source });
    cleanup.push(() => feed.close());
    feed.subscribe('QUIET/USDT', () => {});
    await vi.waitFor(() => expect(watched).toEqual([['QUIET/USDT']]));
    const eth: number[] = [];
    feed.subscribe('ETH/USDT', (tick) => eth.push(tick.price));
    await vi.waitFor(() => expect(eth[0]).toBe(3_000), { timeout: 2_000, interval: 5 });
    expect(watched[1]).toEqual(['QUIET/USDT', 'ETH/USDT']);
  });

  it('when websockets keep failing it polls instead, and tries the websocket again later', async () => {
    let clock = 1_000_000;
    let polls = 0;
    let watches = 0;
    const source: TickerSource = {
      fetchTickers: async (symbols) => {
        polls += 1;
        return Object.fromEntries(symbols.map((s): [string, RawTicker] => [s, { symbol: s, last: 42 }]));
      },
      watchTickers: async () => {
        watches += 1;
        throw new Error('ECONNREFUSED');
      },
    };
    const feed = createMarketDataFeed({ exchange: 'fake', source, pollIntervalMs: 5, reconnect: { baseDelayMs: 1, maxDelayMs: 2 }, websocketFailuresBeforePolling: 3, websocketRetryAfterMs: 60_000, now: () => clock });
    cleanup.push(() => feed.close());
    const prices: number[] = [];
    feed.subscribe('BTC/USDT', (tick) => prices.push(tick.price));
    await vi.waitFor(() => expect(prices.length).toBeGreaterThan(2), { timeout: 2_000, interval: 5 });
    expect(watches).toBe(3);
    expect(feed.stats().transport).toBe('polling');
    clock += 60_000;
    await vi.waitFor(() => expect(watches).toBeGreaterThan(3), { timeout: 2_000, interval: 5 });
    expect(polls).toBeGreaterThan(2);
  });

  it('the registry gives one feed per exchange', () => {
    let created = 0;
    const registry = createFeedRegistry((exchange) => {
      created += 1;
      return createMarketDataFeed({ exchange, source: { fetchTickers: async () => ({}) } });
    });
    cleanup.push(() => registry.closeAll());
    expect(registry.feedFor('binance')).toBe(registry.feedFor('binance'));
    registry.feedFor('kraken');
    expect(created).toBe(2);
  });
});
