/**
 * Shared market data: fan-out cost of one poll to many positions, replay speed, paper fills.
 * Figures only; correctness is in test/exchange/.
 */
import { fixtureFile } from '../test/support/fixtures.ts';
import { createMarketDataFeed, type RawTicker } from '../src/exchange/market-data.ts';
import { PaperExchange } from '../src/exchange/paper.ts';
import { createMemoryPaperStore } from '../src/exchange/paper-store.ts';
import { createReplayFeed, loadReplaySeries } from '../src/exchange/replay-feed.ts';
import { fmt, ms, rng, type Bench } from './lib.ts';

const SYMBOLS = Array.from({ length: 50 }, (_, i) => `C${i}/USDT`);

async function fanOut(positions: number, polls: number): Promise<void> {
  const r = rng(7);
  let requests = 0;
  const feed = createMarketDataFeed({
    exchange: 'bench',
    pollIntervalMs: 0,
    source: {
      fetchTickers: async (symbols) => {
        requests += 1;
        return Object.fromEntries(symbols.map((s): [string, RawTicker] => [s, { symbol: s, last: 100 + r(), timestamp: 0 }]));
      },
    },
  });
  let delivered = 0;
  for (let p = 0; p < positions; p += 1) feed.subscribe(SYMBOLS[p % SYMBOLS.length]!, () => (delivered += 1));
  const start = process.hrtime.bigint();
  while (feed.stats().updates < polls) await new Promise((resolve) => setImmediate(resolve));
  const elapsed = ms(start);
  await feed.close();
  const done = feed.stats().updates;
  console.log(
    `${positions} positions on ${SYMBOLS.length} symbols: ${done} polls, ${requests} ticker requests (${fmt(requests / done, 2)} per poll), ` +
      `${fmt(delivered / done, 0)} ticks per poll, ${fmt((elapsed / done) * 1000, 0)} µs per poll incl. fan-out`,
  );
}

async function replay(): Promise<void> {
  const series = await loadReplaySeries({ 'BTC/USDT': fixtureFile('BTC_USDT-1m-2021-02-19.csv') });
  const start = process.hrtime.bigint();
  const feed = createReplayFeed({ series, speed: Number.POSITIVE_INFINITY });
  let ticks = 0;
  feed.subscribe('BTC/USDT', () => (ticks += 1));
  await feed.finished;
  const elapsed = ms(start);
  console.log(`replay: ${ticks} ticks (7 days of 1 m candles) in ${fmt(elapsed)} ms = ${fmt(ticks / elapsed, 0)}k ticks/s`);
}

async function paperFills(count: number): Promise<void> {
  const paper = new PaperExchange({
    account: { exchange: 'binance', mode: 'futures', paper: true, accountId: 'bench' },
    store: createMemoryPaperStore(),
    price: async () => 50_000,
    settings: { startBalance: 1e12 },
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i += 1) {
    await paper.placeOrder({ symbol: 'BTC/USDT:USDT', side: i % 2 === 0 ? 'buy' : 'sell', type: 'market', qty: 0.01, leverage: 5, clientOrderId: `o${i}` });
  }
  const elapsed = ms(start);
  console.log(`paper (memory store): ${count} market fills in ${fmt(elapsed)} ms = ${fmt((elapsed / count) * 1000, 0)} µs per fill`);
}

export default {
  name: 'market data and paper exchange',
  async run() {
    await fanOut(1_000, 200);
    await fanOut(10_000, 50);
    await replay();
    await paperFills(5_000);
  },
} satisfies Bench;
