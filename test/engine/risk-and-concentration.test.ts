/**
 * Seed parameters that act through the engine: the risk level caps risk per trade and leverage
 * when a signal is sized; the concentration warning (Herfindahl ≥ 0.7) reaches the opened alert
 * and the admin status.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, signalsDone, type Harness } from './harness.ts';

describe.each(databaseKinds())('risk level and concentration through the engine on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  afterEach(async () => {
    await h?.engine.stop();
    await db?.destroy();
  });

  it('sizes by the risk level, caps leverage by it, and tells each trader and the admin about the concentrated book', async () => {
    db = await openTestDatabase(kind);
    h = await createHarness(db);
    h.feed.push('BTC/USDT', 50_000);
    h.feed.push('BTC/USDT:USDT', 50_000);
    const wide = { maxPosition: '1000000', stopLossPct: '4' };
    const level5 = await h.addTrader(6101, { settings: wide });
    const level1 = await h.addTrader(6102, { settings: { ...wide, riskLevel: 1 } });
    const futures = await h.addTrader(6103, { mode: 'futures', settings: { ...wide, leverage: 20 } });
    await h.engine.start();
    const signalId = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.8 });
    await signalsDone(h);

    // no candles: calm (×1.2), the user's 4 % stop; confidence 0.8
    // level 5: 2 % of 10 000 = 200 / 4 % = 5 000 ×0.96 = 4 800 → capped at 25 % of the balance, 2 500 → 0.05 BTC
    const [p5] = await h.engine.facade.listPositions(level5.userId);
    expect(p5).toMatchObject({ symbol: 'BTC/USDT', side: 'long', entryPrice: 50_000 });
    expect(p5!.qty).toBeCloseTo(0.05, 12);
    // level 1: 0.5 % → 50 / 4 % = 1 250 ×0.96 = 1 200 → 0.024 BTC
    const [p1] = await h.engine.facade.listPositions(level1.userId);
    expect(p1!.qty).toBeCloseTo(0.024, 12);
    // futures 20× at level 5: leverage capped at 10×
    const [pf] = await h.engine.facade.listPositions(futures.userId);
    expect(pf).toMatchObject({ symbol: 'BTC/USDT:USDT', leverage: 10 });

    // each account held only USDT: BTC is its whole non-stable book, Herfindahl 1.00
    const opened = h.notifier.ofKind('position_opened');
    expect(opened).toHaveLength(3);
    for (const e of opened) expect(e).toMatchObject({ signalId, concentration: 1 });

    const status = await h.engine.facade.status();
    expect(status.concentration.threshold).toBe(0.7);
    expect(status.concentration.traders.map((t) => t.userId).sort()).toEqual([level5.userId, level1.userId, futures.userId].sort());
    expect(status.concentration.traders.every((t) => t.herfindahl === 1 && t.positions === 1)).toBe(true);
  });
});
