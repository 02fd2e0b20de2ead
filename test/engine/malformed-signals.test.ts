/**
 * Outside producers write trading_signals; a malformed row is refused for every trader with
 * reasons that name what is wrong (seen in /signals and the rejection alert), and trades nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { signalExecutions } from '../../src/db/schema.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

describe.each(databaseKinds())('malformed signal rows on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  afterEach(async () => {
    await h?.engine.stop();
    await db?.destroy();
  });

  it.each([
    [{ symbol: 'BTC/USDT', action: 'PUMP' }, 'action "PUMP" is not BUY, SELL or HOLD'],
    [{ symbol: 'BTCUSDT', action: 'BUY' }, 'symbol "BTCUSDT" is not a market like BTC/USDT'],
    [{ symbol: 'BTC/USDT', action: 'BUY', confidence: null }, 'confidence is missing'],
    [{ symbol: 'BTC/USDT', action: 'BUY', stopLoss: -5 }, 'stop_loss -5 is not a positive price'],
  ])('%j is refused: %s', async (row, reason) => {
    db = await openTestDatabase(kind);
    h = await createHarness(db);
    h.feed.push('BTC/USDT', 50_000);
    const { userId } = await h.addTrader(4101);
    await h.engine.start();
    const signalId = await h.insertSignal(row);
    await drain(h.engine);
    await h.engine.sweepSignals();

    const rows = await db.db.select().from(signalExecutions).where(eq(signalExecutions.signalId, signalId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ userId, status: 'rejected' });
    expect(rows[0]!.reasons).toContain(reason);
    expect(h.venue.allOrders()).toEqual([]);
    const seen = await h.engine.facade.recentSignals(userId, 5);
    expect(seen.find((s) => s.id === signalId)).toMatchObject({ outcome: 'rejected', reasons: expect.arrayContaining([reason]) });
  });
});
