/**
 * The exchange layer wired for the composition root: one factory for every account (live →
 * ccxt adapter, paper → paper exchange), one shared market-data feed per exchange and market
 * type, shared market metadata. Public data (prices, markets) needs no API key.
 *
 *   const exchanges = createExchangeRuntime({ options: parseExchangeOptions(env.EXCHANGE_OPTIONS),
 *     paper: { store: repos.paperStore, settings: { startBalance, feeRate, slippage } } });
 *   const port = exchanges.create(account);          // ExchangePort
 *   exchanges.feedFor('binance', 'futures').subscribe('BTC/USDT:USDT', onTick);
 *   await exchanges.close();
 */
import { CcxtExchange } from './ccxt-adapter.ts';
import { createCcxtClient, createExchangeFactory, createMarketCache, createThrottleShare, type ExchangeFactoryDeps } from './factory.ts';
import { ccxtTickerSource, createFeedRegistry, createMarketDataFeed, type MarketDataFeedOptions } from './market-data.ts';
import type { ExchangeOptions } from './options.ts';
import { feedPriceSource, PaperExchange, type PaperSettings } from './paper.ts';
import type { PaperStore } from './paper-store.ts';
import { ExchangeError, type Candle, type CandleTimeframe, type ExchangeAccount, type ExchangeId, type ExchangePort, type Market, type MarketDataFeed, type TradingMode } from './port.ts';
import { quirksFor } from './quirks/index.ts';
import type { RetryDeps, RetryPolicy } from './retry.ts';

export interface ExchangeRuntimeDeps {
  /** parsed EXCHANGE_OPTIONS */
  options?: ExchangeOptions;
  paper?: { store: PaperStore; settings?: Partial<PaperSettings> };
  feed?: Pick<MarketDataFeedOptions, 'pollIntervalMs' | 'staleAfterMs' | 'symbolStaleAfterMs' | 'reconnect' | 'onError'> & {
    /** use ccxt.pro websockets where the exchange has watchTickers (default true) */
    websocket?: boolean;
  };
  /** a replay (or any) feed replacing live prices for every exchange: offline paper sessions, demos */
  priceFeed?: MarketDataFeed;
  retryPolicy?: RetryPolicy;
  retryDeps?: RetryDeps;
  onRetry?: ExchangeFactoryDeps['onRetry'];
}

export interface ExchangeRuntime {
  create(account: ExchangeAccount): ExchangePort;
  /** the one shared feed of an exchange for a mode's markets (spot and margin share the spot feed) */
  feedFor(exchange: ExchangeId, mode: TradingMode): MarketDataFeed;
  /**
   * The shared keyless port of an exchange and mode, for public data only (markets, prices,
   * fetchCandles); signed calls on it fail with AUTH_FAILED. Closed by close().
   */
  publicPort(exchange: ExchangeId, mode: TradingMode): ExchangePort;
  close(): Promise<void>;
}

const feedKey = (exchange: ExchangeId, mode: TradingMode) => (mode === 'futures' ? `${exchange}:futures` : `${exchange}:spot`);

export function createExchangeRuntime(deps: ExchangeRuntimeDeps = {}): ExchangeRuntime {
  const publicPorts = new Map<string, CcxtExchange>();
  const priceSources: Array<{ close(): void }> = [];
  const marketCache = createMarketCache();
  const throttles = createThrottleShare();

  const feeds = createFeedRegistry((key) => {
    const [exchange, type] = key.split(':') as [ExchangeId, 'spot' | 'futures'];
    const websocket = deps.feed?.websocket !== false;
    const client = createCcxtClient({ exchange, mode: type, pro: websocket, throttles, ...(deps.options ? { options: deps.options } : {}) });
    return createMarketDataFeed({ ...deps.feed, exchange: key, source: ccxtTickerSource(client, { websocket }) });
  });
  const feedFor = (exchange: ExchangeId, mode: TradingMode): MarketDataFeed => deps.priceFeed ?? feeds.feedFor(feedKey(exchange, mode));

  /** keyless adapter for an exchange's public data (markets, candles), one per exchange and mode */
  const publicPort = (exchange: ExchangeId, mode: TradingMode): CcxtExchange => {
    const key = `${exchange}:${mode}`;
    let port = publicPorts.get(key);
    if (!port) {
      const client = createCcxtClient({ exchange, mode, throttles, ...(deps.options ? { options: deps.options } : {}) });
      port = new CcxtExchange({
        account: { exchange, mode },
        exchange: client,
        quirks: quirksFor(exchange),
        marketCache,
        ...(deps.retryPolicy ? { retryPolicy: deps.retryPolicy } : {}),
        ...(deps.retryDeps ? { retryDeps: deps.retryDeps } : {}),
        ...(deps.onRetry ? { onRetry: deps.onRetry } : {}),
      });
      publicPorts.set(key, port);
    }
    return port;
  };
  const publicMarkets = (exchange: ExchangeId, mode: TradingMode) => {
    const port = publicPort(exchange, mode);
    return (): Promise<Readonly<Record<string, Market>>> => port.loadMarkets();
  };

  const publicCandles = (exchange: ExchangeId, mode: TradingMode) => {
    const port = publicPort(exchange, mode);
    return (symbol: string, timeframe: CandleTimeframe, limit: number): Promise<Candle[]> => port.fetchCandles(symbol, timeframe, limit);
  };

  const factoryDeps: ExchangeFactoryDeps = {
    marketCache,
    throttles,
    priceHint: (exchange, symbol) => {
      const feed = deps.priceFeed ?? feeds.existing(feedKey(exchange, symbol.includes(':') ? 'futures' : 'spot'));
      return feed && !feed.isStale() ? feed.lastTick(symbol)?.price : undefined;
    },
    paper: (account) => {
      if (!deps.paper) throw new ExchangeError('NOT_SUPPORTED', { message: 'Paper trading is not configured.' });
      if (!account.accountId) throw new ExchangeError('NOT_SUPPORTED', { message: 'A paper account needs its account id.' });
      const price = feedPriceSource(feedFor(account.exchange, account.mode));
      priceSources.push(price);
      return new PaperExchange({
        account: { ...account, accountId: account.accountId },
        store: deps.paper.store,
        price,
        ...(deps.priceFeed ? {} : { markets: publicMarkets(account.exchange, account.mode), candles: publicCandles(account.exchange, account.mode) }),
        ...(deps.paper.settings ? { settings: deps.paper.settings } : {}),
      });
    },
  };
  if (deps.options) factoryDeps.options = deps.options;
  if (deps.retryPolicy) factoryDeps.retryPolicy = deps.retryPolicy;
  if (deps.retryDeps) factoryDeps.retryDeps = deps.retryDeps;
  if (deps.onRetry) factoryDeps.onRetry = deps.onRetry;
  const factory = createExchangeFactory(factoryDeps);

  return {
    create: (account) => factory.create(account),
    feedFor,
    publicPort,
    async close() {
      for (const source of priceSources) source.close();
      await feeds.closeAll();
      await Promise.all([...publicPorts.values()].map((port) => port.close()));
      publicPorts.clear();
    },
  };
}
