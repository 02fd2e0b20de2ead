/**
 * A trader's action reaches the process that owns the trader (SPEC §12). Engines on one
 * PostgreSQL, each with its own lease manager, as separate processes would run: the "poller"
 * (the process handling the Telegram updates) owns no shard; the owner holds every trader's
 * positions in its monitor. Real ccxt against the Binance emulator. The poller's facade moves a
 * stop and closes a position that live in the owner's monitor: one sell at the exchange, the
 * result back in the poller. An owner that does not answer leaves the trader a clear message, and
 * the command runs once when an owner takes the shard; a shard that changed hands in the
 * database is run by its new owner only. With one process nothing is relayed and nothing written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createShardLeasesRepo } from '../../src/db/repos/shard-leases.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { engineCommands, positions, processes, shardLeases, trades } from '../../src/db/schema.ts';
import { shardOf } from '../../src/domain/shards.ts';
import { PENDING_MESSAGE } from '../../src/engine/command-relay.ts';
import type { Engine } from '../../src/engine/create-engine.ts';
import { silentLogger } from '../../src/engine/ports.ts';
import { createLeaseManager, type LeaseManager } from '../../src/engine/shard-leases.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { openLeaseWorld } from './lease-world.ts';
import { createHarness, drain, openPositionFor, signalsDone, type Harness } from './harness.ts';

/** long leases: nothing here waits for one to run out (a test ends a lease by hand) */
const TIMINGS = { ttlMs: 120_000, renewMs: 1_000, marginMs: 1_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  for (const start = Date.now(); Date.now() - start < ms; await sleep(100)) if (await ok()) return;
  throw new Error(`not within ${ms} ms: ${what}`);
}

