/**
 * The monitor beyond ticks: the sweep's time exit with a moved clock, the liquidation rule on the
 * exchange's own liquidation price (futures), and the batched flush of tick-only changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { positions, trades } from '../../src/db/schema.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, signalsDone, openPositionFor, type Harness } from './harness.ts';

describe.each(databaseKinds())('monitor on %s', (kind) => {
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
    h.feed.push('SOL/USDT:USDT', 100);
    await h.engine.start();
  }

  it('closes on time exit from the sweep once 12 h have passed, without any tick', async () => {
    await setup();
    const { position } = await openPositionFor(h, 8001, 'SOL/USDT');
    h.clock.advance(12 * 3_600_000 - 1);
    await h.engine.sweepPositions();
    expect((await db.db.select().from(positions).where(eq(positions.id, position.id)))[0]!.status).toBe('open');
    h.clock.advance(1);
    await h.engine.sweepPositions();
    const [row] = await db.db.select().from(positions).where(eq(positions.id, position.id));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'time_exit' });
    expect(h.notifier.ofKind('time_exit')).toHaveLength(1);
  });

  it("uses the exchange's liquidation price: warns and reduces by 25 % once, then closes at 3.5 %", async () => {
    await setup();
    const trader = await h.addTrader(8101, { mode: 'futures', settings: { leverage: 3 } });
    await h.insertSignal({ symbol: 'SOL/USDT', action: 'BUY', userId: trader.userId, stopLoss: 60 });
    await signalsDone(h);
    const [position] = await h.engine.facade.listPositions(trader.userId);
    // the venue reports entry·(1 − 1/3 + 0.01); the domain's own estimate would use 0.005
    const liq = 100 * (1 - 1 / 3 + 0.01);
    // size: 2 % of 10 000 over a 40 % stop = 500, ×1.2 ×0.8 = 480 → 4.8 at 100
    expect(position).toMatchObject({ symbol: 'SOL/USDT:USDT', leverage: 3, qty: 4.8 });
    expect(position!.liquidationPrice).toBeCloseTo(liq, 9);

    h.feed.push('SOL/USDT:USDT', 79); // within 15 % of liq (≤ liq / 0.85 = 79.61)
    await h.engine.settle();
    h.feed.push('SOL/USDT:USDT', 78.5); // same episode: no second reduce
    await h.engine.settle();
    expect(h.notifier.ofKind('liquidation_warning')).toMatchObject([{ reducedQty: 1.2 }]);
    h.feed.push('SOL/USDT:USDT', 70); // within 3.5 % (≤ liq / 0.965 = 70.12)
    await h.engine.settle();

    const rows = await db.db.select().from(trades).where(eq(trades.positionId, position!.id)).orderBy(trades.createdAt);
    expect(rows.map((r) => r.closeReason)).toEqual(['liquidation_protection', 'liquidation_protection']);
    expect(Number(rows[0]!.quantity)).toBeCloseTo(1.2, 8);
    expect(Number(rows[1]!.quantity)).toBeCloseTo(3.6, 8);
    const [row] = await db.db.select().from(positions).where(eq(positions.id, position!.id));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'liquidation_protection' });
  });

  it('refreshes the liquidation price from the exchange about once a minute', async () => {
    await setup();
    const trader = await h.addTrader(8151, { mode: 'futures', settings: { leverage: 3 } });
    await h.insertSignal({ symbol: 'SOL/USDT', action: 'BUY', userId: trader.userId, stopLoss: 60 });
    await signalsDone(h);
    await h.engine.sweepPositions();
    // margin added on the exchange: leverage 2 moves the liquidation price down to 51
    h.venue.wallet(trader.accountId).positions['SOL/USDT:USDT']!.leverage = 2;
    h.clock.advance(30_000);
    await h.engine.sweepPositions();
    expect((await h.engine.facade.listPositions(trader.userId))[0]!.liquidationPrice).toBeCloseTo(100 * (1 - 1 / 3 + 0.01), 9);
    h.clock.advance(30_000);
    await h.engine.sweepPositions();
    expect((await h.engine.facade.listPositions(trader.userId))[0]!.liquidationPrice).toBeCloseTo(51, 9);
  });

  it('writes tick-only changes (trailing activation and peaks) in one batched flush', async () => {
    await setup();
    const a = await openPositionFor(h, 8201, 'SOL/USDT');
    const b = await openPositionFor(h, 8202, 'SOL/USDT');
    h.feed.push('SOL/USDT', 100.8);
    await h.engine.settle();
    h.feed.push('SOL/USDT', 100.9);
    const before = await db.db.select().from(positions).where(eq(positions.id, b.position.id));
    expect(Number(before[0]!.peak)).not.toBeCloseTo(100.9, 9);
    await h.engine.flush();
    for (const id of [a.position.id, b.position.id]) {
      const [row] = await db.db.select().from(positions).where(eq(positions.id, id));
      expect(row!.trailingActive).toBe(true);
      expect(Number(row!.peak)).toBeCloseTo(100.9, 9);
      expect(Number(row!.trailingStop)).toBeCloseTo(100.9 * 0.99, 9);
    }
  });
});
