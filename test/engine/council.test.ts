/** The engine's council runner on a real database: what it writes, skips and expires (SPEC §9). */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createCouncil } from '../../src/engine/council.ts';
import { createCouncilSignalsRepo } from '../../src/db/repos/council-signals.ts';
import { tradingSignals } from '../../src/db/schema.ts';
import { parseCandlesCsv } from '../../src/domain/csv.ts';
import { regimeSeries, regimeWindow } from '../../src/domain/volatility.ts';
import type { Candle } from '../../src/domain/types.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { T0 } from './harness.ts';
import { silentLogger } from '../../src/engine/ports.ts';

const parsed = parseCandlesCsv(readFileSync(new URL('../fixtures/BTC_USDT-1m-2021-02-19.csv', import.meta.url), 'utf8'), 'btc.csv');
if (!parsed.ok) throw parsed.error;
const hourly = regimeSeries(parsed.value);

describe.each(databaseKinds())('council runner on %s', (kind) => {
  let db: TestDatabase;
  afterEach(async () => {
    await db?.destroy();
  });

  it('writes BUY rows that expire the one before, a HOLD once, nothing without candles, and stands aside after titan_v3', async () => {
    db = await openTestDatabase(kind);
    const clock = new FakeClock(T0);
    let window: readonly Candle[] = regimeWindow(hourly, Date.parse('2021-02-20T11:00:00Z'));
    const council = createCouncil({
      repo: createCouncilSignalsRepo(db.db),
      clock,
      logger: silentLogger,
      options: { symbols: ['BTC/USDT', 'ETH/USDT'], minutes: 15, exchange: 'binance', candles: async (_e, symbol) => (symbol === 'BTC/USDT' ? [...window] : []) },
    });

    const first = await council.run();
    expect(first.map((r) => [r.symbol, r.verdict?.action ?? null, r.note])).toEqual([
      ['BTC/USDT', 'BUY', 'written'],
      ['ETH/USDT', null, 'no candles from binance'],
    ]);
    clock.advance(15 * 60_000);
    await council.run();
    let rows = await db.db.select().from(tradingSignals).orderBy(tradingSignals.createdAt);
    expect(rows.map((r) => [r.action, r.confidence, r.expiresAt!.getTime() - T0])).toEqual([
      ['BUY', 0.545, 15 * 60_000], // expired by the second run
      ['BUY', 0.545, 30 * 60_000],
    ]);

    // too few candles: HOLD, written once
    window = window.slice(0, 10);
    for (let i = 0; i < 2; i++) {
      clock.advance(15 * 60_000);
      await council.run();
    }
    rows = await db.db.select().from(tradingSignals).orderBy(tradingSignals.createdAt);
    expect(rows.map((r) => r.action)).toEqual(['BUY', 'BUY', 'HOLD']);
    expect(council.status().lastRun!.results[0]).toMatchObject({ symbol: 'BTC/USDT', action: 'HOLD', note: 'HOLD again: not written' });

    // a titan_v3 row (written BTCUSDT) within the interval: no council row for BTC/USDT
    await db.db.insert(tradingSignals).values({ symbol: 'BTCUSDT', action: 'BUY', confidence: 0.7, source: 'titan_v3', createdAt: new Date(clock.now() - 14 * 60_000) });
    clock.advance(60_000);
    const [btc] = await council.run();
    expect(btc!.note).toBe('skipped: a titan_v3 signal arrived within 15 min');
  });
});
