/**
 * A price feed down for over a minute (issue 13 item 1): each trader with positions on it is told
 * once, naming their symbols, and told again once prices are back; a trader without positions
 * there hears nothing. The messages are what the trader reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatAlert } from '../../src/telegram/format/alerts.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, openPositionFor, type Harness } from './harness.ts';

describe.each(databaseKinds())('a price feed down on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;

  afterEach(async () => {
    await h?.engine.stop();
    await db?.destroy();
  });

  it('tells each affected trader after a minute, once, and again when prices are back', async () => {
    db = await openTestDatabase(kind);
    h = await createHarness(db);
    h.feed.push('SOL/USDT', 100);
    h.feed.push('ETH/USDT', 2_000);
    await h.engine.start();
    const anna = await openPositionFor(h, 71_001, 'SOL/USDT');
    await openPositionFor(h, 71_002, 'ETH/USDT');
    const ben = await h.engine.facade.listPositions((await openPositionFor(h, 71_003, 'SOL/USDT')).userId);
    expect(ben).toHaveLength(1);
    await h.addTrader(71_004); // no position: hears nothing
    const stale = () => h.notifier.ofKind('prices_stale');

    h.feed.setStale(true);
    const since = h.clock.now();
    await h.engine.sweepPositions(); // the outage is noticed
    h.clock.advance(45_000);
    await h.engine.sweepPositions();
    expect(stale()).toHaveLength(0); // 45 s: not yet

    h.clock.advance(20_000);
    await h.engine.sweepPositions();
    h.clock.advance(5_000);
    await h.engine.sweepPositions(); // once per outage, not per sweep
    const down = stale();
    expect(down).toHaveLength(3);
    for (const e of down) expect(e).toMatchObject({ live: false, feed: 'Binance spot', downMs: 65_000, since });
    const annas = down.find((e) => e.userId === anna.userId)!;
    expect(annas.symbols).toEqual(['SOL/USDT']);
    expect(formatAlert(annas).text).toBe(
      [
        `⏳ <b>Prices delayed</b>: no price from Binance spot for 1 min (since ${new Date(annas.since).toISOString().slice(11, 16)} UTC).`,
        "Until they return, the bot's stop loss, take profit and trailing stop cannot fire on SOL/USDT. A stop placed on the exchange still protects a position that has one (🛡 in /positions).",
        'I will tell you when prices are back.',
      ].join('\n'),
    );

    h.feed.setStale(false);
    h.clock.advance(115_000);
    await h.engine.sweepPositions();
    await h.engine.sweepPositions();
    const back = stale().filter((e) => e.live);
    expect(back.map((e) => e.userId).sort()).toEqual(down.map((e) => e.userId).sort());
    expect(back[0]!.downMs).toBe(185_000);
    expect(formatAlert(back.find((e) => e.userId === anna.userId)!).text).toBe('✅ <b>Prices are back</b> from Binance spot after 3 min.\nThe bot watches SOL/USDT again.');
  });
});