describe.each(databaseKinds().filter((k) => k === 'postgres'))('a trader action relayed to the owning engine on %s', (kind) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });

  /** an owner engine holding every shard, a poller engine holding none, one trader with an open BTC position */
  async function world(options: { waitMs?: number; maxAgeMs?: number } = {}) {
    const lw = await openLeaseWorld(kind, TIMINGS, 2_000);
    cleanups.push(() => lw.cleanup());
    const { db, emulator, factory, manager } = lw;
    const ownerLeases = manager('owner');
    await ownerLeases.start();
    expect(ownerLeases.held()).toHaveLength(64);
    const commands = { waitMs: options.waitMs ?? 10_000, sweepMs: 300, ...(options.maxAgeMs ? { maxAgeMs: options.maxAgeMs } : {}) };
    const h: Harness = await createHarness(db, {}, { createExchange: (account) => factory.create(account), leases: ownerLeases, options: { schedule: false, commands } });
    const owner: Engine = h.engine;
    cleanups.push(() => owner.stop());
    // the poller: a lease manager that never claims (it never starts), so it owns no trader
    const pollerLeases = manager('poller');
    const poller = h.newEngine({ leases: pollerLeases, options: { schedule: false, commands } });
    cleanups.push(() => poller.stop());

    const setPrice = (p: number) => {
      emulator.setPrice('BTCUSDT', p);
      h.feed.push('BTC/USDT', p);
    };
    setPrice(100);
    const book = emulator.addAccount('key1', 'secret1');
    book.spot('USDT').free = 100_000;
    const telegramId = 73_001;
    const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId, chatId: telegramId });
    const account = await h.accounts.create({ userId: user.id, exchange: 'binance', mode: 'spot', credentials: { apiKey: 'key1', secret: 'secret1' } });
    await owner.start();
    await poller.start();
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId: user.id });
    await signalsDone(h);
    const [position] = await owner.facade.listPositions(user.id);
    expect(position).toMatchObject({ status: 'open', symbol: 'BTC/USDT' });
    expect(pollerLeases.owns(shardOf(user.id))).toBe(false);
    expect(poller.openPositionCount()).toBe(0); // not in the poller's monitor

    const sells = () => book.orders.filter((o) => o.side === 'SELL' && o.type === 'MARKET').length;
    const rows = () => db.db.select().from(engineCommands);
    return { db, h, owner, poller, ownerLeases, pollerLeases, manager, userId: user.id, accountId: account.id, actor: { telegramId }, positionId: position!.id, sells, rows, commands };
  }

  it("the poller's facade moves the stop and closes a position held in the owner's monitor: one sell, the result comes back", { timeout: 120_000 }, async () => {
    const w = await world();
    // the poller reads the position as the owner wrote it
    expect((await w.poller.facade.listPositions(w.userId)).map((p) => p.id)).toEqual([w.positionId]);

    // a channel post's preview in the poller weighs the open position as the owner would
    const draft = { symbol: 'BTC/USDT', side: 'long' as const, entry: null, targets: [], stopLoss: null, leverage: null, missing: [], notes: [] };
    const verdict = (r: Awaited<ReturnType<typeof w.poller.posts.preview>>) => (r.kind === 'preview' ? r.accounts.map((a) => [a.kind, a.reasons]) : r);
    const ownersView = verdict(await w.owner.posts.preview(w.actor, w.userId, draft, 'manual'));
    expect(ownersView).toEqual([['reject', ['a long of BTC/USDT is already open']]]);
    expect(verdict(await w.poller.posts.preview(w.actor, w.userId, draft, 'manual'))).toEqual(ownersView);

    const moved = await w.poller.facade.moveStopLoss(w.actor, w.userId, w.positionId, 98.5);
    expect(moved).toMatchObject({ ok: true, message: 'Stop loss set to 98.5.', position: { id: w.positionId, stopLoss: 98.5 } });
    // the owner's monitor has it (not only the database)
    expect((await w.owner.facade.getPosition(w.userId, w.positionId))?.stopLoss).toBe(98.5);
    // the owner's book counts the open position: applied to it, and the account is not removed under it
    expect(await w.poller.facade.applySettingsToOpenPositions(w.actor, w.userId)).toBe(1);
    expect(await w.poller.facade.removeAccount(w.actor, w.userId, w.accountId)).toMatchObject({ ok: false, code: 'has_positions' });

    const closed = await w.poller.facade.closePosition(w.actor, w.userId, w.positionId, 1);
    expect(closed).toMatchObject({ ok: true, message: 'Closed BTC/USDT.', position: { id: w.positionId, status: 'closed' } });
    if (closed.ok) expect(closed.position?.openedAt).toBeInstanceOf(Date);
    expect(w.sells()).toBe(1);
    expect(w.owner.openPositionCount()).toBe(0);
    const [row] = await w.db.db.select().from(positions).where(eq(positions.id, w.positionId));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'manual' });
    expect(await w.db.db.select().from(trades).where(eq(trades.positionId, w.positionId))).toHaveLength(1);
    expect((await w.rows()).map((r) => [r.kind, r.status, r.askedBy, r.runBy])).toEqual(
      expect.arrayContaining([
        ['moveStopLoss', 'done', 'poller', 'owner'],
        ['closePosition', 'done', 'poller', 'owner'],
      ]),
    );

    // pressed again (a stale button): relayed too, answered "closed", nothing sent
    const again = await w.poller.facade.closePosition(w.actor, w.userId, w.positionId, 1);
    expect(again).toMatchObject({ ok: false, code: 'closed' });
    await sleep(1_000); // a few owner sweeps
    expect(w.sells()).toBe(1);
    // flat now: the owner removes the account
    expect(await w.poller.facade.removeAccount(w.actor, w.userId, w.accountId)).toMatchObject({ ok: true, message: 'Removed Binance spot ·key1.' });
    expect((await w.rows()).every((r) => r.status === 'done' && r.runBy === 'owner')).toBe(true);
    expect(await w.rows()).toHaveLength(6);
  });

  it('an owner that does not answer: the trader is told it was sent; the command runs once when another engine takes the shard, and the trader gets an alert', { timeout: 120_000 }, async () => {
    const w = await world({ waitMs: 1_500 });
    await w.owner.stop(); // stopped, but its lease still holds the shard
    expect(w.ownerLeases.owns(shardOf(w.userId))).toBe(true);

    const asked = await w.poller.facade.closePosition(w.actor, w.userId, w.positionId, 1);
    expect(asked).toEqual({ ok: false, code: 'queued', message: PENDING_MESSAGE });
    expect(w.sells()).toBe(0);
    expect((await w.rows()).map((r) => r.status)).toEqual(['queued']);

    // the owner's leases go back (a clean stop), another engine takes every shard and restores the position
    await w.ownerLeases.stop();
    const heirLeases = w.manager('heir');
    await heirLeases.start();
    expect(heirLeases.owns(shardOf(w.userId))).toBe(true);
    const heir = w.h.newEngine({ leases: heirLeases, options: { schedule: false, commands: w.commands } });
    w.h.notifier.events.length = 0;
    await heir.start();
    await until('the command is done', async () => (await w.rows())[0]?.status === 'done');
    await drain(heir);
    expect(w.sells()).toBe(1);
    const [row] = await w.db.db.select().from(positions).where(eq(positions.id, w.positionId));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'manual' });
    expect((await w.rows()).map((r) => [r.status, r.runBy])).toEqual([['done', 'heir']]);
    // the late answer reaches the trader as an alert (beside the close's own alert)
    expect(w.h.notifier.ofKind('action_needed')).toEqual([{ kind: 'action_needed', userId: w.userId, message: 'Close position: Closed BTC/USDT.' }]);
    expect(w.h.notifier.ofKind('manual')).toHaveLength(1);

    await sleep(1_000); // more sweeps: nothing runs again
    expect(w.sells()).toBe(1);
    await heir.stop();
  });

  it('a command no owner takes within its time limit is given up, never run, and the trader is told', { timeout: 120_000 }, async () => {
    const w = await world({ waitMs: 1_000, maxAgeMs: 3_000 });
    await w.owner.stop();
    expect(await w.poller.facade.moveStopLoss(w.actor, w.userId, w.positionId, 98.5)).toEqual({ ok: false, code: 'queued', message: PENDING_MESSAGE });
    await w.ownerLeases.stop();
    await sleep(3_000);
    const heirLeases = w.manager('heir');
    await heirLeases.start();
    const heir = w.h.newEngine({ leases: heirLeases, options: { schedule: false, commands: w.commands } });
    cleanups.push(() => heir.stop());
    w.h.notifier.events.length = 0;
    await heir.start();
    await until('the command is given up', async () => (await w.rows())[0]?.status === 'failed');
    expect((await w.rows()).map((r) => [r.status, r.runBy])).toEqual([['failed', null]]);
    expect((await heir.facade.getPosition(w.userId, w.positionId))?.stopLoss).toBe(98); // −2 % of 100, as opened
    expect(w.h.notifier.ofKind('action_needed')).toEqual([
      { kind: 'action_needed', userId: w.userId, message: 'Move stop loss: it could not be done (no bot process held your account in time, so it was not sent; press again if you still want it).' },
    ]);
  });

  it("a shard that changed hands in the database: the old owner (still believing it holds it) cannot claim the command, the new owner runs it once", { timeout: 120_000 }, async () => {
    const w = await world({ waitMs: 60_000 });
    // another process joins (it finds nothing free); the owner's last heartbeat saw it (so the
    // owner is not alone), the owner's lease of the trader's shard ran out in the database and the
    // other process took it at the next epoch, while the owner's own deadline has not passed yet
    // (it still listens and sweeps)
    const heirLeases = w.manager('heir');
    await heirLeases.start();
    expect(heirLeases.held()).toEqual([]);
    await w.db.db.update(processes).set({ alone: false }).where(eq(processes.id, 'owner'));
    await w.db.db.update(shardLeases).set({ expiresAt: new Date(0) }).where(eq(shardLeases.shard, shardOf(w.userId)));
    await heirLeases.tick();
    expect(heirLeases.owns(shardOf(w.userId))).toBe(true);
    expect(w.ownerLeases.owns(shardOf(w.userId))).toBe(true);
    // asked while the new owner is not running yet: the old owner hears the NOTIFY and sweeps, and may not claim it
    const asking = w.poller.facade.closePosition(w.actor, w.userId, w.positionId, 1);
    await until('the command is written', async () => (await w.rows()).length === 1);
    await sleep(1_500);
    expect((await w.rows()).map((r) => [r.status, r.runBy])).toEqual([['queued', null]]);
    expect(w.sells()).toBe(0);

    const heir = w.h.newEngine({ leases: heirLeases, options: { schedule: false, commands: w.commands } });
    cleanups.push(() => heir.stop());
    await heir.start(); // restores the position, then its first sweep runs the command
    expect(await asking).toMatchObject({ ok: true, message: 'Closed BTC/USDT.' });
    expect((await w.rows()).map((r) => [r.status, r.runBy])).toEqual([['done', 'heir']]);
    await sleep(1_000); // the old owner's sweeps find nothing to run
    expect(w.sells()).toBe(1);
    const [row] = await w.db.db.select().from(positions).where(eq(positions.id, w.positionId));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'manual' });
    expect(await w.db.db.select().from(trades).where(eq(trades.positionId, w.positionId))).toHaveLength(1);
  });
});

