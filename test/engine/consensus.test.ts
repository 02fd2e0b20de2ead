/**
 * Consensus through the engine (SPEC §3, the paragraph after rule 7): only signals valid on their
 * own and visible to the trader veto or support. A malformed row, another trader's private
 * signal or a signal for nobody never blocks a valid BUY; a confidence of 5 is refused as
 * malformed and never carries a weak BUY; a refusal names the signal that decided it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { signalExecutions } from '../../src/db/schema.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, signalsDone, type Harness } from './harness.ts';

const MIN = 60_000;

describe.each(databaseKinds())('consensus counts only valid, visible signals on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  afterEach(async () => {
    await h?.engine.stop();
    await db?.destroy();
  });

  async function setup() {
    db = await openTestDatabase(kind);
    h = await createHarness(db);
    h.feed.push('BTC/USDT', 50_000);
    await h.engine.start();
  }

  const executionOf = async (signalId: string, userId: string) =>
    (await db.db.select().from(signalExecutions).where(eq(signalExecutions.signalId, signalId))).find((r) => r.userId === userId);

  /** a BUY 0.9 two minutes after the row under test, within its 15 min window */
  async function buyAfter() {
    h.clock.advance(2 * MIN);
    const id = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9 });
    await signalsDone(h);
    return id;
  }

  it.each([
    ['a stop loss of -5', { stopLoss: -5 }, 'stop_loss -5 is not a positive price'],
    ['confidence 5', { confidence: 5 }, 'confidence 5 is outside 0..1'],
    ['no confidence', { confidence: null }, 'confidence is missing'],
  ])('a SELL with %s is refused and does not veto a valid BUY 0.90', async (_name, bad, reason) => {
    await setup();
    const { userId } = await h.addTrader(5101);
    const sellId = await h.insertSignal({ symbol: 'BTC/USDT', action: 'SELL', confidence: 0.8, ...bad });
    await signalsDone(h);
    expect(await executionOf(sellId, userId)).toMatchObject({ status: 'rejected', reasons: expect.arrayContaining([reason]) });

    const buyId = await buyAfter();
    expect(await executionOf(buyId, userId)).toMatchObject({ status: 'executed' });
    const [position] = await h.engine.facade.listPositions(userId);
    expect(position).toMatchObject({ symbol: 'BTC/USDT', side: 'long', entryPrice: 50_000 });
    expect(h.venue.allOrders()).toHaveLength(1);
  });

  it("another trader's private SELL vetoes only that trader's BUY, and the refusal names it", async () => {
    await setup();
    const a = await h.addTrader(5201);
    const b = await h.addTrader(5202);
    const sellId = await h.insertSignal({ symbol: 'BTC/USDT', action: 'SELL', confidence: 0.8, userId: b.userId });
    await signalsDone(h);
    // B is on spot with nothing to close; A never sees the signal
    expect(await executionOf(sellId, b.userId)).toMatchObject({ status: 'rejected' });
    expect(await executionOf(sellId, a.userId)).toBeUndefined();

    const buyId = await buyAfter();
    expect(await executionOf(buyId, a.userId)).toMatchObject({ status: 'executed' });
    expect(await executionOf(buyId, b.userId)).toMatchObject({
      status: 'rejected',
      reasons: [`opposed by SELL 0.80 from titan_v3 (signal ${sellId.slice(0, 8)}) within 15 min`],
    });
    expect(await h.engine.facade.listPositions(a.userId)).toHaveLength(1);
    expect(await h.engine.facade.listPositions(b.userId)).toHaveLength(0);
    const seen = await h.engine.facade.recentSignals(b.userId, 5);
    expect(seen.find((s) => s.id === buyId)?.reasons).toEqual([`opposed by SELL 0.80 from titan_v3 (signal ${sellId.slice(0, 8)}) within 15 min`]);
  });

  it('a SELL addressed to a user that does not exist vetoes nobody', async () => {
    await setup();
    const traders = await Promise.all([5301, 5302, 5303].map((t) => h.addTrader(t)));
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'SELL', confidence: 0.95, userId: '00000000-0000-4000-8000-00000000dead' });
    await signalsDone(h);
    const buyId = await buyAfter();
    for (const t of traders) expect(await executionOf(buyId, t.userId)).toMatchObject({ status: 'executed' });
    expect(h.venue.allOrders()).toHaveLength(3);
  });

  it('a public valid SELL 0.80 still vetoes, named in the reason', async () => {
    await setup();
    const { userId } = await h.addTrader(5401);
    const sellId = await h.insertSignal({ symbol: 'BTC/USDT', action: 'SELL', confidence: 0.8 });
    await signalsDone(h);
    const buyId = await buyAfter();
    expect(await executionOf(buyId, userId)).toMatchObject({
      status: 'rejected',
      reasons: [`opposed by SELL 0.80 from titan_v3 (signal ${sellId.slice(0, 8)}) within 15 min`],
    });
    expect(h.venue.allOrders()).toEqual([]);
  });

  it('a BUY with confidence 5 is refused with its reason and does not carry a BUY 0.05 into a trade', async () => {
    await setup();
    const { userId } = await h.addTrader(5501);
    const loud = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 5 });
    await signalsDone(h);
    h.clock.advance(MIN);
    const weak = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.05 });
    await signalsDone(h);
    await h.engine.sweepSignals();

    expect(await executionOf(loud, userId)).toMatchObject({ status: 'rejected', reasons: ['confidence 5 is outside 0..1'] });
    expect(await executionOf(weak, userId)).toMatchObject({ status: 'rejected', reasons: ['confidence 0.050 is below the threshold 0.450'] });
    expect(h.venue.allOrders()).toEqual([]);
    const seen = await h.engine.facade.recentSignals(userId, 5);
    expect(seen.find((s) => s.id === loud)).toMatchObject({ outcome: 'rejected', reasons: ['confidence 5 is outside 0..1'] });
  });
});
