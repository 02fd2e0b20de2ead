/**
 * The world of the cluster bench: a fresh database on the PostgreSQL server, the Binance emulator
 * in this process, traders with an exchange account each and open spot longs (one per symbol per
 * trader), each with its backstop resting on the emulator as a running bot leaves it; and the
 * engine processes (bench/cluster-child.ts) started over them.
 *
 * Arrival times at the emulator are taken when a request is received (performance.now, this
 * process), keyed by the order's client id; an order is matched to its trader through the
 * trader's own book on the emulator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Database } from '../src/db/client.ts';
import { createAccountsRepo } from '../src/db/repos/accounts.ts';
import { toPositionRow, type PositionRecord, type StoredBackstop } from '../src/db/repos/positions.ts';
import { apiKeys, positions, tradingSettings, users } from '../src/db/schema.ts';
import { backstopClientId, backstopPrice } from '../src/domain/backstop.ts';
import { openPosition } from '../src/domain/monitor/state.ts';
import { DEFAULT_MONITOR_SETTINGS } from '../src/domain/settings.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../test/emulators/exchange/binance-server.ts';
import { DEFAULT_MARKETS, type BinanceBook, type EmulatorOrder } from '../test/emulators/exchange/binance-book.ts';
import { secretBox } from '../test/engine/harness.ts';
import { onJsonLines } from '../test/support/json-lines.ts';
import { createFreshPostgresDatabase, dropPostgresDatabase } from '../test/support/databases.ts';

const CHILD = fileURLToPath(new URL('./cluster-child.ts', import.meta.url));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** the seeded positions' stops lie in [stopLow, STOP_HIGH] on every symbol, entries at 100 */
export const STOP_HIGH = 90;
const TICK = 0.001;
const roundDown = (x: number) => Math.floor(x / TICK + 1e-9) * TICK;

export interface Trader {
  index: number;
  userId: string;
  book: BinanceBook;
}

export interface SeededPosition {
  trader: Trader;
  /** 'S3/USDT' */
  symbol: string;
  stop: number;
}

export interface Member {
  name: string;
  child: ChildProcess;
  status: { shards: number; open: number; rss: number; heap: number };
  /** highest RSS seen, bytes */
  peakRss: number;
  /** RSS with the code loaded and nothing held yet, bytes */
  bootRss: number;
  /** ms (performance.now) the process had its code loaded and its database open, before any lease */
  bootAt: number;
  /** ms (performance.now) the process said it had started (leases taken, engine started) */
  startedAt: number;
  /** the longest event-loop stall reported since the bench last reset it, ms */
  stallMs: number;
  /** times it logged that it stopped acting for shards it held (a lease not renewed in time, or taken) */
  leaseLosses: number;
  started: Promise<void>;
  exited: Promise<void>;
}

export interface World {
  url: string;
  database: Database;
  emulator: BinanceEmulator;
  traders: Trader[];
  /** the price between one seeded stop and the next on a symbol */
  spacing: number;
  /** per symbol, highest stop first */
  bySymbol: Map<string, SeededPosition[]>;
  symbols: string[];
  members: Member[];
  /** client order id → ms (performance.now) the order request arrived at the emulator */
  arrivals: Map<string, number>;
  /** the price of a symbol ('S0/USDT') on the emulator and in every engine process; returns when it was sent */
  tick(symbol: string, price: number): number;
  spawn(count: number): Member[];
  close(): Promise<void>;
}

/** a trader's market orders on a symbol id (`SELL` exits, `BUY` entries) */
export function marketOrders(book: BinanceBook, symbolId: string, side: 'BUY' | 'SELL'): EmulatorOrder[] {
  return book.orders.filter((o) => o.symbol === symbolId && o.side === side && o.type === 'MARKET');
}

export const symbolId = (symbol: string) => symbol.replace('/', '');

