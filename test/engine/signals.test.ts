/**
 * Ingestion and per-user execution: exactly once per (user, signal) even with two engines on one
 * database, every rejection recorded with its reasons, one user's failure isolated, the sweep
 * catching what NOTIFY missed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { positions, signalExecutions, trades, tradingSignals } from '../../src/db/schema.ts';
import { toPositionRow } from '../../src/db/repos/positions.ts';
import { openPosition } from '../../src/domain/monitor/state.ts';
import { DEFAULT_MONITOR_SETTINGS } from '../../src/domain/settings.ts';
import { randomUUID } from 'node:crypto';
import type { Engine } from '../../src/engine/create-engine.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

const admin = { telegramId: 1, admin: true };

describe.each(databaseKinds())('signal execution on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  const extra: Array<{ engine?: Engine; database?: Database }> = [];

  afterEach(async () => {
    for (const x of extra.splice(0)) {
      await x.engine?.stop();
      await x.database?.close();
    }
    await h?.engine.stop();
    await db?.destroy();
  });

  async function setup() {
    db = await openTestDatabase(kind);
    h = await createHarness(db);
    h.feed.push('BTC/USDT', 50_000);
    h.feed.push('ETH/USDT', 2_000);
  }

  const executionsOf = (signalId: string) => db.db.select().from(signalExecutions).where(eq(signalExecutions.signalId, signalId));

  it('executes a signal once per user even when two engines on one database both receive it', async () => {
    await setup();
    const users = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => h.addTrader(2000 + i)));
    // a second process: its own connection pool on the server, the same database object on PGlite
    const second = kind === 'postgres' ? await openDatabase({ url: db.url!, maxConnections: 5 }) : db;
    const other = h.newEngine({ database: second });
    extra.push({ engine: other, ...(kind === 'postgres' ? { database: second } : {}) });
    await h.engine.start();
    await other.start();

    const signalId = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY' });
    await drain(h.engine);
    await drain(other);
    await h.engine.sweepSignals();
    await other.sweepSignals();

    const rows = await executionsOf(signalId);
    expect(rows).toHaveLength(users.length);
    expect(rows.every((r) => r.status === 'executed')).toBe(true);
    const opened = await db.db.select().from(positions);
    expect(opened).toHaveLength(users.length);
    expect(new Set(opened.map((p) => p.userId)).size).toBe(users.length);
    expect(h.venue.allOrders()).toHaveLength(users.length);
    expect(h.engine.openPositionCount() + other.openPositionCount()).toBe(users.length);
  });

  it('records every rejection with its reasons and never trades HOLD', async () => {
    await setup();
    const { userId } = await h.addTrader(3001);
    await h.engine.start();
    const untrusted = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', source: 'random_bot', confidence: 0.2 });
    const hold = await h.insertSignal({ symbol: 'ETH/USDT', action: 'HOLD' });
    const spotSell = await h.insertSignal({ symbol: 'ETH/USDT', action: 'SELL', confidence: 0.9, createdAt: new Date(h.clock.now() - 20 * 60_000) });
    await drain(h.engine);
    await h.engine.sweepSignals();

    const [u] = await executionsOf(untrusted);
    expect(u).toMatchObject({ status: 'rejected' });
    expect(u!.reasons).toEqual(expect.arrayContaining(['source "random_bot" is not trusted', expect.stringMatching(/below the threshold 0\.450/)]));
    expect(await executionsOf(hold)).toEqual([]);
    const [s] = await executionsOf(spotSell);
    expect(s!.reasons).toEqual([expect.stringMatching(/SELL on spot needs an open long/)]);
    expect(h.venue.allOrders()).toEqual([]);

    const seen = await h.engine.facade.recentSignals(userId, 10);
    expect(seen.find((x) => x.id === hold)?.outcome).toBe('hold');
    expect(seen.find((x) => x.id === untrusted)).toMatchObject({ outcome: 'rejected' });
    expect(h.notifier.ofKind('signal_rejected').map((e) => e.signalId).sort()).toEqual([untrusted, spotSell].sort());
  });

  it('a paused trader (or a global pause) opens nothing and the rejection says so', async () => {
    await setup();
    const a = await h.addTrader(4001);
    const b = await h.addTrader(4002);
    await h.engine.start();
    await h.engine.facade.pauseUser({ telegramId: 4001, userId: a.userId }, a.userId);
    const first = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY' });
    await drain(h.engine);
    const rows = await executionsOf(first);
    expect(rows.find((r) => r.userId === a.userId)).toMatchObject({ status: 'rejected', reasons: ['trading is paused'] });
    expect(rows.find((r) => r.userId === b.userId)).toMatchObject({ status: 'executed' });

    await h.engine.facade.pauseAll(admin);
    const second = await h.insertSignal({ symbol: 'ETH/USDT', action: 'BUY' });
    await drain(h.engine);
    expect((await executionsOf(second)).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const status = await h.engine.facade.status();
    expect(status).toMatchObject({ pausedGlobally: true, pausedTraders: 1, traders: 2, openPositions: 1 });

    await h.engine.facade.resumeAll(admin);
    await h.engine.facade.resumeUser({ telegramId: 4001, userId: a.userId }, a.userId);
    expect((await h.engine.facade.status()).pausedGlobally).toBe(false);
  });

  it("one trader's broken key does not stop another trader's entry", async () => {
    await setup();
    const broken = await h.addTrader(5001);
    const fine = await h.addTrader(5002);
    await h.engine.start();
    h.venue.fail('fetchBalance', { kind: 'refuse', code: 'AUTH_FAILED' }, broken.accountId);
    const signalId = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY' });
    await drain(h.engine);
    const rows = await executionsOf(signalId);
    expect(rows.find((r) => r.userId === broken.userId)).toMatchObject({ status: 'failed', reasons: [expect.stringMatching(/rejected the API key/)] });
    expect(rows.find((r) => r.userId === fine.userId)).toMatchObject({ status: 'executed' });
    expect(h.notifier.ofKind('order_failed').map((e) => e.userId)).toEqual([broken.userId]);
  });

  it("a source's good record lowers the confidence it needs: 8 of its last 10 positions won → threshold 0.39", async () => {
    await setup();
    const { userId, accountId } = await h.addTrader(6501);
    for (let i = 0; i < 10; i++) {
      const [signal] = await db.db.insert(tradingSignals).values({ symbol: 'ETH/USDT', action: 'BUY', confidence: 0.9, source: 'titan_v3', createdAt: new Date(h.clock.now() - 30 * 3_600_000) }).returning();
      const id = randomUUID();
      const state = { ...openPosition({ side: 'long', entry: 100, qty: 1, stopLoss: 98, takeProfit: 110, openedAt: h.clock.now() - 29 * 3_600_000, mode: 'spot' }, DEFAULT_MONITOR_SETTINGS), qty: 0, closed: true };
      await db.db.insert(positions).values(toPositionRow({ id, userId, accountId, signalId: signal!.id, exchange: 'binance', isPaper: true, symbol: 'ETH/USDT', state, settings: DEFAULT_MONITOR_SETTINGS, status: 'closed', closeReason: 'take_profit', realizedPnl: 0, feesPaid: 0, entryFee: 0, closedAt: h.clock.now() - 28 * 3_600_000, pendingAction: null, rev: 0 }));
      await db.db.insert(trades).values({ userId, positionId: id, symbol: 'ETH/USDT', side: 'long', quantity: '1', entryPrice: '100', exitPrice: i < 8 ? '105' : '98', pnl: i < 8 ? '5' : '-2', closedAt: new Date(h.clock.now() - 28 * 3_600_000) });
    }
    await h.engine.start();
    const proven = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.42 });
    const unknown = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.42, source: 'COUNCIL_V2.0_FALLBACK', createdAt: new Date(h.clock.now() - 60 * 60_000) });
    await drain(h.engine);
    await h.engine.sweepSignals();
    expect(await executionsOf(proven)).toMatchObject([{ status: 'executed' }]);
    // no record: the neutral 0.45 applies
    expect((await executionsOf(unknown))[0]!.reasons).toEqual([expect.stringMatching(/0\.420 is below the threshold 0\.450/)]);
  });

  it('the sweep picks up a signal inserted while no one listened, and leaves one past the 6 h age limit unclaimed', async () => {
    await setup();
    await h.addTrader(6001);
    const missed = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY' });
    const stale = await h.insertSignal({ symbol: 'ETH/USDT', action: 'BUY', createdAt: new Date(h.clock.now() - 5 * 3_600_000) });
    h.clock.advance(2 * 3_600_000);
    await h.engine.start(); // the start sweep
    await drain(h.engine);
    expect(await executionsOf(missed)).toMatchObject([{ status: 'executed' }]);
    // 7 h old now: outside the sweep's window, so never claimed
    expect(await executionsOf(stale)).toEqual([]);
  });
});
