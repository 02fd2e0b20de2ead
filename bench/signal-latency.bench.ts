/**
 * Signal → entry order over the network (issue 13, item 6): the real engine on embedded PGlite,
 * real ccxt against the Binance emulator answering every request 50 ms late (a distant exchange),
 * 100 traders with an account each. Markets, hourly candles and the balance are warm (each trader
 * traded once before, as in a running bot); the price comes from the shared feed. Prints, per
 * trader, the time from the signal's INSERT to the entry order's arrival at the exchange:
 *  - one signal at a time (each trader's own), p50 and p99 (goal: p50 < 120 ms, p99 < 250 ms);
 *  - one signal for all 100 traders at once, when the last order arrived (figure only);
 *  - the same single-signal path cold (a fresh engine: markets, balance and candles unknown).
 */
import { createRepos } from '../src/db/repos/index.ts';
import { createUsersRepo } from '../src/db/repos/users.ts';
import { tradingSignals } from '../src/db/schema.ts';
import { createEngine, type Engine } from '../src/engine/create-engine.ts';
import { createCandleSource } from '../src/engine/candle-source.ts';
import type { CandleSource } from '../src/engine/decide-entry.ts';
import { createExchangeFactory } from '../src/exchange/factory.ts';
import { createExchangeRuntime } from '../src/exchange/runtime.ts';
import type { ExchangeId } from '../src/exchange/port.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../test/emulators/exchange/binance-server.ts';
import { DEFAULT_MARKETS } from '../test/emulators/exchange/binance-book.ts';
import { ManualFeed } from '../test/fakes/manual-feed.ts';
import { MemoryNotifier } from '../test/fakes/memory-notifier.ts';
import { secretBox } from '../test/engine/harness.ts';
import { openTestDatabase, type TestDatabase } from '../test/support/databases.ts';
import { fmt, quantile, type Bench } from './lib.ts';

const TRADERS = 100;
const LATENCY_MS = 50;
const HOUR = 3_600_000;
const PRICES: Record<string, number> = { BTCUSDT: 50_000, ETHUSDT: 3_000, SOLUSDT: 150 };

interface Rig {
  database: TestDatabase;
  emulator: BinanceEmulator;
  feed: ManualFeed;
  engine: Engine;
  traders: string[];
  candles: CandleSource;
}

async function rig(): Promise<Rig> {
  const database = await openTestDatabase('pglite');
  const emulator = await startBinanceEmulator({ markets: [...DEFAULT_MARKETS, { id: 'SOLUSDT', base: 'SOL', quote: 'USDT', tickSize: '0.01', stepSize: '0.001', minQty: '0.001', minNotional: '5' }] });
  emulator.book.spot('USDT').free = 100_000_000;
  const start = Math.floor(Date.now() / HOUR) * HOUR - 80 * HOUR;
  for (const id of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']) {
    const base = PRICES[id]!;
    emulator.setCandles(id, Array.from({ length: 80 }, (_, i) => ({ time: start + i * HOUR, open: base, high: base * 1.01, low: base * 0.99, close: base * (1 + 0.001 * Math.sin(i)), volume: 10 })));
    emulator.setPrice(id, base);
  }
  const options = { binance: { timeout: 5_000, urls: { api: emulator.ccxtApiUrls() } } };
  const feed = new ManualFeed('binance', { now: Date.now });
  // as the runtime does: the adapter checks an order's minimum value on the shared feed's price
  const factory = createExchangeFactory({ options, priceHint: (_exchange, symbol) => feed.lastTick(symbol)?.price });
  const runtime = createExchangeRuntime({ options, feed: { websocket: false } });
  const repos = createRepos(database.db, secretBox());
  const accounts = repos.accounts;
  const users = createUsersRepo(database.db);
  const traders: string[] = [];
  for (let i = 0; i < TRADERS; i++) {
    const { user } = await users.upsertFromTelegram({ telegramId: 900_000 + i, chatId: 900_000 + i });
    await accounts.create({ userId: user.id, exchange: 'binance', mode: 'spot', credentials: { apiKey: emulator.apiKey, secret: emulator.secret } });
    traders.push(user.id);
  }
  const candles = createCandleSource({ publicPort: (exchange, mode) => runtime.publicPort(exchange as ExchangeId, mode) });
  const engine = createEngine({
    database,
    repos,
    notifier: new MemoryNotifier(),
    createExchange: (account) => factory.create(account),
    feeds: () => feed,
    candles,
    config: { trustedSources: ['titan_v3'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 } },
    options: { schedule: false, userConcurrency: TRADERS },
  });
  await engine.start();
  return { database, emulator, feed, engine, traders, candles };
}

