/**
 * Engine figures (printed, not asserted), on embedded PGlite and, when TEST_DATABASE_URL is set,
 * on a fresh PostgreSQL database too:
 *  - signal INSERT → entry order at the exchange (NOTIFY path, full validation/sizing), p50/p99;
 *  - tick → close order with 10 000 open positions across 1 000 users (20 symbols), p50/p99;
 *  - restart with 10 000 open positions until monitoring resumes (restore + reconcile + subscribe);
 *  - heap per 1 000 open positions in memory.
 * The exchange is the in-memory test venue (no network), so the figures are the engine's own.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRepos } from '../src/db/repos/index.ts';
import { toPositionRow, type PositionRecord } from '../src/db/repos/positions.ts';
import { apiKeys, positions, tradingSignals, users } from '../src/db/schema.ts';
import { openPosition } from '../src/domain/monitor/state.ts';
import { DEFAULT_MONITOR_SETTINGS } from '../src/domain/settings.ts';
import { createEngine, type Engine } from '../src/engine/create-engine.ts';
import type { Database } from '../src/db/client.ts';
import { FakeClock } from '../test/fakes/fake-clock.ts';
import { FakeVenue } from '../test/fakes/fake-venue.ts';
import { ManualFeed } from '../test/fakes/manual-feed.ts';
import { MemoryNotifier } from '../test/fakes/memory-notifier.ts';
import { secretBox, T0 } from '../test/engine/harness.ts';
import { databaseKinds, openTestDatabase } from '../test/support/databases.ts';
import { fmt, ms, quantile, type Bench } from './lib.ts';

const SIGNALS = 200;
const USERS = 1_000;
const PER_USER = 10;
const SYMBOLS = 20;
const TICKS = 300;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function rig(database: Database, onOrder: (op: string, id: string) => void) {
  const clock = new FakeClock(T0);
  const feed = new ManualFeed('binance', clock);
  const venue = new FakeVenue({ price: (s) => feed.lastTick(s)?.price, feeRate: 0.001, now: () => clock.now(), onOrder, startBalance: { USDT: 1_000_000 } });
  const engine = (): Engine =>
    createEngine({
      database,
      repos: createRepos(database.db, secretBox()),
      notifier: new MemoryNotifier(),
      clock,
      createExchange: (account) => venue.port(account),
      feeds: () => feed,
      config: { trustedSources: ['titan_v3'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 } },
      options: { schedule: false },
    });
  return { clock, feed, venue, engine };
}

async function addUsers(database: Database, n: number, offset: number): Promise<Array<{ userId: string; accountId: string }>> {
  const out: Array<{ userId: string; accountId: string }> = [];
  for (let i = 0; i < n; i += 500) {
    const batch = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ id: randomUUID(), telegramId: offset + i + j, chatId: offset + i + j }));
    await database.db.insert(users).values(batch);
    const accounts = batch.map((u) => ({ id: randomUUID(), userId: u.id, exchange: 'binance', mode: 'spot', isPaper: true }));
    await database.db.insert(apiKeys).values(accounts);
    accounts.forEach((a) => out.push({ userId: a.userId, accountId: a.id }));
  }
  return out;
}

async function signalLatency(database: Database): Promise<string> {
  const arrivals = new Map<string, bigint>();
  const r = rig(database, (op, id) => {
    if (op === 'placeOrder') arrivals.set(id, process.hrtime.bigint());
  });
  r.feed.push('BTC/USDT', 100);
  const traders = await addUsers(database, SIGNALS, 1_000_000);
  const engine = r.engine();
  await engine.start();
  const samples: number[] = [];
  for (const t of traders) {
    const before = arrivals.size;
    const t0 = process.hrtime.bigint();
    await database.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.8, source: 'titan_v3', userId: t.userId, createdAt: new Date(r.clock.now()) });
    while (arrivals.size === before) await new Promise((res) => setImmediate(res));
    samples.push(ms(t0, [...arrivals.values()].at(-1)!));
    await engine.settle();
  }
  await engine.stop();
  samples.sort((a, b) => a - b);
  return `signal INSERT → entry order: p50 ${fmt(quantile(samples, 0.5), 2)} ms, p90 ${fmt(quantile(samples, 0.9), 2)} ms, p99 ${fmt(quantile(samples, 0.99), 2)} ms (n=${samples.length}; target p99 < 1000 ms)`;
}

/** 10 000 long spot positions at entry 100 on 20 symbols; on each symbol the stops are spread 80.000 … 89.975. */
async function seedPositions(database: Database, venue: FakeVenue): Promise<PositionRecord[]> {
  const traders = await addUsers(database, USERS, 2_000_000);
  const records: PositionRecord[] = [];
  let k = 0;
  for (const t of traders) {
    for (let j = 0; j < PER_USER; j++, k++) {
      const symbol = `S${k % SYMBOLS}/USDT`;
      const rank = Math.floor(k / SYMBOLS);
      const state = openPosition({ side: 'long', entry: 100, qty: 1, stopLoss: 90 - rank * 0.02, takeProfit: 200, openedAt: T0, mode: 'spot' }, DEFAULT_MONITOR_SETTINGS);
      records.push({ id: randomUUID(), userId: t.userId, accountId: t.accountId, signalId: null, exchange: 'binance', isPaper: true, symbol, state, settings: DEFAULT_MONITOR_SETTINGS, status: 'open', closeReason: null, realizedPnl: 0, feesPaid: 0.1, entryFee: 0.1, closedAt: null, pendingAction: null, rev: 0 });
      const base = symbol.split('/')[0]!;
      venue.setBalance(t.accountId, base, (venue.wallet(t.accountId).balances[base] ?? 0) + 1);
    }
  }
  for (let i = 0; i < records.length; i += 1_000) await database.db.insert(positions).values(records.slice(i, i + 1_000).map(toPositionRow));
  return records;
}

