/**
 * A price feed down for more than a minute (issue 13, item 1): the traders whose positions read
 * prices from it are told once per outage, and told again when prices are back. Until then the
 * bot's own stops, take profits and trailing stops cannot fire on those symbols; stops placed on
 * the exchange still can. Checked on the monitor's sweep; an outage is a feed's isStale() from
 * the first sweep that saw it.
 */
import type { MarketDataFeed } from '../exchange/port.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { EngineEvent } from './events.ts';

/** ms a feed may be down before traders are told */
export const FEED_DOWN_ALERT_MS = 60_000;

interface Outage {
  since: number;
  /** traders told, with the symbols they were told about */
  told: Map<string, string[]> | null;
}

export interface FeedWatchDeps {
  emit(event: EngineEvent, dedupeKey?: string): Promise<void>;
  /** the name a trader reads for a feed key ("Binance futures") */
  feedName(key: string): string;
}

export function createFeedWatch(deps: FeedWatchDeps) {
  const outages = new Map<string, Outage>();

  /** one pass: `positions` are the open positions whose prices come from `feed` (key `key`) */
  async function check(key: string, feed: MarketDataFeed, positions: readonly PositionRecord[], now: number): Promise<void> {
    const outage = outages.get(key);
    if (!feed.isStale()) {
      if (!outage) return;
      outages.delete(key);
      if (!outage.told) return;
      const downMs = now - outage.since;
      for (const [userId, symbols] of outage.told) {
        await deps.emit({ kind: 'prices_stale', userId, feed: deps.feedName(key), symbols, since: outage.since, downMs, live: true }, `feed-live:${key}:${outage.since}:${userId}`);
      }
      return;
    }
    if (!outage) {
      outages.set(key, { since: now, told: null });
      return;
    }
    if (outage.told || now - outage.since < FEED_DOWN_ALERT_MS) return;
    const byUser = new Map<string, string[]>();
    for (const p of positions) {
      const symbols = byUser.get(p.userId) ?? [];
      if (!symbols.includes(p.symbol)) symbols.push(p.symbol);
      byUser.set(p.userId, symbols);
    }
    outage.told = byUser;
    for (const [userId, symbols] of byUser) {
      await deps.emit({ kind: 'prices_stale', userId, feed: deps.feedName(key), symbols: symbols.sort(), since: outage.since, downMs: now - outage.since, live: false }, `feed-down:${key}:${outage.since}:${userId}`);
    }
  }

  /** feeds down now, for /status: key → since (ms) */
  function down(): ReadonlyMap<string, number> {
    return new Map([...outages].map(([key, o]) => [key, o.since]));
  }

  return { check, down };
}

export type FeedWatch = ReturnType<typeof createFeedWatch>;
