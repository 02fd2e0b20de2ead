/**
 * One shared price feed per exchange (SPEC §1): every user and position of that exchange
 * subscribes here, so 1 000 positions on 50 symbols cost one batched ticker request per poll
 * (or one websocket subscription), never one request per position.
 *
 * The loop: websocket `watchTickers` where the source has it, batched `fetchTickers` polling
 * otherwise; failures back off exponentially with jitter and the loop reconnects; a stale
 * signal fires when no tick arrived for `staleAfterMs` while someone is subscribed.
 *
 * A `watchTickers` call resolves with one update; tickers that arrive before it is called
 * again are not lost: ccxt pro writes every message into its ticker cache, which the feed
 * drains after each update and just before re-arming. A symbol the stream leaves quiet for
 * `symbolStaleAfterMs` is re-polled over REST and listed by `staleSymbols()`.
 */
import { ExchangeClosedByUser, type Exchange } from 'ccxt';
import { toExchangeError } from './errors.ts';
import type { ExchangeError, MarketDataFeed, StaleEvent, StaleSymbol, Tick } from './port.ts';
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
  /**
   * The latest ticker per symbol as the websocket wrote it, updates between two watchTickers
   * calls included (ccxt pro's `exchange.tickers`). A ticker object is replaced, never mutated,
   * when an update arrives.
   */
  cachedTickers?: () => Readonly<Record<string, RawTicker | undefined>>;
  /** closes the websockets while nothing is watched (the next watchTickers opens one again) */
  unwatchAll?: () => Promise<void>;
  close?(): Promise<void>;
}

/** the part of a ccxt pro instance the source reads: its websocket clients and its ticker cache */
interface ProClient {
  error?: unknown;
  close(): Promise<unknown> | undefined;
}
interface ProInternals {
  clients?: Record<string, ProClient>;
  tickers?: Record<string, RawTicker | undefined>;
  options: Record<string, unknown>;
}

/**
 * ccxt instance → TickerSource; uses websockets when the instance (a ccxt.pro class) has them.
 * One websocket per instance: when a changed symbol set makes ccxt open a connection of its own
 * (Binance gives every symbol list a stream URL), the previous connections are closed once the
 * new one delivered (or after `retireAfterMs`).
 */