describe.each(databaseKinds())('one process on %s: nothing relayed', (kind) => {
  let db: TestDatabase | undefined;
  let h: Harness | undefined;
  let leases: LeaseManager | undefined;
  afterEach(async () => {
    await h?.engine.stop();
    await leases?.stop();
    await db?.destroy();
    h = leases = db = undefined;
  });

  it.each(['without leases', 'with a lease manager owning every shard'])('%s: a close and a stop move act directly and write no command', { timeout: 60_000 }, async (how) => {
    db = await openTestDatabase(kind);
    if (how !== 'without leases') {
      leases = createLeaseManager({ repo: createShardLeasesRepo(db.db), id: 'alone', host: 'test', pid: 1, liveness: db.livenessLock('alone'), logger: silentLogger, timings: TIMINGS, schedule: false });
      await leases.start();
    }
    h = await createHarness(db, {}, leases ? { leases } : {});
    await h.engine.start();
    h.feed.push('BTC/USDT', 100);
    const { userId, position } = await openPositionFor(h, 74_001, 'BTC/USDT');
    const actor = { telegramId: 74_001 };
    expect(await h.engine.facade.moveStopLoss(actor, userId, position.id, 98.5)).toMatchObject({ ok: true, message: 'Stop loss set to 98.5.' });
    expect(await h.engine.facade.closePosition(actor, userId, position.id, 1)).toMatchObject({ ok: true, message: 'Closed BTC/USDT.' });
    expect(await db.db.select().from(engineCommands)).toEqual([]);
  });
});
