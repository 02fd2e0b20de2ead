/**
 * The position monitor: every tick of the shared feed is evaluated for the positions on that
 * symbol, and a sweep (default every 5 s) re-evaluates every position on its last price (time
 * exits fire without ticks) and retries orders whose outcome is unknown.
 *
 * A tick reaches only the positions whose wake price it crossed (the book's wake index,
 * position-book.ts): the others' rules could not act on it. The rules run under the per-position lock (tryAcquire: a tick never queues behind an order in
 * flight; the next tick or the sweep decides again). A tick that changes nothing but the last
 * price does not dirty the position; other changes are flushed in one batch.
 */
import { evaluate } from '../domain/monitor/evaluate.ts';
import type { MonitorResult, PositionState } from '../domain/types.ts';
import type { Tick as FeedTick } from '../exchange/port.ts';
import type { NewReevaluation } from '../db/repos/reevaluations.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { EngineContext } from './context.ts';
import { feedOf } from './ports.ts';
import type { MarketDataFeed, TradingMode } from '../exchange/port.ts';
import type { ActionRunner } from './action-runner.ts';
import { reevaluationRow } from './reevaluation-rows.ts';
import { createFeedWatch } from './feed-watch.ts';
import { exchangeName } from '../exchange/quirks/index.ts';

export interface MonitorStats {
  ticks: number;
  evaluations: number;
  lastSweepAt: number | null;
}

