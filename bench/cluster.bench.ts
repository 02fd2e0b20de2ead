/**
 * Several engine processes on one PostgreSQL (issue 17, SPEC §12), measured at the protocol edge:
 * the PostgreSQL server (TEST_DATABASE_URL or DATABASE_URL; a fresh database per world, dropped
 * after), real ccxt in every process against the Binance emulator in this one, prices to every
 * process on stdin (bench/cluster-child.ts, wired as main.ts wires it). Each trader has a spot
 * account of their own and one long per symbol, its backstop resting on the emulator.
 *
 *  1. The same 300 traders and 3 000 positions with 1 process, then with 3:
 *     - start → every position monitored (restore, backstop lookups, reconcile, per shard);
 *     - tick → close: a price just through one stop → that exit's market sell at the emulator;
 *       then one tick through 15 stops at once, each exit;
 *     - signal → order: a trading_signals row for one trader → its entry order at the emulator,
 *       one trader at a time; then one signal for all 300 traders, each trader's order.
 *  2. 3 000 traders and 30 000 positions over 3 processes: start → every position monitored, a
 *     price walk on 10 symbols (tick → each exit it causes), memory (RSS) per process.
 *
 * ccxt's request throttle is off (CLUSTER_RATE_LIMIT=ccxt turns it on): the figures are the
 * engine's, the database's and the emulator's, not Binance's request budget.
 * CLUSTER_TRADERS_BIG=600 shrinks world 2 (a quick run).
 */
import { availableParallelism, loadavg } from 'node:os';
import { tradingSignals } from '../src/db/schema.ts';
import { createWorld, marketOrders, sleep, symbolId, type SeededPosition, type World } from './cluster-rig.ts';
import { fmt, quantile, rng, type Bench } from './lib.ts';

const SMALL = { traders: Number(process.env['CLUSTER_TRADERS_SMALL'] ?? 300), symbols: 10 };
const BIG = { traders: Number(process.env['CLUSTER_TRADERS_BIG'] ?? 3_000), symbols: 10 };
const RATE_LIMIT = process.env['CLUSTER_RATE_LIMIT'] === 'ccxt';
const SINGLE_TICKS = 100;
const BURST_STOPS = 15;
const ONE_AT_A_TIME = 50;
const WALK_TICKS = Number(process.env['CLUSTER_WALK_TICKS'] ?? 1_200);
const WALK_SPACING_MS = 50;

const load = () => fmt(loadavg()[0]!, 2);
const mb = (bytes: number) => fmt(bytes / 1_048_576, 0);

async function until(what: string, ok: () => boolean, timeoutMs: number, stepMs = 2): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) {
      console.log(`  (${what}: not within ${timeoutMs} ms)`);
      return false;
    }
    await sleep(stepMs);
  }
  return true;
}

function summary(samples: number[], digits = 1): string {
  const s = samples.filter(Number.isFinite).sort((a, b) => a - b);
  const lost = samples.length - s.length;
  return `p50 ${fmt(quantile(s, 0.5), digits)} / p99 ${fmt(quantile(s, 0.99), digits)} / max ${fmt(s.at(-1) ?? NaN, digits)} ms (n = ${s.length}${lost > 0 ? `, ${lost} never arrived` : ''})`;
}

/** the exit of a trader's position on `symbol` (its market sell), ms after `from`; NaN when none arrived */
function exitAfter(world: World, trader: World['traders'][number], symbol: string, from: number): number {
  const sell = marketOrders(trader.book, symbolId(symbol), 'SELL')[0];
  const at = sell && world.arrivals.get(sell.clientOrderId);
  return at === undefined ? NaN : at - from;
}

