/**
 * A MarketDataFeed that plays recorded candles as ticks (SPEC §6 path: each candle becomes
 * open → nearer extreme → other extreme → close, all carrying the candle's open time), for
 * demos, offline paper sessions and tests. Several symbols play merged in time order.
 *
 * Pacing: `speed` market-milliseconds per wall-millisecond (60 = one minute of market per
 * second; Infinity = as fast as the event loop allows). The four ticks of a candle are spread
 * over its interval for pacing only. `speed: 0` never plays by itself: call `step()`.
 * When the data ends the feed turns stale (no more ticks will come) and `finished` resolves.
 */
import { readFile } from 'node:fs/promises';
import { parseCandlesCsv } from '../domain/csv.ts';
import { candleToTicks } from '../domain/candles.ts';
import type { Candle } from '../domain/types.ts';
import { regimeSeries, regimeWindow } from '../domain/volatility.ts';
import type { MarketDataFeed, StaleEvent, Tick } from './port.ts';

export interface ReplaySeries {
  symbol: string;
  candles: readonly Candle[];
}

export interface ReplayFeedOptions {
  series: readonly ReplaySeries[];
  /** market ms per wall ms; 0 = manual (step()); Infinity = as fast as possible */
  speed: number;
  exchange?: string;
  /** start playing at once (default true) */
  autoStart?: boolean;
  /** market ms: candles opening before it are history (not played; see createReplayCandleSource) */
  startAt?: number;
  now?: () => number;
}

export interface ReplayFeed extends MarketDataFeed {
  start(): void;
  /** delivers the next `count` ticks synchronously; returns how many were delivered */
  step(count?: number): number;
  /** ticks left to play */
  remaining(): number;
  /** resolves when the last tick was delivered or the feed closed */
  readonly finished: Promise<void>;
}

interface ReplayEvent {
  tick: Tick;
  /** market time used for pacing, ms */
  at: number;
}

/** Builds the merged, time-ordered tick list of all series. */
export function replayEvents(series: readonly ReplaySeries[]): ReplayEvent[] {
  const events: ReplayEvent[] = [];
  for (const { symbol, candles } of series) {
    for (let i = 0; i < candles.length; i += 1) {
      const candle = candles[i]!;
      const next = candles[i + 1];
      const interval = next ? next.time - candle.time : (candles[i - 1] ? candle.time - candles[i - 1]!.time : 60_000);
      candleToTicks(candle).forEach((tick, k) => {
        events.push({ tick: { symbol, price: tick.price, time: tick.time, continuous: tick.continuous }, at: candle.time + (interval * k) / 4 });
      });
    }
  }
  // stable sort keeps each symbol's path order for equal times
  return events.sort((a, b) => a.at - b.at);
}