const orders = (e: BinanceEmulator) => e.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order');

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
}

/** each trader's own signal, one after another: ms from INSERT to the order's arrival */
async function oneAtATime(r: Rig, symbol: string): Promise<number[]> {
  const took: number[] = [];
  for (const userId of r.traders) {
    r.feed.push(symbol, PRICES[symbol.replace('/', '')]!);
    const before = orders(r.emulator).length;
    const at = Date.now();
    await r.database.db.insert(tradingSignals).values({ symbol, action: 'BUY', confidence: 0.9, source: 'titan_v3', userId });
    await waitFor(() => orders(r.emulator).length > before);
    const order = orders(r.emulator)[before];
    took.push(order ? order.at - at : NaN);
    await r.engine.settle();
  }
  return took.sort((a, b) => a - b);
}

export default {
  name: `signal → entry order over the network (${LATENCY_MS} ms per request, ${TRADERS} traders, PGlite)`,
  async run() {
    const r = await rig();
    // warm-up: every trader trades once (markets, candles, balance cache), with no latency
    await oneAtATime(r, 'ETH/USDT');
    r.emulator.latencyMs = LATENCY_MS;
    const mark = r.emulator.requests.length;
    const warm = await oneAtATime(r, 'BTC/USDT');
    const perEntry = r.emulator.requests.slice(mark).filter((q) => q.path !== '/api/v3/klines');
    console.log(`requests per entry: ${fmt(perEntry.length / TRADERS, 2)} (${[...new Set(perEntry.map((q) => `${q.method} ${q.path}`))].join(', ')}: the order, the backstop's stop, the balance read again in the background)`);
    const ok = quantile(warm, 0.5) < 120 && quantile(warm, 0.99) < 250;
    console.log(`one signal at a time, warm: p50 ${fmt(quantile(warm, 0.5), 0)} ms, p99 ${fmt(quantile(warm, 0.99), 0)} ms, max ${fmt(warm.at(-1) ?? NaN, 0)} ms → ${ok ? 'met' : 'NOT met'} (goal: p50 < 120 ms, p99 < 250 ms)`);

    // one signal for everyone (no userId): when did each order arrive? (SOL's candles warmed first)
    r.feed.push('SOL/USDT', 150);
    await r.candles('binance', 'SOL/USDT');
    const before = orders(r.emulator).length;
    const at = Date.now();
    await r.database.db.insert(tradingSignals).values({ symbol: 'SOL/USDT', action: 'BUY', confidence: 0.9, source: 'titan_v3' });
    await waitFor(() => orders(r.emulator).length >= before + TRADERS);
    const burst = orders(r.emulator).slice(before).map((o) => o.at - at).sort((a, b) => a - b);
    console.log(`one signal for all ${TRADERS} traders: ${burst.length} orders, first ${fmt(burst[0] ?? NaN, 0)} ms, p50 ${fmt(quantile(burst, 0.5), 0)} ms, last ${fmt(burst.at(-1) ?? NaN, 0)} ms`);
    await r.engine.stop();
    await r.emulator.close();
    await r.database.destroy();

    // cold: a fresh engine and exchange instances; the first signal of each trader pays for markets, balance and candles
    const c = await rig();
    c.emulator.latencyMs = LATENCY_MS;
    const cold = await oneAtATime(c, 'BTC/USDT');
    console.log(`one signal at a time, cold (first signal after a start): p50 ${fmt(quantile(cold, 0.5), 0)} ms, p99 ${fmt(quantile(cold, 0.99), 0)} ms`);
    await c.engine.stop();
    await c.emulator.close();
    await c.database.destroy();
  },
} satisfies Bench;