export async function createWorld(options: { traders: number; symbols: number; startPrice: number; stopLow: number; rateLimit: boolean }): Promise<World> {
  const url = await createFreshPostgresDatabase();
  const database = await openDatabase({ url, maxConnections: 8 });
  const symbols = Array.from({ length: options.symbols }, (_, j) => `S${j}/USDT`);
  const markets = [...DEFAULT_MARKETS, ...symbols.map((s) => ({ id: symbolId(s), base: s.split('/')[0]!, quote: 'USDT', tickSize: String(TICK), stepSize: '0.001', minQty: '0.001', minNotional: '5' }))];
  const emulator = await startBinanceEmulator({ markets });
  const arrivals = new Map<string, number>();
  emulator.observe = (request, phase) => {
    if (phase === 'received' && request.method === 'POST' && request.path === '/api/v3/order' && request.params.newClientOrderId) arrivals.set(request.params.newClientOrderId, performance.now());
  };
  const prices: Record<string, number> = { 'BTC/USDT': 100, 'ETH/USDT': 100 };
  for (const s of symbols) {
    emulator.setPrice(symbolId(s), options.startPrice);
    prices[s] = options.startPrice;
  }

  const traders = await seedTraders(database, emulator, options.traders);
  const bySymbol = await seedPositions(database, traders, symbols, options.stopLow);

  const members: Member[] = [];
  const world: World = {
    url,
    database,
    emulator,
    traders,
    spacing: (STOP_HIGH - options.stopLow) / options.traders,
    bySymbol,
    symbols,
    members,
    arrivals,
    tick(symbol, price) {
      emulator.setPrice(symbolId(symbol), price);
      const line = `${JSON.stringify({ s: symbol, p: price })}\n`;
      const at = performance.now();
      for (const m of members) if (m.child.exitCode === null && m.child.signalCode === null) m.child.stdin!.write(line);
      return at;
    },
    spawn(count) {
      const first = members.length;
      for (let i = 0; i < count; i++) members.push(spawnMember(`p${first + i + 1}`, { DATABASE_URL: url, EMULATOR_URLS: JSON.stringify(emulator.ccxtApiUrls()), PRICES: JSON.stringify(prices), RATE_LIMIT: options.rateLimit ? 'ccxt' : 'off' }));
      return members.slice(first);
    },
    async close() {
      for (const m of members) m.child.kill('SIGTERM');
      await Promise.race([Promise.all(members.map((m) => m.exited)), sleep(15_000)]);
      for (const m of members) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
      await Promise.all(members.map((m) => m.exited));
      await database.close();
      await emulator.close();
      await dropPostgresDatabase(url);
    },
  };
  return world;
}

/** each trader: a user (max_positions 50, so signals still trade beside the seeded positions) and a spot account with its own key on the emulator */
async function seedTraders(database: Database, emulator: BinanceEmulator, count: number): Promise<Trader[]> {
  const accounts = createAccountsRepo(database.db, secretBox());
  const traders: Trader[] = [];
  for (let i = 0; i < count; i += 500) {
    const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) => ({ id: randomUUID(), telegramId: 5_000_000 + i + j, chatId: 5_000_000 + i + j }));
    await database.db.insert(users).values(batch);
    await database.db.insert(tradingSettings).values(batch.map((u) => ({ userId: u.id, maxPositions: 50 })));
    await Promise.all(
      batch.map(async (u, j) => {
        const key = `bench-key-${i + j}`;
        const secret = `bench-secret-${i + j}`;
        await accounts.create({ userId: u.id, exchange: 'binance', mode: 'spot', credentials: { apiKey: key, secret } });
        const book = emulator.addAccount(key, secret);
        book.spot('USDT').free = 100_000;
        traders[i + j] = { index: i + j, userId: u.id, book };
      }),
    );
  }
  return traders;
}

/**
 * One long of 1 coin per trader per symbol, entry 100, opened two hours ago (inside the 12 h hold,
 * outside the hourly trade limit). On each symbol the stops are spread evenly from STOP_HIGH down
 * to `stopLow` over the traders in a shuffled order; each backstop rests on the emulator as the
 * adapter places it (a STOP_LOSS_LIMIT sell 0.5 % below the stop, its limit 1 % lower, the coin locked).
 */
