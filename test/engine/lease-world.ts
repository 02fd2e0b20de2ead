/**
 * Engines that lease shards, as several processes would (SPEC §12), in one test: the PostgreSQL
 * server, real ccxt against the Binance emulator, and lease managers with their own liveness
 * locks. Everything made is undone by `cleanup()`, last made first.
 */
import { createShardLeasesRepo } from '../../src/db/repos/shard-leases.ts';
import { silentLogger } from '../../src/engine/ports.ts';
import { createLeaseManager, type LeaseManager, type LeaseTimings } from '../../src/engine/shard-leases.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { openTestDatabase, type TestDatabase, type TestDatabaseKind } from '../support/databases.ts';

export interface LeaseWorld {
  db: TestDatabase;
  emulator: BinanceEmulator;
  factory: ReturnType<typeof createExchangeFactory>;
  /** a lease manager of process `id` (not started); `schedule`: renewed by its own timer */
  manager(id: string, schedule?: boolean): LeaseManager;
  /** undone at cleanup, before what was made earlier */
  defer(fn: () => Promise<unknown>): void;
  cleanup(): Promise<void>;
}

export async function openLeaseWorld(kind: TestDatabaseKind, timings: Partial<LeaseTimings>, ccxtTimeoutMs = 5_000): Promise<LeaseWorld> {
  const undo: Array<() => Promise<unknown>> = [];
  const db = await openTestDatabase(kind);
  undo.push(() => db.destroy());
  const emulator = await startBinanceEmulator();
  undo.push(() => emulator.close());
  const factory = createExchangeFactory({
    options: { binance: { timeout: ccxtTimeoutMs, urls: { api: emulator.ccxtApiUrls() } } },
    retryDeps: { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 10))), random: () => 0.5 },
    retryPolicy: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 2000 },
  });
  const repo = createShardLeasesRepo(db.db);
  return {
    db,
    emulator,
    factory,
    manager(id, schedule = false) {
      const m = createLeaseManager({ repo, id, host: 'test', pid: 1, liveness: db.livenessLock(id), logger: silentLogger, timings, schedule });
      undo.push(() => m.stop());
      return m;
    },
    defer: (fn) => void undo.push(fn),
    async cleanup() {
      for (const fn of undo.splice(0).reverse()) await fn().catch(() => {});
    },
  };
}
