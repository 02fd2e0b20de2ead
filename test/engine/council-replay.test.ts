/**
 * The council offline (SPEC §9): the replay feed plays the recorded BTC/USDT week after 35 hours of
 * history, the council votes every 15 replayed minutes on the hours closed so far, and its row
 * opens a paper position through NOTIFY → validation → sizing → the paper exchange. Real database,
 * real engine, real paper exchange; the replay is stepped by hand.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';
import { createExchangeRuntime } from '../../src/exchange/runtime.ts';
import { createDrizzlePaperStore } from '../../src/db/repos/paper-store.ts';
import { createReplayCandleSource, createReplayFeed, replayCouncilSchedule, replayStart, type ReplayFeed } from '../../src/exchange/replay-feed.ts';
import { parseCandlesCsv } from '../../src/domain/csv.ts';
import { COUNCIL_SOURCE } from '../../src/domain/council/index.ts';
import { tradingSignals } from '../../src/db/schema.ts';

const parsed = parseCandlesCsv(readFileSync(new URL('../fixtures/BTC_USDT-1m-2021-02-19.csv', import.meta.url), 'utf8'), 'btc.csv');
if (!parsed.ok) throw parsed.error;
const series = [{ symbol: 'BTC/USDT', candles: parsed.value }];

describe.each(databaseKinds())('the council on the replay feed (%s)', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  let replay: ReplayFeed | undefined;
  let runtime: ReturnType<typeof createExchangeRuntime> | undefined;

  afterEach(async () => {
    await h?.engine.stop();
    await runtime?.close();
    await db?.destroy();
  });

  it('votes every 15 replayed minutes after 35 h of history and its BUY opens a paper long', async () => {
    db = await openTestDatabase(kind);
    const startAt = replayStart(series, 35)!;
    expect(new Date(startAt).toISOString()).toBe('2021-02-20T11:00:00.000Z');
    runtime = createExchangeRuntime({ paper: { store: createDrizzlePaperStore(db.db) }, get priceFeed() { return replay; } });
    h = await createHarness(db, {}, { createExchange: (account) => runtime!.create(account), feeds: () => replay });
    replay = createReplayFeed({ series, speed: 0, exchange: 'binance', startAt, now: () => h.clock.now() });
    const candles = createReplayCandleSource(series, replay, startAt);
    const engine = h.newEngine({ candles, council: { symbols: ['BTC/USDT'], minutes: 15, exchange: 'replay', candles } });
    h.engine = engine;
    const { userId } = await h.addTrader(2001);
    await engine.start();
    const runs: Array<Promise<unknown>> = [];
    const stopSchedule = replayCouncilSchedule(replay, ['BTC/USDT'], 15)(() => runs.push(engine.runCouncil()));

    // before anything played the council already sees the 35 closed hours: the 10:00 hour is the last
    expect((await candles('replay', 'BTC/USDT')).at(-1)!.time).toBe(Date.parse('2021-02-20T10:00:00Z'));
    let opened = await engine.facade.listPositions(userId);
    for (let minute = 0; opened.length === 0 && minute < 6 * 60; minute++) {
      replay.step(4);
      if (runs.length > 0) {
        await Promise.all(runs.splice(0));
        await drain(engine);
        await engine.sweepSignals();
        await engine.settle();
        opened = await engine.facade.listPositions(userId);
      }
    }
    stopSchedule();
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ symbol: 'BTC/USDT', side: 'long', isPaper: true });
    const rows = await db.db.select().from(tradingSignals);
    // one run per 15 replayed minutes, each a BUY that the next one expires
    expect(rows.every((r) => r.source === COUNCIL_SOURCE && r.action === 'BUY')).toBe(true);
    // only the latest row stands (the engine's clock stands still here, so each row expired the one before at once)
    const standing = rows.filter((r) => r.expiresAt!.getTime() > h.clock.now());
    expect(standing).toHaveLength(1);
    expect(standing[0]!.reasoning!.split('\n').map((l) => l.split(' ')[0])).toEqual(['trend', 'momentum', 'mean', 'regime']);
    // the entry was priced on the replay: within the 20 Feb 11:00–17:00 range
    expect(opened[0]!.entryPrice).toBeGreaterThan(55_000);
    expect(opened[0]!.entryPrice).toBeLessThan(57_500);
    replay.close();
  });
});
