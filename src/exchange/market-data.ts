/**
 * One shared price feed per exchange (SPEC §1): every user and position of that exchange
 * subscribes here, so 1 000 positions on 50 symbols cost one batched ticker request per poll
 * (or one websocket subscription), never one request per position.
 *
 * The loop: websocket `watchTickers` where the source has it, batched `fetchTickers` polling
 * otherwise; failures back off exponentially with jitter and the loop reconnects; a stale
 * signal fires when no tick arrived for `staleAfterMs` while someone is subscribed.
 */
import type { Exchange } from 'ccxt';
import { toExchangeError } from './errors.ts';
import type { ExchangeError, MarketDataFeed, StaleEvent, Tick } from './port.ts';
import { backoffDelay, type RetryPolicy } from './retry.ts';

/** A ticker as ccxt returns it (only what we read). */
export interface RawTicker {
  symbol?: string;
  last?: number | undefined;
  close?: number | undefined;
  timestamp?: number | undefined;
}

export interface TickerSource {
  /** one request for all symbols */
  fetchTickers(symbols: string[]): Promise<Record<string, RawTicker>>;
  /** resolves with the next update of any of the symbols (websocket); absent → polling */
  watchTickers?: (symbols: string[]) => Promise<Record<string, RawTicker>>;
  close?(): Promise<void>;
}

/** ccxt instance → TickerSource; uses websockets when the instance (a ccxt.pro class) has them. */
export function ccxtTickerSource(client: Exchange, options: { websocket?: boolean } = {}): TickerSource {
  const source: TickerSource = {
    fetchTickers: (symbols) => client.fetchTickers(symbols) as Promise<Record<string, RawTicker>>,
    close: () => client.close(),
  };
  if (options.websocket !== false && client.has.watchTickers === true) {
    // ccxt refuses plain ws:// hosts (a relay, an emulator) until its http agent is loaded; harmless for wss://
    let agent: Promise<unknown> | undefined;
    source.watchTickers = async (symbols) => {
      agent ??= client.loadHttpProxyAgent();
      await agent;
      return (await client.watchTickers(symbols)) as Record<string, RawTicker>;
    };
  }
  return source;
}

export interface MarketDataFeedOptions {
  exchange: string;
  source: TickerSource;
  /** ms between polls when polling (default 2 000) */
  pollIntervalMs?: number;
  /** ms without any tick, while subscribed, before the feed is stale (default 30 000) */
  staleAfterMs?: number;
  /** reconnect backoff after failures */
  reconnect?: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>;
  /** consecutive websocket failures after which the feed polls instead (default 5) */
  websocketFailuresBeforePolling?: number;
  /** ms of polling before the websocket is tried again (default 300 000) */
  websocketRetryAfterMs?: number;
  now?: () => number;
  random?: () => number;
  onError?: (error: ExchangeError, consecutiveFailures: number) => void;
}

export interface FeedStats {
  /** completed fetchTickers / watchTickers calls that delivered data */
  updates: number;
  /** ticks delivered to subscribers */
  ticksDelivered: number;
  failures: number;
  /** how ticks arrive right now */
  transport: 'websocket' | 'polling';
}

export interface SharedMarketDataFeed extends MarketDataFeed {
  stats(): FeedStats;
  /** symbols with at least one subscriber */
  symbols(): string[];
}

