/**
 * The trader's buttons through the facade: partial and full close, stop and take-profit moves,
 * breakeven — under the monitor's lock and runner, audited, refusing stale or foreign requests;
 * and paused trading still protects open positions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditLog, positionReevaluations, positions, trades } from '../../src/db/schema.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, openPositionFor, type Harness } from './harness.ts';

describe.each(databaseKinds())('controls on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;

  afterEach(async () => {
    await h?.engine.stop();
    await db?.destroy();
  });

  async function setup() {
    db = await openTestDatabase(kind);
    h = await createHarness(db);
    h.feed.push('SOL/USDT', 100);
    await h.engine.start();
  }

  it('closes half, then the rest, with manual trade rows, and a second close of the same position answers closed', async () => {
    await setup();
    const { userId, position } = await openPositionFor(h, 7001, 'SOL/USDT');
    const actor = { telegramId: 7001, userId };
    expect(position.qty).toBeCloseTo(10, 9);

    h.feed.push('SOL/USDT', 100.4);
    const half = await h.engine.facade.closePosition(actor, userId, position.id, 0.5);
    expect(half).toMatchObject({ ok: true, position: { qty: 5, status: 'open' } });
    const all = await h.engine.facade.closePosition(actor, userId, position.id, 1);
    expect(all).toMatchObject({ ok: true, position: { qty: 0, status: 'closed', closeReason: 'manual' } });
    const again = await h.engine.facade.closePosition(actor, userId, position.id, 1);
    expect(again).toMatchObject({ ok: false, code: 'closed' });

    const rows = await db.db.select().from(trades).where(eq(trades.positionId, position.id));
    expect(rows.map((r) => [Number(r.quantity), r.closeReason, r.source])).toEqual([
      [5, 'manual', 'manual'],
      [5, 'manual', 'manual'],
    ]);
    const audits = await db.db.select().from(auditLog);
    expect(audits.map((a) => a.action)).toEqual(['position.close_partial', 'position.close', 'position.close']);
    expect(audits[2]!.details).toMatchObject({ ok: false, code: 'closed' });
  });

  it("refuses another trader's position, a bad fraction, and a stop on the wrong side", async () => {
    await setup();
    const { userId, position } = await openPositionFor(h, 7101, 'SOL/USDT');
    const stranger = await h.addTrader(7102);
    expect(await h.engine.facade.closePosition({ telegramId: 7102 }, stranger.userId, position.id, 1)).toMatchObject({ ok: false, code: 'not_owner' });
    expect(await h.engine.facade.closePosition({ telegramId: 7101 }, userId, position.id, 1.5)).toMatchObject({ ok: false, code: 'invalid' });
    expect(await h.engine.facade.moveStopLoss({ telegramId: 7101 }, userId, position.id, 101)).toMatchObject({ ok: false, code: 'invalid' });
    expect(await h.engine.facade.moveTakeProfit({ telegramId: 7101 }, userId, position.id, 99)).toMatchObject({ ok: false, code: 'invalid' });
    expect(await h.engine.facade.getPosition(stranger.userId, position.id)).toBeUndefined();
    expect(h.venue.allOrders()).toHaveLength(1);
  });

  it('moves the stop and the target with reevaluation rows and events, and the moved stop then closes the position', async () => {
    await setup();
    const { userId, position } = await openPositionFor(h, 7201, 'SOL/USDT');
    const actor = { telegramId: 7201, userId };
    h.feed.push('SOL/USDT', 101);
    expect(await h.engine.facade.moveStopLoss(actor, userId, position.id, 99.5)).toMatchObject({ ok: true, position: { stopLoss: 99.5 } });
    expect(await h.engine.facade.moveTakeProfit(actor, userId, position.id, 105)).toMatchObject({ ok: true, position: { takeProfit: 105 } });
    expect(await h.engine.facade.stopLossToBreakeven(actor, userId, position.id)).toMatchObject({ ok: true, position: { stopLoss: position.entryPrice } });

    const reevals = (await db.db.select().from(positionReevaluations).where(eq(positionReevaluations.positionId, position.id)).orderBy(positionReevaluations.id)).filter((r) => r.actionTaken === 'manual');
    expect(reevals.map((r) => [r.reevaluationType, r.reason, Number(r.newSl ?? r.newTp)])).toEqual([
      ['stop_loss', 'manual_stop_loss', 99.5],
      ['take_profit', 'manual_take_profit', 105],
      ['stop_loss', 'manual_breakeven', position.entryPrice],
    ]);
    expect(h.notifier.ofKind('stop_moved').map((e) => e.newStop)).toEqual([99.5, position.entryPrice]);
    expect(h.notifier.ofKind('take_profit_moved').map((e) => e.newTakeProfit)).toEqual([105]);

    h.feed.push('SOL/USDT', 99.9);
    await h.engine.settle();
    const [row] = await db.db.select().from(positions).where(eq(positions.id, position.id));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'stop_loss' });
  });

  it('paused trading opens nothing new, but the stop loss of an open position still fires', async () => {
    await setup();
    const { userId, position } = await openPositionFor(h, 7301, 'SOL/USDT');
    await h.engine.facade.pauseAll({ telegramId: 1, admin: true });
    await h.insertSignal({ symbol: 'SOL/USDT', action: 'BUY', userId });
    h.feed.push('SOL/USDT', 97);
    await h.engine.settle();
    const [row] = await db.db.select().from(positions).where(eq(positions.id, position.id));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'stop_loss' });
    expect(h.notifier.ofKind('stop_loss')).toHaveLength(1);
    expect(h.venue.allOrders()).toHaveLength(2);
  });

  it('sums a P&L report from the trade rows', async () => {
    await setup();
    const { userId, position } = await openPositionFor(h, 7401, 'SOL/USDT');
    h.feed.push('SOL/USDT', 99);
    await h.engine.facade.closePosition({ telegramId: 7401, userId }, userId, position.id, 1);
    const report = await h.engine.facade.pnl(userId, 'day');
    // bought 10 at 100, sold 10 at 99, fees 0.1 % of 1 000 and of 990
    expect(report).toMatchObject({ trades: 1, wins: 0, losses: 1, profitFactor: 0, winRate: 0 });
    expect(report.pnl).toBeCloseTo(-10 - 1 - 0.99, 9);
    expect(report.fees).toBeCloseTo(1.99, 9);
    const [trade] = await h.engine.facade.recentTrades(userId, 5);
    expect(trade).toMatchObject({ positionId: position.id, closeReason: 'manual' });
  });
});