/** start `count` processes: ms until the shards are split over all of them and every seeded position is monitored, and until the emulator goes quiet */
async function start(world: World, count: number, total: number): Promise<{ bootedMs: number; startedMs: number; monitoredMs: number; quietMs: number; lookups: number; requests: string }> {
  const t0 = performance.now();
  const wall0 = Date.now();
  const members = world.spawn(count);
  const ready = () => members.every((m) => m.status.shards > 0) && members.reduce((s, m) => s + m.status.shards, 0) === 64 && members.reduce((s, m) => s + m.status.open, 0) === total;
  await until('every position monitored', ready, 900_000, 50);
  const monitoredMs = performance.now() - t0;
  // the start-up requests (backstop lookups, balances) end when the emulator has heard nothing for 3 s
  await until('the start-up requests done', () => Date.now() - (world.emulator.requests.at(-1)?.at ?? 0) > 3_000, 900_000, 100);
  const startup = world.emulator.requests.filter((r) => r.at >= wall0);
  const quietMs = (startup.at(-1)?.at ?? wall0) - wall0;
  const byPath = new Map<string, number>();
  for (const r of startup) byPath.set(`${r.method} ${r.path}`, (byPath.get(`${r.method} ${r.path}`) ?? 0) + 1);
  const startedMs = Math.max(...members.map((m) => m.startedAt)) - t0;
  const bootedMs = Math.max(...members.map((m) => m.bootAt)) - t0;
  return { bootedMs, startedMs, monitoredMs, quietMs, lookups: byPath.get('GET /api/v3/order') ?? 0, requests: [...byPath].map(([k, n]) => `${n.toLocaleString('en-US')} × ${k}`).join(', ') };
}

function processes(world: World): string {
  return world.members
    .map((m) => {
      const line = `${m.name}: ${m.status.shards} shards, ${m.status.open.toLocaleString('en-US')} positions, RSS ${mb(m.status.rss)} MB (${mb(m.bootRss)} at boot, peak ${mb(m.peakRss)}), heap ${mb(m.status.heap)} MB, longest event-loop stall ${fmt(m.stallMs, 0)} ms${m.leaseLosses > 0 ? `, stopped acting for shards ${m.leaseLosses}× so far` : ''}`;
      m.stallMs = 0;
      return line;
    })
    .join('; ');
}

function started(s: Awaited<ReturnType<typeof start>>, total: number): string {
  return `start → code loaded in every process ${fmt(s.bootedMs / 1000, 1)} s, every process started ${fmt(s.startedMs / 1000, 1)} s, every position monitored ${fmt(s.monitoredMs / 1000, 1)} s, start-up requests done ${fmt(s.quietMs / 1000, 1)} s (${s.requests}; ${fmt(s.lookups / total, 1)} order lookups per position)`;
}

/** one tick per seeded position, each just through the next highest stop of a symbol (round robin) */
async function singleTicks(world: World, next: Map<string, number>): Promise<number[]> {
  const samples: number[] = [];
  const { spacing } = world;
  for (let i = 0; i < SINGLE_TICKS; i++) {
    const symbol = world.symbols[i % world.symbols.length]!;
    const rank = next.get(symbol) ?? 0;
    next.set(symbol, rank + 1);
    const target = world.bySymbol.get(symbol)![rank]!;
    const at = world.tick(symbol, target.stop - spacing / 2);
    await until('the exit', () => marketOrders(target.trader.book, symbolId(symbol), 'SELL').length > 0, 10_000);
    samples.push(exitAfter(world, target.trader, symbol, at));
    await sleep(30);
  }
  return samples;
}

/** one tick through the next BURST_STOPS stops of the first symbol (fewer where the stops lie far apart): each exit */
async function burstTick(world: World, next: Map<string, number>): Promise<number[]> {
  const symbol = world.symbols[0]!;
  const { spacing } = world;
  const rank = next.get(symbol) ?? 0;
  // all within 0.4 of the price: none of their backstops (0.5 % below each stop) is reached
  const count = Math.min(BURST_STOPS, Math.floor(0.4 / spacing));
  const targets = world.bySymbol.get(symbol)!.slice(rank, rank + count);
  next.set(symbol, rank + count);
  const at = world.tick(symbol, targets.at(-1)!.stop - spacing / 2);
  await until('every exit', () => targets.every((t) => marketOrders(t.trader.book, symbolId(symbol), 'SELL').length > 0), 30_000);
  return targets.map((t) => exitAfter(world, t.trader, symbol, at));
}

