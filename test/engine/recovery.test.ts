/**
 * Restart and recovery: positions come back from the database with their protective state;
 * orders whose answer was lost are looked up by clientOrderId, never sent again; the exchange
 * is reconciled (closed there → closed here; unknown there → its owner is told).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { orders, positions, signalExecutions, trades } from '../../src/db/schema.ts';
import type { Engine } from '../../src/engine/create-engine.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, signalsDone, openPositionFor, type Harness } from './harness.ts';

describe.each(databaseKinds())('recovery on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  let restarted: Engine | undefined;

  afterEach(async () => {
    await restarted?.stop();
    restarted = undefined;
    await h?.engine.stop();
    await db?.destroy();
  });

  async function setup() {
    db = await openTestDatabase(kind);
    h = await createHarness(db);
    h.feed.push('ADA/USDT', 100);
    h.feed.push('ADA/USDT:USDT', 100);
    h.feed.push('XRP/USDT:USDT', 1);
    await h.engine.start();
  }

  async function restart(): Promise<Engine> {
    await h.engine.stop();
    restarted = h.newEngine();
    await restarted.start();
    return restarted;
  }

  it('restores an open position with its trailing state and keeps protecting it', async () => {
    await setup();
    const { position } = await openPositionFor(h, 9001, 'ADA/USDT');
    h.feed.push('ADA/USDT', 101.5); // trailing active, first partial taken
    await h.engine.settle();
    const engine = await restart();
    expect(engine.recovery).toMatchObject({ restored: 1, stillUnknown: 0 });
    const [view] = await engine.facade.listPositions(position.userId);
    expect(view).toMatchObject({ id: position.id, trailingActive: true, partialTaken: [true, false, false], qty: 7.5 });
    expect(view!.trailingStop).toBeCloseTo(101.5 * 0.99, 9);

    h.feed.push('ADA/USDT', 100.4); // below the restored trailing stop 100.485
    await engine.settle();
    const [row] = await db.db.select().from(positions).where(eq(positions.id, position.id));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'trailing_stop' });
    expect(h.venue.duplicateSends()).toEqual([]);
  });

  it('a close whose answer was lost is looked up after the restart, recorded once and never re-sent', async () => {
    await setup();
    const { position } = await openPositionFor(h, 9101, 'ADA/USDT');
    h.venue.fail('closePosition', { kind: 'lost-answer' });
    h.venue.fail('fetchOrder', { kind: 'timeout' });
    h.feed.push('ADA/USDT', 97); // stop loss
    await h.engine.settle();
    const [blocked] = await db.db.select().from(orders).where(eq(orders.purpose, 'close'));
    expect(blocked).toMatchObject({ status: 'unknown' });
    h.feed.push('ADA/USDT', 96.9); // blocked: no second close while the first is unknown
    await h.engine.settle();
    expect(h.venue.calls['closePosition']).toBe(1);

    const engine = await restart();
    expect(engine.recovery).toMatchObject({ exitsResolved: 1 });
    const [row] = await db.db.select().from(positions).where(eq(positions.id, position.id));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'stop_loss' });
    const exits = await db.db.select().from(trades).where(eq(trades.positionId, position.id));
    expect(exits).toHaveLength(1);
    expect(Number(exits[0]!.exitPrice)).toBe(97);
    expect(h.venue.calls['closePosition']).toBe(1);
    expect(h.venue.allOrders()).toHaveLength(2);
  });

  it('an entry whose answer was lost opens the position after the restart from the order found by clientOrderId', async () => {
    await setup();
    const trader = await h.addTrader(9201);
    h.venue.fail('placeOrder', { kind: 'lost-answer' });
    h.venue.fail('fetchOrder', { kind: 'timeout' });
    const signalId = await h.insertSignal({ symbol: 'ADA/USDT', action: 'BUY', userId: trader.userId });
    await signalsDone(h);
    const [pending] = await db.db.select().from(positions).where(eq(positions.userId, trader.userId));
    expect(pending).toMatchObject({ status: 'pending' });

    const engine = await restart();
    expect(engine.recovery).toMatchObject({ entriesResolved: 1 });
    const [open] = await engine.facade.listPositions(trader.userId);
    expect(open).toMatchObject({ qty: 10, entryPrice: 100, status: 'open' });
    const [execution] = await db.db.select().from(signalExecutions).where(eq(signalExecutions.signalId, signalId));
    expect(execution).toMatchObject({ status: 'executed', positionId: open!.id });
    expect(h.venue.calls['placeOrder']).toBe(1);
    await engine.sweepSignals();
    expect(h.venue.calls['placeOrder']).toBe(1);
  });

  it('reconciles: a position closed on the exchange is closed here; one opened outside the bot is reported, not adopted', async () => {
    await setup();
    const { position, accountId, userId } = await openPositionFor(h, 9301, 'ADA/USDT', { mode: 'futures' });
    await h.engine.stop();
    h.venue.closeOutside(accountId, 'ADA/USDT:USDT');
    h.venue.openOutside(accountId, 'XRP/USDT:USDT', 'short', 500, 1);
    h.feed.push('ADA/USDT:USDT', 103);
    restarted = h.newEngine();
    await restarted.start();
    expect(restarted.recovery).toMatchObject({ closedOnExchange: 1, unknownOnExchange: 1 });
    const [row] = await db.db.select().from(positions).where(eq(positions.id, position.id));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'closed_on_exchange' });
    const [trade] = await db.db.select().from(trades).where(eq(trades.positionId, position.id));
    expect(trade).toMatchObject({ source: 'reconcile', closeReason: 'closed_on_exchange' });
    expect(Number(trade!.exitPrice)).toBe(103);
    const needed = h.notifier.ofKind('action_needed');
    expect(needed.map((e) => e.userId)).toEqual([userId, userId]);
    expect(needed.some((e) => /XRP\/USDT:USDT short 500 .*not opened by the bot/.test(e.message))).toBe(true);
    expect(await restarted.facade.listPositions(userId)).toEqual([]);
  });
});