export function ccxtTickerSource(client: Exchange, options: { websocket?: boolean; retireAfterMs?: number } = {}): TickerSource {
  const source: TickerSource = {
    fetchTickers: (symbols) => client.fetchTickers(symbols) as Promise<Record<string, RawTicker>>,
    close: () => client.close(),
  };
  if (options.websocket !== false && client.has.watchTickers === true) {
    const pro = client as unknown as ProInternals;
    // ccxt waits 1 s … 60 s before dialling a URL again within 30 s; the feed backs off on its own failures
    const ws = (pro.options['ws'] ?? {}) as Record<string, unknown>;
    pro.options['ws'] = { ...ws, backoff: { ...((ws['backoff'] as object | undefined) ?? {}), base: 0 } };
    const retireAfterMs = options.retireAfterMs ?? 2_000;
    /**
     * Takes the connections out of ccxt's registry at once (a later watch on the same URL dials a
     * new one) and closes them once the new connection delivered, or after retireAfterMs. Marked
     * closed by us, their close never removes a newer client registered under the same URL.
     */
    const retire = (urls: string[], after: Promise<unknown>) => {
      const old: Array<ProClient> = [];
      for (const url of urls) {
        const ws = pro.clients?.[url];
        if (!ws || !pro.clients) continue;
        delete pro.clients[url];
        ws.error = new ExchangeClosedByUser(`${client.id} symbol set changed`);
        old.push(ws);
      }
      if (old.length === 0) return;
      // connections still waiting from an earlier change are two generations old now: close them at once
      shut(waiting.splice(0));
      waiting.push(...old);
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, retireAfterMs);
        timer.unref?.();
      });
      void Promise.race([after.then(() => undefined, () => undefined), waited]).then(() => {
        clearTimeout(timer);
        shut(old.filter((ws) => waiting.includes(ws)));
        waiting.splice(0, waiting.length, ...waiting.filter((ws) => !old.includes(ws)));
      });
    };
    const waiting: ProClient[] = [];
    const shut = (clients: ProClient[]) => {
      for (const ws of clients) void Promise.resolve(ws.close()).catch(() => undefined);
    };
    // ccxt refuses plain ws:// hosts (a relay, an emulator) until its http agent is loaded; harmless for wss://
    let agent: Promise<unknown> | undefined;
    source.watchTickers = async (symbols) => {
      agent ??= client.loadHttpProxyAgent();
      await agent;
      const before = Object.keys(pro.clients ?? {});
      const pending = client.watchTickers(symbols) as Promise<Record<string, RawTicker>>;
      const opened = () => Object.keys(pro.clients ?? {}).some((url) => !before.includes(url));
      // ccxt registers the connection inside this call (Binance), or after awaiting its markets (others)
      if (opened()) retire(before, pending);
      else setImmediate(() => opened() && retire(before, pending));
      return await pending;
    };
    source.cachedTickers = () => pro.tickers ?? {};
    source.unwatchAll = () => client.close();
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
  /** ms without a streamed tick of a symbol before it is re-polled over REST and listed stale (default 10 000) */
  symbolStaleAfterMs?: number;
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
  /** REST requests re-polling symbols the stream left quiet */
  repolls: number;
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
  const symbolStaleAfterMs = options.symbolStaleAfterMs ?? 10_000;
  const policy = { attempts: Number.POSITIVE_INFINITY, maxRetryAfterMs: 0, baseDelayMs: options.reconnect?.baseDelayMs ?? 500, maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000 };
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const { source } = options;
  const subscribers = new Map<string, Set<(tick: Tick) => void>>();
  const last = new Map<string, Tick>();
  /** the ticker object last delivered per symbol: a cached ticker is delivered once */
  const delivered = new Map<string, RawTicker>();
  /** per subscribed symbol: when the stream last updated it (its subscription time until then) */
  const streamedAt = new Map<string, number>();
  /** per subscribed symbol: when a price of it last arrived from anywhere */
  const pricedAt = new Map<string, number>();
  const staleListeners = new Set<(event: StaleEvent) => void>();
  const stats = { updates: 0, ticksDelivered: 0, failures: 0, repolls: 0 };
  const wsFailureLimit = options.websocketFailuresBeforePolling ?? 5;
  const wsRetryAfterMs = options.websocketRetryAfterMs ?? 300_000;
  /** ms since epoch until which the feed polls although the source has a websocket */
  let pollingUntil = 0;
  const websocket = () => (source.watchTickers && now() >= pollingUntil ? source.watchTickers : undefined);
  let closed = false;
  let stale = false;
  let lastTickAt = 0;
  /** when the current episode of "someone is subscribed" began (staleness counts from it) */
  let watchingSince = 0;
  let wake: (() => void) | undefined;
  let symbolsChanged: (() => void) | undefined;
  let sleepTimer: NodeJS.Timeout | undefined;
  let repolling: Promise<void> | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      sleepTimer = setTimeout(resolve, ms);
    });

  const deliverOne = (key: string, ticker: RawTicker, received: number, streamed: boolean): boolean => {
    const symbol = ticker.symbol ?? key;
    const listeners = subscribers.get(symbol);
    if (delivered.get(symbol) === ticker) return false;
    const price = ticker.last ?? ticker.close;
    if (price === undefined || !(price > 0)) return false;
    const tick: Tick = { symbol, price, time: ticker.timestamp ?? received };
    last.set(symbol, tick);
    lastTickAt = received;
    if (!listeners) return true;
    delivered.set(symbol, ticker);
    pricedAt.set(symbol, received);
    if (streamed) streamedAt.set(symbol, received);
    for (const listener of listeners) {
      stats.ticksDelivered += 1;
      try {
        listener(tick);
      } catch {
        // one failing subscriber never stops the feed for the others
      }
    }
    return true;
  };

  const deliver = (tickers: Record<string, RawTicker>, streamed: boolean) => {
    stats.updates += 1;
    const received = now();
    for (const [key, ticker] of Object.entries(tickers)) deliverOne(key, ticker, received, streamed);
    setStale(false);
  };

  /** delivers what the websocket cached since the last delivery (updates that came between two watch calls) */
  const drain = () => {
    const cache = source.cachedTickers?.();
    if (!cache) return;
    const received = now();
    let any = false;
    for (const symbol of subscribers.keys()) {
      const ticker = cache[symbol];
      if (ticker && deliverOne(symbol, ticker, received, true)) any = true;
    }
    if (any) setStale(false);
  };

  const setStale = (value: boolean) => {
    if (value === stale) return;
    stale = value;
    const event: StaleEvent = { stale, lastTickAt };
    for (const listener of staleListeners) listener(event);
  };

  const quietSymbols = (): string[] => {
    if (!websocket()) return [];
    const limit = now() - symbolStaleAfterMs;
    return [...streamedAt].filter(([, at]) => at < limit).map(([symbol]) => symbol);
  };

  /** one batched REST request for the symbols the stream left quiet whose price is older than the limit */
  const repoll = () => {
    if (repolling || closed) return;
    const limit = now() - symbolStaleAfterMs;
    const due = quietSymbols().filter((symbol) => (pricedAt.get(symbol) ?? 0) < limit);
    if (due.length === 0) return;
    stats.repolls += 1;
    repolling = source
      .fetchTickers(due)
      .then((tickers) => {
        if (!closed) deliver(tickers, false);
      })
      .catch((error: unknown) => {
        if (!closed) options.onError?.(toExchangeError(error), 0);
      })
      .finally(() => (repolling = undefined));
  };

  const staleTimer = setInterval(() => {
    if (subscribers.size === 0) return;
    const since = Math.max(lastTickAt, watchingSince);
    if (now() - since > staleAfterMs) setStale(true);
    repoll();
  }, Math.max(10, Math.min(1_000, staleAfterMs / 4, symbolStaleAfterMs / 4)));
  staleTimer.unref?.();

  const loop = async () => {
    let failures = 0;
    let watching = false;
    while (!closed) {
      const symbols = [...subscribers.keys()];
      if (symbols.length === 0) {
        if (watching) {
          // nobody listens: no websocket stays open
          watching = false;
          await source.unwatchAll?.().catch(() => undefined);
          continue;
        }
        await sleep(pollIntervalMs);
        continue;
      }
      const watch = websocket();
      try {
        if (watch) {
          // a websocket wait can last long on a quiet market: a changed symbol set restarts it
          const changed = new Promise<undefined>((resolve) => (symbolsChanged = () => resolve(undefined)));
          drain();
          const pending = watch(symbols);
          watching = true;
          const tickers = await Promise.race([pending, changed]);
          if (tickers === undefined) {
            pending.catch(() => undefined);
            continue;
          }
          deliver(tickers, true);
          drain();
          // never starve the event loop, whatever the source does
          await new Promise((resolve) => setImmediate(resolve));
        } else {
          deliver(await source.fetchTickers(symbols), false);
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

  const symbolSetChanged = () => {
    wake?.();
    symbolsChanged?.();
    if (sleepTimer) clearTimeout(sleepTimer);
  };

  return {
    exchange: options.exchange,
    subscribe(symbol, onTick) {
      let set = subscribers.get(symbol);
      if (!set) {
        if (subscribers.size === 0) watchingSince = now();
        set = new Set();
        subscribers.set(symbol, set);
        streamedAt.set(symbol, now());
        symbolSetChanged(); // a new symbol is fetched at once, not after the current pause
      }
      const listener = (tick: Tick) => onTick(tick);
      set.add(listener);
      return () => {
        const current = subscribers.get(symbol);
        if (!current?.delete(listener) || current.size > 0) return;
        subscribers.delete(symbol);
        streamedAt.delete(symbol);
        pricedAt.delete(symbol);
        delivered.delete(symbol);
        symbolSetChanged(); // the stream of a symbol nobody watches is dropped
      };
    },
    lastTick: (symbol) => last.get(symbol),
    isStale: () => stale,
    onStale(listener) {
      staleListeners.add(listener);
      return () => staleListeners.delete(listener);
    },
    staleSymbols: (): StaleSymbol[] => quietSymbols().map((symbol) => ({ symbol, lastStreamAt: streamedAt.get(symbol) ?? 0, lastPriceAt: pricedAt.get(symbol) })),
    stats: () => ({ ...stats, transport: websocket() ? 'websocket' : 'polling' }),
    symbols: () => [...subscribers.keys()],
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(staleTimer);
      if (sleepTimer) clearTimeout(sleepTimer);
      wake?.();
      symbolsChanged?.(); // ends a websocket wait even if the source never answers
      await source.close?.().catch(() => undefined);
      await running;
      await repolling;
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