export function createMonitor(ctx: EngineContext, runner: ActionRunner) {
  const { book, locks, clock, logger } = ctx;
  /** feed key (exchange:spot | exchange:futures) → symbol → unsubscribe */
  const subscriptions = new Map<string, Map<string, () => void>>();
  const feeds = new Map<string, MarketDataFeed>();
  /** reevaluation rows of tick-only changes (trailing moves), written with the flush */
  let reevalQueue: NewReevaluation[] = [];
  const inFlight = new Set<Promise<void>>();
  /** positions that skipped a tick while locked */
  const recheck = new Set<string>();
  const stats: MonitorStats = { ticks: 0, evaluations: 0, lastSweepAt: null };
  let running = false;
  /** exchange → ms of the last tick received */
  const lastTickAt = new Map<string, number>();
  /** traders told when a feed is down for over a minute, and when it is back */
  const feedWatch = createFeedWatch({ emit: ctx.emit, feedName });

  function marketData(): Array<{ exchange: string; stale: boolean; lastTickAt: Date | null; symbols: number; staleSymbols: string[] }> {
    return [...subscriptions.entries()].map(([key, bySymbol]) => {
      const at = lastTickAt.get(key);
      const feed = feeds.get(key);
      // symbols the stream went quiet on while the feed lives (re-polled over REST meanwhile)
      const quiet = feed ? feed.staleSymbols().map((s) => s.symbol).filter((s) => bySymbol.has(s)) : [];
      return { exchange: key, stale: feed?.isStale() ?? true, lastTickAt: at === undefined ? null : new Date(at), symbols: bySymbol.size, staleSymbols: quiet };
    });
  }

  /** spot and margin share the spot feed; futures has its own */
  const feedKey = (exchange: string, mode: TradingMode) => `${exchange}:${mode === 'futures' ? 'futures' : 'spot'}`;

  function subscribe(exchange: string, mode: TradingMode, symbol: string): void {
    const key = feedKey(exchange, mode);
    let bySymbol = subscriptions.get(key);
    if (!bySymbol) subscriptions.set(key, (bySymbol = new Map()));
    if (bySymbol.has(symbol)) return;
    const feed = ctx.feeds(exchange, mode);
    if (!feed) {
      logger.warn({ exchange, mode, symbol }, 'no market-data feed for this exchange: positions are checked by the sweep only');
      return;
    }
    feeds.set(key, feed);
    bySymbol.set(symbol, feed.subscribe(symbol, (tick) => onTick(exchange, tick, key)));
  }

  function unsubscribe(exchange: string, mode: TradingMode, symbol: string): void {
    const bySymbol = subscriptions.get(feedKey(exchange, mode));
    const off = bySymbol?.get(symbol);
    if (!off) return;
    bySymbol!.delete(symbol);
    off();
  }

  /** Starts watching a position (opened or restored). */
  function track(p: PositionRecord): void {
    book.add(p);
    if (running) subscribe(p.exchange, p.state.mode, p.symbol);
  }

  function untrack(p: PositionRecord): void {
    if (book.remove(p.id)) unsubscribe(p.exchange, p.state.mode, p.symbol);
  }

  function onTick(exchange: string, tick: FeedTick, key = exchange): void {
    if (!running) return;
    stats.ticks++;
    lastTickAt.set(key, clock.now());
    const now = clock.now();
    for (const p of book.woken(exchange, tick.symbol, tick.price, now)) check(p, tick.price, now);
  }

  /** Evaluates one position at `price`; fire-and-forget when orders are needed (the lock is held until done). */
  function check(p: PositionRecord, price: number, now: number): void {
    if (p.status !== 'open' || p.pendingAction) return;
    const tick = { time: now, price, continuous: false };
    stats.evaluations++;
    let result: MonitorResult;
    const release = locks.tryAcquire(p.id);
    if (!release) {
      // busy (an order in flight or a trader's action): decide again on the latest price once free
      recheck.add(p.id);
      return;
    }
    try {
      result = evaluate(p.state, tick, p.settings);
    } catch (error) {
      release();
      logger.error({ err: error, positionId: p.id }, 'monitor rule failed');
      return;
    }
    if (result.actions.length === 0) {
      if (changedBeyondPrice(p.state, result.next)) book.markDirty(p.id);
      p.state = result.next;
      release();
      return;
    }
    if (!result.actions.some((a) => a.type === 'close_all' || a.type === 'partial' || a.type === 'reduce' || a.type === 'alert')) {
      for (const a of result.actions) if (a.type === 'reevaluation') reevalQueue.push(reevaluationRow(p.id, a, 'position_monitor'));
      p.state = result.next;
      book.markDirty(p.id);
      release();
      return;
    }
    const work = runner
      .run(p, result, 'position_monitor')
      .then(() => undefined)
      .catch((error: unknown) => logger.error({ err: error, positionId: p.id }, 'action runner failed'))
      .finally(() => {
        release();
        inFlight.delete(work);
        recheckLatest(p);
      });
    inFlight.add(work);
  }

  /** A tick skipped while the position was busy is made up for with the feed's latest price. */
  function recheckLatest(p: PositionRecord): void {
    if (!recheck.delete(p.id) || !running) return;
    const price = feedOf(ctx.feeds, p)?.lastTick(p.symbol)?.price;
    if (price !== undefined) check(p, price, clock.now());
  }

  /** Re-evaluates every position on its feed's last price (or its own last price) and resolves blocked orders. */
  async function sweep(): Promise<void> {
    const now = clock.now();
    stats.lastSweepAt = now;
    for (const p of [...book.all()]) {
      if (p.pendingAction && p.pendingAction.purpose !== 'entry') {
        // an exit sent while the database is down is recorded when it is back; lookups need the database
        if (!ctx.health.available() || runner.awaitingDatabase(p.id)) continue;
        await locks.run(p.id, async () => {
          if (p.pendingAction) await runner.resolvePending(p).catch((error: unknown) => logger.warn({ err: error, positionId: p.id }, 'pending order still unresolved'));
        });
        continue;
      }
      const price = feedOf(ctx.feeds, p)?.lastTick(p.symbol)?.price ?? p.state.lastPrice;
      // the sweep re-derives each wake (whatever changed in place since) and wakes by it: time exits fire here without ticks
      if (price !== null && price > 0 && book.mayAct(p, price, now)) check(p, price, now);
    }
    // one pass over the book, however many feeds: the open positions each feed prices
    const byFeed = new Map<string, PositionRecord[]>();
    for (const p of book.all()) {
      if (p.status !== 'open') continue;
      const key = feedKey(p.exchange, p.state.mode);
      const list = byFeed.get(key);
      if (list) list.push(p);
      else byFeed.set(key, [p]);
    }
    for (const [key, feed] of feeds) {
      await feedWatch.check(key, feed, byFeed.get(key) ?? [], now).catch((error: unknown) => logger.warn({ err: error, feed: key }, 'feed staleness alert failed'));
    }
    await settle();
  }

  /** Waits for the orders in flight. */
  async function settle(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }

  /** a flush that failed: its rows go out with the next one */
  function requeueReevaluations(rows: NewReevaluation[]): void {
    if (rows.length > 0) reevalQueue = rows.concat(reevalQueue);
  }

  function takeReevaluations(): NewReevaluation[] {
    const out = reevalQueue;
    reevalQueue = [];
    return out;
  }

  function start(): void {
    running = true;
    for (const p of book.all()) subscribe(p.exchange, p.state.mode, p.symbol);
  }

  function stop(): void {
    running = false;
    for (const [, bySymbol] of subscriptions) for (const off of bySymbol.values()) off();
    subscriptions.clear();
  }

  return { track, untrack, onTick, check, sweep, settle, start, stop, takeReevaluations, requeueReevaluations, stats, marketData };
}

export type Monitor = ReturnType<typeof createMonitor>;

/** "binance:futures" → "Binance futures" */
function feedName(key: string): string {
  const [exchange = key, type = ''] = key.split(':');
  return `${exchangeName(exchange)} ${type}`.trim();
}

/** True when something other than the last seen price changed (a tick alone is not worth a write). */
function changedBeyondPrice(a: PositionState, b: PositionState): boolean {
  return (
    a.stopLoss !== b.stopLoss ||
    a.takeProfit !== b.takeProfit ||
    a.trailingActive !== b.trailingActive ||
    a.peak !== b.peak ||
    a.trailingStop !== b.trailingStop ||
    a.qty !== b.qty ||
    a.liquidationWarned !== b.liquidationWarned ||
    a.slBreachSince !== b.slBreachSince ||
    a.tpTrailPeak !== b.tpTrailPeak ||
    a.liquidationPrice !== b.liquidationPrice
  );
}