export function createMarketDataFeed(options: MarketDataFeedOptions): SharedMarketDataFeed {
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const policy = { attempts: Number.POSITIVE_INFINITY, maxRetryAfterMs: 0, baseDelayMs: options.reconnect?.baseDelayMs ?? 500, maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000 };
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const subscribers = new Map<string, Set<(tick: Tick) => void>>();
  const last = new Map<string, Tick>();
  const staleListeners = new Set<(event: StaleEvent) => void>();
  const stats = { updates: 0, ticksDelivered: 0, failures: 0 };
  const wsFailureLimit = options.websocketFailuresBeforePolling ?? 5;
  const wsRetryAfterMs = options.websocketRetryAfterMs ?? 300_000;
  /** ms since epoch until which the feed polls although the source has a websocket */
  let pollingUntil = 0;
  const websocket = () => (options.source.watchTickers && now() >= pollingUntil ? options.source.watchTickers : undefined);
  let closed = false;
  let stale = false;
  let lastTickAt = 0;
  /** when the current episode of "someone is subscribed" began (staleness counts from it) */
  let watchingSince = 0;
  let wake: (() => void) | undefined;
  let symbolsChanged: (() => void) | undefined;
  let sleepTimer: NodeJS.Timeout | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      sleepTimer = setTimeout(resolve, ms);
    });

  const deliver = (tickers: Record<string, RawTicker>) => {
    stats.updates += 1;
    const received = now();
    for (const [key, ticker] of Object.entries(tickers)) {
      const symbol = ticker.symbol ?? key;
      const price = ticker.last ?? ticker.close;
      if (price === undefined || !(price > 0)) continue;
      const tick: Tick = { symbol, price, time: ticker.timestamp ?? received };
      last.set(symbol, tick);
      lastTickAt = received;
      for (const listener of subscribers.get(symbol) ?? []) {
        stats.ticksDelivered += 1;
        try {
          listener(tick);
        } catch {
          // one failing subscriber never stops the feed for the others
        }
      }
    }
    setStale(false);
  };

  const setStale = (value: boolean) => {
    if (value === stale) return;
    stale = value;
    const event: StaleEvent = { stale, lastTickAt };
    for (const listener of staleListeners) listener(event);
  };

  const staleTimer = setInterval(() => {
    if (subscribers.size === 0) return;
    const since = Math.max(lastTickAt, watchingSince);
    if (now() - since > staleAfterMs) setStale(true);
  }, Math.max(10, Math.min(1_000, staleAfterMs / 4)));
  staleTimer.unref?.();

  const loop = async () => {
    let failures = 0;
    while (!closed) {
      const symbols = [...subscribers.keys()];
      if (symbols.length === 0) {
        await sleep(pollIntervalMs);
        continue;
      }
      const watch = websocket();
      try {
        if (watch) {
          // a websocket wait can last long on a quiet market: a newly subscribed symbol restarts it
          const changed = new Promise<undefined>((resolve) => (symbolsChanged = () => resolve(undefined)));
          const pending = watch(symbols);
          const tickers = await Promise.race([pending, changed]);
          if (tickers === undefined) {
            pending.catch(() => undefined);
            continue;
          }
          deliver(tickers);
          // never starve the event loop, whatever the source does
          await new Promise((resolve) => setImmediate(resolve));
        } else {
          deliver(await options.source.fetchTickers(symbols));
          await sleep(pollIntervalMs);
        }
        failures = 0;
      } catch (error) {
        if (closed) break;
        failures += 1;
        stats.failures += 1;
        options.onError?.(toExchangeError(error), failures);
        const delay = backoffDelay(failures, policy, random);
        if (watch && failures >= wsFailureLimit) {
          // websockets keep failing (blocked port, proxy): poll for a while, then try again
          pollingUntil = now() + wsRetryAfterMs;
          failures = 0;
        }
        await sleep(delay);
      }
    }
  };
  const running = loop();

  return {
    exchange: options.exchange,
    subscribe(symbol, onTick) {
      let set = subscribers.get(symbol);
      if (!set) {
        if (subscribers.size === 0) watchingSince = now();
        set = new Set();
        subscribers.set(symbol, set);
        wake?.(); // a new symbol is fetched at once, not after the current pause
        symbolsChanged?.();
        if (sleepTimer) clearTimeout(sleepTimer);
      }
      const listener = (tick: Tick) => onTick(tick);
      set.add(listener);
      return () => {
        const current = subscribers.get(symbol);
        current?.delete(listener);
        if (current && current.size === 0) subscribers.delete(symbol);
      };
    },
    lastTick: (symbol) => last.get(symbol),
    isStale: () => stale,
    onStale(listener) {
      staleListeners.add(listener);
      return () => staleListeners.delete(listener);
    },
    stats: () => ({ ...stats, transport: websocket() ? 'websocket' : 'polling' }),
    symbols: () => [...subscribers.keys()],
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(staleTimer);
      if (sleepTimer) clearTimeout(sleepTimer);
      wake?.();
      symbolsChanged?.(); // ends a websocket wait even if the source never answers
      await options.source.close?.().catch(() => undefined);
      await running;
    },
  };
}

/** One feed per key (an exchange, or exchange and market type), created on first use and shared by everyone. */
export interface FeedRegistry {
  feedFor(key: string): MarketDataFeed;
  /** the feed of a key if one was created, without creating it */
  existing(key: string): MarketDataFeed | undefined;
  closeAll(): Promise<void>;
}

export function createFeedRegistry(create: (key: string) => MarketDataFeed): FeedRegistry {
  const feeds = new Map<string, MarketDataFeed>();
  return {
    feedFor(key) {
      let feed = feeds.get(key);
      if (!feed) {
        feed = create(key);
        feeds.set(key, feed);
      }
      return feed;
    },
    existing: (key) => feeds.get(key),
    async closeAll() {
      await Promise.all([...feeds.values()].map((feed) => feed.close()));
      feeds.clear();
    },
  };
}
