/**
 * The backstop world (one trader, a Binance USD-M account on the emulator, real ccxt) on a
 * database whose outage the test controls (test/support/db-outage.ts), with the exit journal in a
 * temporary DATA_DIR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../src/db/client.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { tradingSettings } from '../../src/db/schema.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { createShardLeasesRepo } from '../../src/db/repos/shard-leases.ts';
import { createLeaseManager, type LeaseManager } from '../../src/engine/shard-leases.ts';
import { silentLogger } from '../../src/engine/ports.ts';
import type { ExchangeAccount } from '../../src/exchange/port.ts';
import { startBinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { createFreshPostgresDatabase, dropPostgresDatabase, openTestDatabase, type TestDatabase, type TestDatabaseKind } from '../support/databases.ts';
import { refusingPglite, startTcpProxy, type DatabaseSwitch } from '../support/db-outage.ts';
import { createHarness, signalsDone } from './harness.ts';
import type { PositionView } from '../../src/engine/facade.ts';
import { setPrice, TELEGRAM_ID, type World } from './backstop-world.ts';

export interface OutageWorld extends World {
  outage: DatabaseSwitch;
  dataDir: string;
  /** PostgreSQL: the lone process's shard leases */
  leases?: LeaseManager;
}

/** leases that run out locally 2 s after a renewal: an outage of the tests outlasts them */
export const LONE_TIMINGS = { ttlMs: 3_000, renewMs: 300, marginMs: 1_000 };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `done` every 5 ms; resolves with performance.now() when it holds, rejects after `timeoutMs`. */
export async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await done()) return performance.now();
    if (performance.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** a database that can be cut: PostgreSQL through a proxy, PGlite with a refusing handle */
export async function openSwitchableDatabase(kind: TestDatabaseKind): Promise<{ db: TestDatabase; outage: DatabaseSwitch }> {
  if (kind === 'pglite') {
    const db = await openTestDatabase('pglite');
    const outage = refusingPglite(db);
    return { db: { ...db, destroy: async () => (await outage.close(), await db.destroy()) }, outage };
  }
  const url = await createFreshPostgresDatabase({ migrated: true });
  const target = new URL(url);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  const database = await openDatabase({ url: proxied.toString(), maxConnections: 5, migrate: false });
  const db: TestDatabase = {
    ...database,
    url,
    destroy: async () => {
      proxy.restore();
      await database.close();
      await proxy.close();
      await dropPostgresDatabase(url);
    },
  };
  return { db, outage: proxy };
}

export async function openOutageWorld(kind: TestDatabaseKind): Promise<OutageWorld> {
  const { db, outage } = await openSwitchableDatabase(kind);
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-outage-'));
  const ex = await startBinanceEmulator();
  ex.book.futuresWallet = 10_000;
  const factory = createExchangeFactory({
    options: { binance: { timeout: 2_000, urls: { api: ex.ccxtApiUrls() } } },
    retryDeps: { sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))), random: () => 0.5 },
    retryPolicy: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 100 },
  });
  // on PostgreSQL the engine leases its shards as `npm start` does (SPEC §12), alone on its database:
  // short leases, so that an outage outlasts them and the exits must still go out (SPEC §10)
  const leases =
    kind === 'postgres'
      ? createLeaseManager({ repo: createShardLeasesRepo(db.db), id: 'lone', host: 'outage-test', pid: process.pid, liveness: db.livenessLock('lone'), logger: silentLogger, timings: LONE_TIMINGS })
      : undefined;
  await leases?.start();
  const h = await createHarness(db, {}, { createExchange: (account: ExchangeAccount) => factory.create(account), journalPath: join(dataDir, 'exit-journal.ndjson'), ...(leases ? { leases } : {}) });
  const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: TELEGRAM_ID, chatId: TELEGRAM_ID });
  await db.db.update(tradingSettings).set({ mode: 'futures', partialTpEnabled: false }).where(sql`${tradingSettings.userId} = ${user.id}`);
  const account = await h.accounts.create({ userId: user.id, exchange: 'binance', mode: 'futures', marginMode: 'cross', credentials: { apiKey: ex.apiKey, secret: ex.secret } });
  const w: OutageWorld = { db, h, ex, userId: user.id, accountId: account.id, outage, dataDir, ...(leases ? { leases } : {}) };
  setPrice(w, 50_000);
  await h.engine.start();
  return w;
}

export async function closeOutageWorld(w: OutageWorld): Promise<void> {
  w.outage.restore();
  await w.h.engine.stop();
  await w.leases?.stop().catch(() => {});
  await w.ex.close();
  await w.db.destroy();
  rmSync(w.dataDir, { recursive: true, force: true });
}

/** the market orders (entries and the bot's exits) the exchange received */
export function marketOrders(w: World) {
  return w.ex.requests.filter((r) => r.method === 'POST' && r.path === '/fapi/v1/order' && r.params['type'] === 'MARKET');
}

/** a long of BTC/USDT opened through a real signal (NOTIFY, or the sweep where a fresh connection is slow) */
export async function open(w: World): Promise<PositionView> {
  await w.h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9, userId: w.userId });
  await signalsDone(w.h);
  const [p] = await w.h.engine.facade.listPositions(w.userId);
  if (!p) throw new Error('no position opened');
  return p;
}
