/**
 * SPEC §9 done-when for the council: a fresh trader with only a paper account gets a position from
 * the built-in council. The real bot against the Bot API emulator, the real engine and paper
 * exchange; the council reads recorded BTC/USDT hours (test/fixtures) as its candles, and a
 * hand-driven feed gives the price.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, startHarness, type Harness, connectPaperSpot } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';
import { parseCandlesCsv } from '../../src/domain/csv.ts';
import { regimeSeries, regimeWindow } from '../../src/domain/volatility.ts';
import { COUNCIL_SOURCE } from '../../src/domain/council/index.ts';
import { tradingSignals } from '../../src/db/schema.ts';
import type { Engine } from '../../src/engine/create-engine.ts';

const parsed = parseCandlesCsv(readFileSync(new URL('../fixtures/BTC_USDT-1m-2021-02-19.csv', import.meta.url), 'utf8'), 'btc.csv');
if (!parsed.ok) throw parsed.error;
const hourly = regimeSeries(parsed.value);
/** 20 Feb 2021 11:00 UTC: the council's first BUY of that week (0.545) */
const window = regimeWindow(hourly, Date.parse('2021-02-20T11:00:00Z'));
const lastClose = window[window.length - 1]!.close;

let h: Harness;
let engine: Engine | undefined;
let feed: ManualFeed;
beforeEach(async () => {
  feed = new ManualFeed('binance', { now: () => Date.now() });
  feed.push('BTC/USDT', lastClose);
  h = await startHarness({
    engine: realEngine({ priceFeed: feed }, feed, {
      trustedSources: ['titan_v3', COUNCIL_SOURCE],
      council: { symbols: ['BTC/USDT'], minutes: 15, exchange: 'binance', candles: async () => [...window] },
      onEngine: (e) => (engine = e),
    }),
  });
});
afterEach(async () => {
  await h.stop();
});

describe('the built-in council', () => {
  it('a new trader connects Paper and the council opens the first position; its votes are the signal’s reasoning', async () => {
    const userId = await connectPaperSpot(h, alice);

    const [result] = await engine!.runCouncil();
    expect(result).toMatchObject({ symbol: 'BTC/USDT', note: 'written', verdict: { action: 'BUY', confidence: 0.545 } });
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*BTC\/USDT LONG/, 15_000);
    expect(opened.text).toMatch(/🛑 SL [\d,.]+ · 🎯 TP [\d,.]+/);
    const [position] = await h.engine.listPositions(userId);
    expect(position).toMatchObject({ symbol: 'BTC/USDT', side: 'long', status: 'open', isPaper: true });

    const rows = await h.db.db.select().from(tradingSignals);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ source: COUNCIL_SOURCE, action: 'BUY', confidence: 0.545, userId: null });
    expect(rows[0]!.reasoning!.split('\n')).toHaveLength(4);
    expect(rows[0]!.reasoning).toContain('trend BUY 0.67: EMA12 above EMA26 by 1.07 ATR');

    const signals = await h.say(alice, '/signals', /BTC\/USDT/);
    expect(signals.text).toMatch(/COUNCIL_V2\.0_FALLBACK/);

    // a titan_v3 signal for the symbol within the interval: the council stands aside
    await h.db.db.insert(tradingSignals).values({ symbol: 'BTCUSDT', action: 'HOLD', confidence: 0.5, source: 'titan_v3' });
    const [skipped] = await engine!.runCouncil();
    expect(skipped).toMatchObject({ symbol: 'BTC/USDT', signalId: null, note: 'skipped: a titan_v3 signal arrived within 15 min' });
  });
});
