import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReplayFeed, loadReplaySeries, type ReplaySeries } from '../../src/exchange/replay-feed.ts';
import type { StaleEvent, Tick } from '../../src/exchange/port.ts';
import { fixtureFile } from '../support/fixtures.ts';

const BTC_FILE = fixtureFile('BTC_USDT-1m-2021-02-19.csv');

const candle = (time: number, open: number, high: number, low: number, close: number) => ({ time, open, high, low, close, volume: 1 });

describe('replay feed (candles CSV → ticks, SPEC §6 path)', () => {
  it('plays the first recorded BTC candle as open → low → high → close, all at its open time', async () => {
    const feed = createReplayFeed({ series: await loadReplaySeries({ 'BTC/USDT': BTC_FILE }), speed: 0 });
    const ticks: Tick[] = [];
    feed.subscribe('BTC/USDT', (tick) => ticks.push(tick));
    expect(feed.step(4)).toBe(4);
    // 51 657.05 − 51 552.61 = 104.44 > 51 552.61 − 51 545.00 = 7.61 → the low comes first
    expect(ticks).toEqual([
      { symbol: 'BTC/USDT', price: 51_552.61, time: 1_613_692_800_000, continuous: false },
      { symbol: 'BTC/USDT', price: 51_545.0, time: 1_613_692_800_000, continuous: true },
      { symbol: 'BTC/USDT', price: 51_657.05, time: 1_613_692_800_000, continuous: true },
      { symbol: 'BTC/USDT', price: 51_613.38, time: 1_613_692_800_000, continuous: true },
    ]);
    expect(feed.remaining()).toBe(10_080 * 4 - 4);
    expect(feed.lastTick('BTC/USDT')?.price).toBe(51_613.38);
    await feed.close();
  });

  it('merges several symbols in time order and sends each subscriber only its symbol', () => {
    const series: ReplaySeries[] = [
      { symbol: 'A/USDT', candles: [candle(0, 10, 11, 9, 10.5), candle(120_000, 10.5, 10.6, 10.4, 10.5)] },
      { symbol: 'B/USDT', candles: [candle(60_000, 100, 100, 100, 100)] },
    ];
    const feed = createReplayFeed({ series, speed: 0 });
    const seen: string[] = [];
    feed.subscribe('A/USDT', (t) => seen.push(`A@${t.time}`));
    feed.subscribe('B/USDT', (t) => seen.push(`B@${t.time}`));
    feed.step(100);
    // A's candle spans 0–120 000 (ticks paced at 0, 30 000, 60 000, 90 000), B's 60 000–120 000
    expect(seen).toEqual(['A@0', 'A@0', 'A@0', 'B@60000', 'B@60000', 'A@0', 'B@60000', 'B@60000', 'A@120000', 'A@120000', 'A@120000', 'A@120000']);
  });

  it('plays a whole day at full speed, then signals that no more ticks will come', async () => {
    const feed = createReplayFeed({ series: await loadReplaySeries({ 'BTC/USDT': BTC_FILE }), speed: Number.POSITIVE_INFINITY });
    const stale: StaleEvent[] = [];
    feed.onStale((e) => stale.push(e));
    let count = 0;
    let previous = 0;
    let ordered = true;
    feed.subscribe('BTC/USDT', (tick) => {
      count += 1;
      if (tick.time < previous) ordered = false;
      previous = tick.time;
    });
    await feed.finished;
    expect(count).toBe(10_080 * 4);
    expect(ordered).toBe(true);
    expect(feed.isStale()).toBe(true);
    expect(stale).toEqual([{ stale: true, lastTickAt: previous }]);
  });

  it('plays at a chosen speed through the timer', async () => {
    const series: ReplaySeries[] = [{ symbol: 'X/USDT', candles: Array.from({ length: 5 }, (_, i) => candle(i * 60_000, 1 + i, 1 + i, 1 + i, 1 + i)) }];
    // 60 000 market ms per wall ms: one candle per millisecond
    const feed = createReplayFeed({ series, speed: 60_000 });
    const prices: number[] = [];
    feed.subscribe('X/USDT', (tick) => prices.push(tick.price));
    await feed.finished;
    expect(prices).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5]);
  });

  it('a bad CSV names the file, line and column', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'replay-'));
    const file = join(dir, 'bad.csv');
    await writeFile(file, 'timestamp,open,high,low,close,volume\n1,1,1,1,1,1\n2,1,x,1,1,1\n');
    await expect(loadReplaySeries({ 'X/USDT': file })).rejects.toThrow(/bad\.csv.*3/);
  });
});