export function createReplayFeed(options: ReplayFeedOptions): ReplayFeed {
  const startAt = options.startAt;
  const events = startAt === undefined ? replayEvents(options.series) : replayEvents(options.series).filter((e) => e.tick.time >= startAt);
  const now = options.now ?? Date.now;
  const subscribers = new Map<string, Set<(tick: Tick) => void>>();
  const last = new Map<string, Tick>();
  const staleListeners = new Set<(event: StaleEvent) => void>();
  let index = 0;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let closed = false;
  let stale = false;
  let lastTickAt = 0;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));

  const deliver = (event: ReplayEvent) => {
    const { tick } = event;
    last.set(tick.symbol, tick);
    lastTickAt = tick.time;
    for (const listener of subscribers.get(tick.symbol) ?? []) {
      try {
        listener(tick);
      } catch {
        // a failing subscriber does not stop the replay
      }
    }
  };

  const finish = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!stale && index >= events.length) {
      stale = true;
      for (const listener of staleListeners) listener({ stale: true, lastTickAt });
    }
    resolveFinished();
  };

  const step = (count = 1): number => {
    let delivered = 0;
    while (delivered < count && index < events.length && !closed) {
      deliver(events[index]!);
      index += 1;
      delivered += 1;
    }
    if (index >= events.length) finish();
    return delivered;
  };

  const play = () => {
    const first = events[0];
    if (!first) return finish();
    let wallStart = 0;
    const speed = options.speed;
    const tickLoop = () => {
      timer = undefined;
      if (closed) return;
      if (speed === Number.POSITIVE_INFINITY) {
        step(1_000);
      } else {
        const marketNow = first.at + (now() - wallStart) * speed;
        while (index < events.length && events[index]!.at <= marketNow && !closed) step(1);
      }
      const next = events[index];
      if (!next || closed) return finish();
      const wait = speed === Number.POSITIVE_INFINITY ? 0 : Math.max(0, (next.at - first.at) / speed - (now() - wallStart));
      timer = setTimeout(tickLoop, wait);
    };
    // the first tick goes out on the next turn of the event loop, after today's subscribers
    timer = setTimeout(() => {
      wallStart = now();
      tickLoop();
    }, 0);
  };

  const feed: ReplayFeed = {
    exchange: options.exchange ?? 'replay',
    finished,
    start() {
      if (started || closed || options.speed === 0) return;
      started = true;
      play();
    },
    step,
    remaining: () => events.length - index,
    subscribe(symbol, onTick) {
      let set = subscribers.get(symbol);
      if (!set) {
        set = new Set();
        subscribers.set(symbol, set);
      }
      const listener = (tick: Tick) => onTick(tick);
      set.add(listener);
      return () => set.delete(listener);
    },
    lastTick: (symbol) => last.get(symbol),
    isStale: () => stale,
    staleSymbols: () => [],
    onStale(listener) {
      staleListeners.add(listener);
      return () => staleListeners.delete(listener);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      resolveFinished();
    },
  };
  if (options.autoStart !== false) feed.start();
  return feed;
}

/** Reads candle CSVs (SPEC §8 format) keyed by symbol; a bad file throws naming file, line and column. */
export async function loadReplaySeries(files: Readonly<Record<string, string>>): Promise<ReplaySeries[]> {
  const series: ReplaySeries[] = [];
  for (const [symbol, path] of Object.entries(files)) {
    const parsed = parseCandlesCsv(await readFile(path, 'utf8'), path);
    if (!parsed.ok) throw parsed.error;
    series.push({ symbol, candles: parsed.value });
  }
  return series;
}

/** ms: the first candle of the series, and where a replay with `warmupHours` of history starts playing */
export function replayStart(series: readonly ReplaySeries[], warmupHours: number): number | undefined {
  const first = Math.min(...series.map((s) => s.candles[0]?.time ?? Number.POSITIVE_INFINITY));
  return Number.isFinite(first) ? first + warmupHours * 3_600_000 : undefined;
}

/**
 * Candles for the council and SL/TP on a replayed session: the symbol's hourly candles that closed
 * by the replay's current market time (its last tick, or `startAt` before the first), the last
 * REGIME_HISTORY of them, as the live candle source gives them. The exchange argument is ignored.
 */
export function createReplayCandleSource(series: readonly ReplaySeries[], feed: Pick<MarketDataFeed, 'lastTick'>, startAt: number | undefined): (exchange: string, symbol: string) => Promise<Candle[]> {
  const hourly = new Map(series.map((s) => [s.symbol.toUpperCase(), regimeSeries(s.candles)]));
  return async (_exchange, symbol) => {
    const candles = hourly.get(symbol.toUpperCase());
    if (!candles) return [];
    const now = Math.max(feed.lastTick(symbol)?.time ?? Number.NEGATIVE_INFINITY, startAt ?? Number.NEGATIVE_INFINITY);
    return [...regimeWindow(candles, now)];
  };
}

/**
 * The council's schedule on a replay: a run each time the replayed market time of any of `symbols`
 * enters a new `minutes` interval (at REPLAY_SPEED=1, one candle a second, the council votes every 15
 * wall seconds, as the live council would have over those replayed hours).
 */
export function replayCouncilSchedule(feed: Pick<MarketDataFeed, 'subscribe'>, symbols: readonly string[], minutes: number): (run: () => void) => () => void {
  return (run) => {
    const step = minutes * 60_000;
    let slot: number | null = null;
    const offs = symbols.map((symbol) =>
      feed.subscribe(symbol, (tick) => {
        const current = Math.floor(tick.time / step);
        if (slot !== null && current > slot) run();
        if (slot === null || current > slot) slot = current;
      }),
    );
    return () => {
      for (const off of offs) off();
    };
  };
}