/** the entry order of one trader's signal, ms after the INSERT began; traders spread over the list */
async function signalsOneAtATime(world: World): Promise<number[]> {
  const samples: number[] = [];
  for (let k = 0; k < ONE_AT_A_TIME; k++) {
    const trader = world.traders[Math.floor((k * world.traders.length) / ONE_AT_A_TIME)]!;
    const at = performance.now();
    await world.database.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.8, source: 'titan_v3', userId: trader.userId });
    await until('the entry', () => marketOrders(trader.book, 'BTCUSDT', 'BUY').length > 0, 10_000);
    const order = marketOrders(trader.book, 'BTCUSDT', 'BUY')[0];
    const arrived = order && world.arrivals.get(order.clientOrderId);
    samples.push(arrived === undefined ? NaN : arrived - at);
    await sleep(100);
  }
  return samples;
}

/** one signal for every trader: each trader's entry order, ms after the INSERT began */
async function signalForAll(world: World): Promise<number[]> {
  const at = performance.now();
  await world.database.db.insert(tradingSignals).values({ symbol: 'ETH/USDT', action: 'BUY', confidence: 0.8, source: 'titan_v3' });
  await until('every entry', () => world.traders.every((t) => marketOrders(t.book, 'ETHUSDT', 'BUY').length > 0), 120_000, 20);
  return world.traders.map((t) => {
    const order = marketOrders(t.book, 'ETHUSDT', 'BUY')[0];
    const arrived = order && world.arrivals.get(order.clientOrderId);
    return arrived === undefined ? NaN : arrived - at;
  });
}

async function smallWorld(count: number): Promise<void> {
  const world = await createWorld({ ...SMALL, startPrice: 95, stopLow: 84, rateLimit: RATE_LIMIT });
  const total = SMALL.traders * SMALL.symbols;
  try {
    console.log(`[${count} process${count > 1 ? 'es' : ''}, ${SMALL.traders} traders, ${total.toLocaleString('en-US')} positions] load average ${load()} at start`);
    const s = await start(world, count, total);
    console.log(`  ${started(s, total)}`);
    console.log(`  ${processes(world)}`);
    const next = new Map<string, number>();
    console.log(`  tick → close order, one stop crossed per tick: ${summary(await singleTicks(world, next), 2)}`);
    const burst = await burstTick(world, next);
    console.log(`  tick → close order, one tick through ${burst.length} stops, each exit: ${summary(burst, 1)}`);
    console.log(`  signal INSERT → entry order, one trader at a time: ${summary(await signalsOneAtATime(world), 1)}`);
    console.log(`  signal INSERT → entry order, one signal for all ${SMALL.traders} traders, each trader: ${summary(await signalForAll(world), 0)}`);
    console.log(`  ${processes(world)}; load average ${load()} at end`);
  } finally {
    await world.close();
  }
}

/**
 * The walk: one symbol per tick in turn, every WALK_SPACING_MS; each step uniform in [−0.10 %,
 * +0.08 %] of the price (a backstop, 0.5 % below its stop, is reached only if the bot has not closed
 * the position by five of its symbol's ticks later). An exit's time runs from the first tick at or
 * below its stop.
 */