async function seedPositions(database: Database, traders: Trader[], symbols: string[], stopLow: number): Promise<Map<string, SeededPosition[]>> {
  const spacing = (STOP_HIGH - stopLow) / traders.length;
  const openedAt = Date.now() - 2 * 3_600_000;
  const bySymbol = new Map<string, SeededPosition[]>();
  const rows: ReturnType<typeof toPositionRow>[] = [];
  const accountIds = await database.db.select({ id: apiKeys.id, userId: apiKeys.userId }).from(apiKeys);
  const accountOf = new Map(accountIds.map((a) => [a.userId, a.id]));
  symbols.forEach((symbol, j) => {
    const list: SeededPosition[] = new Array(traders.length);
    const base = symbol.split('/')[0]!;
    for (const trader of traders) {
      const rank = (trader.index * 7 + j * 131) % traders.length; // a permutation: 7 is coprime with the trader counts used
      const stop = Math.round((STOP_HIGH - rank * spacing) * 1000) / 1000;
      const state = openPosition({ side: 'long', entry: 100, qty: 1, stopLoss: stop, takeProfit: 200, openedAt, mode: 'spot' }, DEFAULT_MONITOR_SETTINGS);
      const id = randomUUID();
      const stopPrice = roundDown(backstopPrice(state));
      const clientOrderId = backstopClientId(id, 1);
      trader.book.spot(base).free += 1;
      const order = trader.book.placeOrder('spot', { symbol: symbolId(symbol), side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '1', price: roundDown(stopPrice * 0.99).toFixed(3), stopPrice: stopPrice.toFixed(3), timeInForce: 'GTC', newClientOrderId: clientOrderId });
      const backstop: StoredBackstop = { status: 'live', seq: 1, clientOrderId, orderId: String(order.orderId), stopPrice, qty: 1, basisStopLoss: stop, movedAt: openedAt, problem: null, told: false, placing: null };
      const record: PositionRecord = { id, userId: trader.userId, accountId: accountOf.get(trader.userId)!, signalId: null, exchange: 'binance', isPaper: false, symbol, state, settings: DEFAULT_MONITOR_SETTINGS, status: 'open', closeReason: null, realizedPnl: 0, feesPaid: 0.1, entryFee: 0.1, closedAt: null, pendingAction: null, rev: 0 };
      rows.push({ ...toPositionRow(record), backstop: backstop as unknown as Record<string, unknown> } as ReturnType<typeof toPositionRow>);
      list[rank] = { trader, symbol, stop };
    }
    bySymbol.set(symbol, list);
  });
  for (let i = 0; i < rows.length; i += 1_000) await database.db.insert(positions).values(rows.slice(i, i + 1_000));
  return bySymbol;
}

function spawnMember(name: string, env: Record<string, string>): Member {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env, PROCESS_NAME: name }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  child.stdin!.on('error', () => {});
  let started!: () => void;
  const member: Member = {
    name,
    child,
    status: { shards: 0, open: 0, rss: 0, heap: 0 },
    peakRss: 0,
    bootRss: 0,
    startedAt: NaN,
    bootAt: NaN,
    leaseLosses: 0,
    stallMs: 0,
    started: new Promise<void>((r) => (started = r)),
    exited: new Promise<void>((r) => child.once('exit', () => r())),
  };
  onJsonLines<{ event: string; shards?: number; open?: number; rss?: number; heap?: number; stallMs?: number; message?: string; level?: number; msg?: string }>(child.stdout!, (line) => {
    if (line.level !== undefined && line.level >= 40 && process.env['CLUSTER_LOG']) console.error(`  ${name}: ${JSON.stringify(line).slice(0, 400)}`);
    if (line.msg?.includes('this process stops acting')) member.leaseLosses++;
    if (line.event === 'boot') {
      member.bootRss = line.rss!;
      member.bootAt = performance.now();
    }
    if (line.event === 'started') {
      member.startedAt = performance.now();
      started();
    }
    if (line.event === 'status') {
      member.status = { shards: line.shards!, open: line.open!, rss: line.rss!, heap: line.heap! };
      member.peakRss = Math.max(member.peakRss, line.rss!);
      member.stallMs = Math.max(member.stallMs, line.stallMs!);
    }
    if (line.event === 'error') console.error(`  ${name}: ${line.message}`);
  });
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL') console.error(`  ${name} exited ${code ?? signal}: ${stderr}`);
  });
  return member;
}
