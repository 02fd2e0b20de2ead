/**
 * One engine per database: a second process must not monitor the same positions (it could send
 * the same exit twice), and the embedded database must never be opened by two processes.
 * The lock is released when its holder closes or dies.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { DatabaseInUseError, ENGINE_LOCK_KEY, openDatabase } from '../../src/db/client.ts';
import { guardOrders, watchEngineLock, type EngineLockState } from '../../src/engine/engine-lock.ts';
import { startHarness } from '../exchange/support.ts';
import { startTcpProxy } from '../support/db-outage.ts';
import { createFreshPostgresDatabase, databaseKinds, dropPostgresDatabase, seedPgliteDataDir } from '../support/databases.ts';

/** backend pids holding the engine lock, as the server sees them */
async function lockHolders(admin: postgres.Sql): Promise<number[]> {
  const rows = await admin`select pid from pg_locks where locktype = 'advisory' and classid = 0 and objid = ${ENGINE_LOCK_KEY} and objsubid = 1 and granted`;
  return rows.map((r) => Number(r.pid));
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** a logger that keeps what the watch said */
function recordingLogger() {
  const lines: string[] = [];
  const log = (_obj: object, msg?: string) => void lines.push(msg ?? '');
  return { lines, logger: { info: log, warn: log, error: log, debug: () => {} } };
}

describe('engine lock on an embedded database directory', () => {
  it('refuses a directory a live process holds, takes over from a dead one, and frees it on close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ase-lock-'));
    const pidFile = join(dataDir, 'engine.pid');
    seedPgliteDataDir(dataDir);
    try {
      writeFileSync(pidFile, String(process.ppid)); // a live process holds it
      await expect(openDatabase({ dataDir })).rejects.toThrow(DatabaseInUseError);
      await expect(openDatabase({ dataDir })).rejects.toThrow(`in use by another process (pid ${process.ppid})`);

      writeFileSync(pidFile, '999999999'); // a process that no longer exists (killed)
      const first = await openDatabase({ dataDir });
      expect(await first.acquireEngineLock()).toBe(true);
      await first.close();

      const second = await openDatabase({ dataDir });
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

// the server case exists where a server does (TEST_DATABASE_URL), like every database test
describe.each(databaseKinds().filter((k) => k === 'postgres'))('engine lock on %s', () => {
  it('a second connection pool is refused until the first closes', async () => {
    const url = await createFreshPostgresDatabase();
    try {
      const first = await openDatabase({ url, maxConnections: 2 });
      const second = await openDatabase({ url, maxConnections: 2, migrate: false });
      expect(await first.acquireEngineLock()).toBe(true);
      expect(await second.acquireEngineLock()).toBe(false);
      await first.close();
      expect(await second.acquireEngineLock()).toBe(true);
      await second.close();
    } finally {
      await dropPostgresDatabase(url);
    }
  });

  it('a lock session the server cut (pg_terminate_backend) is noticed at once and taken again: a second process started then is refused', { timeout: 60_000 }, async () => {
    const url = await createFreshPostgresDatabase();
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    const first = await openDatabase({ url, maxConnections: 2 });
    const second = await openDatabase({ url, maxConnections: 2, migrate: false });
    const { lines, logger } = recordingLogger();
    const states: EngineLockState[] = [];
    // checks a minute apart: only the close of the lock's connection can make it notice in time
    const watch = watchEngineLock(first, { logger, intervalMs: 60_000, onTaken: () => states.push('taken') });
    try {
      expect(await first.acquireEngineLock()).toBe(true);
      const [before] = await lockHolders(admin);
      expect(before).toBeGreaterThan(0);
      await admin`select pg_terminate_backend(${before!})`;
      await until('the lock held again by a new session of the first process', async () => {
        const now = await lockHolders(admin);
        return now.length === 1 && now[0] !== before;
      }, 10_000);
      expect(watch.state()).toBe('held');
      expect(lines).toContain('engine lock lost with its database session: no new positions until it is taken again (exits and the exchange stops go on)');
      expect(lines).toContain('engine lock taken again: trading resumes');
      expect(await second.acquireEngineLock()).toBe(false);
      expect(await first.checkEngineLock()).toBe('held');
      expect(states).toEqual([]);
    } finally {
      watch.stop();
      await first.close();
      await second.close();
      await admin.end();
      await dropPostgresDatabase(url);
    }
  });

  it('cut off from the database: no entries, exits still go; another process takes the lock meanwhile → this one sends nothing more and is told to stop', { timeout: 60_000 }, async () => {
    const url = await createFreshPostgresDatabase();
    const target = new URL(url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    const first = await openDatabase({ url: viaProxy.toString(), maxConnections: 2 });
    const second = await openDatabase({ url, maxConnections: 2, migrate: false });
    const { lines, logger } = recordingLogger();
    let told = 0;
    const watch = watchEngineLock(first, { logger, intervalMs: 300, deadlineMs: 500, onTaken: () => void told++ });
    const ex = await startHarness('futures', { account: { marginMode: 'cross' } });
    ex.emulator.book.futuresWallet = 10_000;
    ex.emulator.setPrice('BTCUSDT', 50_000);
    const port = guardOrders(ex.exchange, watch);
    const entry = (n: number) => ({ symbol: 'BTC/USDT:USDT', side: 'buy' as const, type: 'market' as const, qty: 0.01, clientOrderId: `lock-entry-${n}`, leverage: 5, marginMode: 'cross' as const });
    const held = () => [...ex.emulator.book.positions.values()].reduce((sum, p) => sum + p.amount, 0);
    try {
      expect(await first.acquireEngineLock()).toBe(true);
      // while the lock is held, an entry goes out
      expect((await port.placeOrder(entry(1))).filledQty).toBeCloseTo(0.01, 9);
      expect(held()).toBeCloseTo(0.01, 9);

      // the network to the database is cut: the server ends the session, the lock is free
      proxy.cut();
      await until('the watch noticing the loss', () => watch.state() === 'unknown', 10_000);
      await until('the lock released on the server', async () => (await lockHolders(admin)).length === 0, 10_000);
      const ordersBefore = ex.emulator.book.orders.length;
      await expect(port.placeOrder(entry(2))).rejects.toThrow(/lost its lock on the database/);
      expect(ex.emulator.book.orders.length).toBe(ordersBefore);
      // an exit is protective: it still goes while the database cannot be reached
      await port.closePosition({ symbol: 'BTC/USDT:USDT', qty: 0.005, clientOrderId: 'lock-exit-1', side: 'long' });
      expect(held()).toBeCloseTo(0.005, 9);

      // another process takes the lock; the network comes back
      expect(await second.acquireEngineLock()).toBe(true);
      proxy.restore();
      await until('the watch seeing the lock taken', () => watch.state() === 'taken', 10_000);
      expect(told).toBe(1);
      expect(lines).toContain('engine lock taken by another process on this database: this process sends no more orders and stops');
      const ordersThen = ex.emulator.book.orders.length;
      await expect(port.closePosition({ symbol: 'BTC/USDT:USDT', qty: 0.005, clientOrderId: 'lock-exit-2', side: 'long' })).rejects.toThrow(/lost its lock/);
      await expect(port.placeOrder(entry(3))).rejects.toThrow(/lost its lock/);
      expect(ex.emulator.book.orders.length).toBe(ordersThen);
      expect(held()).toBeCloseTo(0.005, 9);
      // it stays taken: the second process keeps it
      await new Promise((r) => setTimeout(r, 1_000));
      expect(watch.state()).toBe('taken');
      expect(told).toBe(1);
    } finally {
      watch.stop();
      await ex.close();
      await first.close();
      await second.close();
      await proxy.close();
      await admin.end();
      await dropPostgresDatabase(url);
    }
  });
});