async function bigWorld(): Promise<void> {
  const startPrice = 90.3;
  // stops spread over 60–90: about 100 per unit of price on each symbol
  const world = await createWorld({ ...BIG, startPrice, stopLow: 60, rateLimit: RATE_LIMIT });
  const total = BIG.traders * BIG.symbols;
  try {
    console.log(`[3 processes, ${BIG.traders.toLocaleString('en-US')} traders, ${total.toLocaleString('en-US')} positions] load average ${load()} at start`);
    const s = await start(world, 3, total);
    console.log(`  ${started(s, total)}`);
    console.log(`  ${processes(world)}`);

    const random = rng(17);
    const price = new Map(world.symbols.map((x) => [x, startPrice]));
    const crossedAt = new Map<SeededPosition, number>();
    const pointer = new Map(world.symbols.map((x) => [x, 0]));
    const walkStart = performance.now();
    for (let i = 0; i < WALK_TICKS; i++) {
      const symbol = world.symbols[i % world.symbols.length]!;
      const p = Math.round(price.get(symbol)! * (1 + (random() * 0.18 - 0.1) / 100) * 1000) / 1000;
      price.set(symbol, p);
      const at = world.tick(symbol, p);
      const list = world.bySymbol.get(symbol)!;
      let k = pointer.get(symbol)!;
      while (k < list.length && list[k]!.stop >= p) crossedAt.set(list[k++]!, at);
      pointer.set(symbol, k);
      const due = walkStart + (i + 1) * WALK_SPACING_MS;
      if (due > performance.now()) await sleep(due - performance.now());
    }
    const walkMs = performance.now() - walkStart;
    const crossed = [...crossedAt.keys()];
    await until('every crossed position closed', () => crossed.every((c) => marketOrders(c.trader.book, symbolId(c.symbol), 'SELL').length > 0 || firedBackstop(c)), 180_000, 50);
    const closedByBot = crossed.filter((c) => marketOrders(c.trader.book, symbolId(c.symbol), 'SELL').length > 0);
    const latencies = closedByBot.map((c) => exitAfter(world, c.trader, c.symbol, crossedAt.get(c)!));
    const fired = crossed.filter((c) => !closedByBot.includes(c) && firedBackstop(c)).length;
    const missing = crossed.length - closedByBot.length - fired;
    const exitTimes = closedByBot.map((c) => world.arrivals.get(marketOrders(c.trader.book, symbolId(c.symbol), 'SELL')[0]!.clientOrderId)!);
    const firstCross = Math.min(...crossedAt.values());
    const lastExit = Math.max(...exitTimes);
    const lows = world.symbols.map((x) => fmt(price.get(x)!, 2)).join(', ');
    console.log(`  price walk: ${WALK_TICKS} ticks in ${fmt(walkMs / 1000, 1)} s over ${world.symbols.length} symbols (last prices ${lows}); ${crossed.length.toLocaleString('en-US')} stops crossed`);
    console.log(
      `  tick → close order on the walk, each exit by the bot: ${summary(latencies, 1)}; ${closedByBot.length.toLocaleString('en-US')} exits in ${fmt((lastExit - firstCross) / 1000, 1)} s (${fmt(closedByBot.length / ((lastExit - firstCross) / 1000), 1)} exits/s); backstops that fired first on the exchange: ${fired}; crossed, not closed: ${missing}`,
    );
    const stillOpen = total - crossed.length;
    console.log(`  after the walk: ${world.members.reduce((s, m) => s + m.status.open, 0).toLocaleString('en-US')} positions monitored of ${stillOpen.toLocaleString('en-US')} not crossed`);
    console.log(`  ${processes(world)}; load average ${load()} at end`);
  } finally {
    await world.close();
  }
}

/** the trader's backstop on the symbol fired on the emulator (the bot's exit came too late) */
function firedBackstop(c: SeededPosition): boolean {
  return c.trader.book.orders.some((o) => o.symbol === symbolId(c.symbol) && o.type === 'STOP_LOSS_LIMIT' && o.status === 'FILLED');
}

export default {
  name: 'cluster: several engine processes on one PostgreSQL',
  async run() {
    const url = process.env['TEST_DATABASE_URL'] ?? process.env['DATABASE_URL'];
    if (!url?.startsWith('postgres')) {
      console.log('skipped: needs a PostgreSQL server (TEST_DATABASE_URL or DATABASE_URL=postgres://…)');
      return;
    }
    process.env['TEST_DATABASE_URL'] = url; // where the fresh databases are created
    console.log(`${availableParallelism()} cores; load average ${load()} at start; ccxt throttle ${RATE_LIMIT ? 'on' : 'off'}`);
    const only = process.env['CLUSTER_ONLY'];
    if (only !== 'big') {
      await smallWorld(1);
      await smallWorld(3);
    }
    if (only !== 'small') await bigWorld();
    console.log(`load average ${load()} at end`);
  },
} satisfies Bench;