async function monitorFigures(database: Database): Promise<string[]> {
  let arrived: bigint | undefined;
  const r = rig(database, (op) => {
    if (op === 'closePosition') arrived ??= process.hrtime.bigint();
  });
  for (let s = 0; s < SYMBOLS; s++) r.feed.setPrice(`S${s}/USDT`, 95);
  await seedPositions(database, r.venue);

  // the exit's write-ahead is the first raw statement after a tick: time when it is issued, to
  // split the engine's own decision time from the database's commit time
  let issued: bigint | undefined;
  const db = database.db as unknown as { execute: (q: unknown) => Promise<unknown> };
  const execute = db.execute.bind(db);
  db.execute = (q) => {
    issued ??= process.hrtime.bigint();
    return execute(q);
  };

  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const engine = r.engine();
  const t0 = process.hrtime.bigint();
  await engine.start();
  const restartMs = ms(t0);
  gc();
  const heapPer1000 = (process.memoryUsage().heapUsed - heapBefore) / (engine.openPositionCount() / 1_000) / 1_048_576;

  // each tick steps one symbol's price just below the next highest stop: exactly one position closes
  const next = new Array<number>(SYMBOLS).fill(0);
  const samples: number[] = [];
  const deciding: number[] = [];
  for (let i = 0; i < TICKS; i++) {
    const s = i % SYMBOLS;
    const stop = 90 - next[s]! * 0.02;
    next[s]! += 1;
    arrived = undefined;
    issued = undefined;
    const t1 = process.hrtime.bigint();
    r.feed.push(`S${s}/USDT`, stop - 0.01);
    while (arrived === undefined) await new Promise((res) => setImmediate(res));
    samples.push(ms(t1, arrived));
    if (issued !== undefined) deciding.push(ms(t1, issued));
    await engine.settle();
  }
  const open = engine.openPositionCount();
  await engine.stop();
  samples.sort((a, b) => a - b);
  deciding.sort((a, b) => a - b);
  return [
    `tick → close order, 10 000 open positions / 1 000 users: p50 ${fmt(quantile(samples, 0.5), 2)} ms, p90 ${fmt(quantile(samples, 0.9), 2)} ms, p99 ${fmt(quantile(samples, 0.99), 2)} ms (n=${samples.length}, ${open} still open; target p99 < 10 ms)`,
    `  of which deciding (tick → evaluate 500 positions → write-ahead issued): p50 ${fmt(quantile(deciding, 0.5), 2)} ms, p99 ${fmt(quantile(deciding, 0.99), 2)} ms; the rest is the write-ahead statement`,
    `restart with 10 000 open positions until monitoring resumes: ${fmt(restartMs, 0)} ms (restore, reconcile 1 000 accounts, subscribe)`,
    `memory: ${fmt(heapPer1000, 2)} MB per 1 000 open positions (target < 5 MB)`,
  ];
}

export default {
  name: 'engine',
  async run() {
    for (const kind of databaseKinds()) {
      const a = await openTestDatabase(kind);
      const latency = await signalLatency(a);
      await a.destroy();
      const b = await openTestDatabase(kind);
      const monitor = await monitorFigures(b);
      await b.destroy();
      console.log(`[${kind}] load average ${fmt(loadavg()[0]!, 1)} on ${availableParallelism()} cores (a loaded machine stretches the tails)`);
      for (const line of [latency, ...monitor]) console.log(`  ${line}`);
    }
  },
} satisfies Bench;
