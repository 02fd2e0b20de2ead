/**
 * Websocket market data under bursts (issue 13): 200 symbols, the exchange pushes every one of
 * them at once every 250 ms, for 60 s, through real ccxt.pro against the Binance emulator's
 * stream. Prints the oldest price any subscribed symbol had at 100 ms samples (the goal: never
 * over 2 s), ticks pushed and delivered, websocket connections, and the heap along the run
 * (the goal: flat). MARKET_STREAM_SECONDS=10 shortens the run for a quick check.
 */
import { createCcxtClient } from '../src/exchange/factory.ts';
import { ccxtTickerSource, createMarketDataFeed } from '../src/exchange/market-data.ts';
import type { EmulatorMarket } from '../test/emulators/exchange/binance-book.ts';
import { startBinanceEmulator } from '../test/emulators/exchange/binance-server.ts';
import { fmt, quantile, rng, type Bench } from './lib.ts';

const SYMBOLS = 200;
const BURST_EVERY_MS = 250;
const SAMPLE_EVERY_MS = 100;

const markets: EmulatorMarket[] = Array.from({ length: SYMBOLS }, (_, i) => ({
  id: `S${i}USDT`,
  base: `S${i}`,
  quote: 'USDT',
  tickSize: '0.0001',
  stepSize: '0.001',
  minQty: '0.001',
  minNotional: '5',
}));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => fmt(bytes / 1024 / 1024, 1);

async function bursts(seconds: number): Promise<void> {
  const emulator = await startBinanceEmulator({ markets });
  const r = rng(13);
  const prices = markets.map((_, i) => 10 + i);
  markets.forEach((m, i) => emulator.setPrice(m.id, prices[i]!));
  const client = createCcxtClient({ exchange: 'binance', mode: 'spot', pro: true, options: { binance: { timeout: 2_000, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } } });
  const feed = createMarketDataFeed({ exchange: 'binance', source: ccxtTickerSource(client) });
  const receivedAt = new Array<number>(SYMBOLS).fill(0);
  let delivered = 0;
  markets.forEach((m, i) =>
    feed.subscribe(`${m.base}/USDT`, () => {
      receivedAt[i] = Date.now();
      delivered += 1;
    }),
  );
  while (receivedAt.some((t) => t === 0)) await sleep(10);

  let pushed = 0;
  let running = true;
  const pusher = (async () => {
    while (running) {
      for (let i = 0; i < SYMBOLS; i += 1) {
        prices[i] = Math.max(0.01, prices[i]! * (1 + (r() - 0.5) / 500));
        emulator.setPrice(markets[i]!.id, Number(prices[i]!.toFixed(4)));
        pushed += 1;
      }
      await sleep(BURST_EVERY_MS);
    }
  })();

  const oldest: number[] = [];
  const heap: Array<{ at: number; used: number }> = [];
  let connections = 0;
  const start = Date.now();
  const deliveredAtStart = delivered;
  while (Date.now() - start < seconds * 1_000) {
    await sleep(SAMPLE_EVERY_MS);
    const now = Date.now();
    oldest.push(now - Math.min(...receivedAt));
    connections = Math.max(connections, emulator.streams.openConnections());
    if (oldest.length % 20 === 0) heap.push({ at: (now - start) / 1_000, used: process.memoryUsage().heapUsed });
  }
  running = false;
  await pusher;
  const sorted = [...oldest].sort((a, b) => a - b);
  const stats = feed.stats();
  console.log(
    `${SYMBOLS} symbols, all pushed every ${BURST_EVERY_MS} ms for ${seconds} s: ${pushed} tickers pushed, ${delivered - deliveredAtStart} delivered ` +
      `(${fmt(((delivered - deliveredAtStart) / pushed) * 100, 1)} %), ${stats.updates} watch updates, ${stats.repolls} REST re-polls, ${stats.failures} failures, ` +
      `${connections} websocket connection(s) at most`,
  );
  console.log(
    `oldest price among the ${SYMBOLS} symbols, sampled every ${SAMPLE_EVERY_MS} ms: p50 ${fmt(quantile(sorted, 0.5), 0)} ms, p99 ${fmt(quantile(sorted, 0.99), 0)} ms, ` +
      `max ${fmt(sorted.at(-1) ?? NaN, 0)} ms (goal: never over 2 000 ms) → ${(sorted.at(-1) ?? Infinity) <= 2_000 ? 'met' : 'NOT met'}`,
  );
  if (heap.length >= 2) {
    const first = heap[0]!;
    const lastHeap = heap.at(-1)!;
    const peak = Math.max(...heap.map((h) => h.used));
    console.log(`heap: ${mb(first.used)} MB at ${fmt(first.at, 0)} s, ${mb(lastHeap.used)} MB at ${fmt(lastHeap.at, 0)} s, peak ${mb(peak)} MB (${heap.map((h) => mb(h.used)).join(' ')})`);
  }
  await feed.close();
  await emulator.close();
}

export default {
  name: 'websocket market data under bursts',
  async run() {
    const seconds = Number(process.env['MARKET_STREAM_SECONDS'] ?? 60);
    await bursts(Number.isFinite(seconds) && seconds > 0 ? seconds : 60);
  },
} satisfies Bench;
