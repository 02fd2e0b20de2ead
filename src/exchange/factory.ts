/**
 * Builds an ExchangePort for an account: the ccxt adapter for live keys, the paper exchange for
 * paper accounts. ccxt constructor options are layered: quirks for the mode, then the
 * EXCHANGE_OPTIONS entry of the exchange (proxy, host, timeouts, urls), then the credentials.
 * Markets load once per exchange and mode and are shared by every account.
 */
import ccxt from 'ccxt';
import type { Exchange, Market as CcxtMarket } from 'ccxt';
import { CcxtExchange, type CcxtAdapterDeps, type MarketCache } from './ccxt-adapter.ts';
import { deepMerge, type ExchangeOptions } from './options.ts';
import { ExchangeError, type ExchangeAccount, type ExchangeCredentials, type ExchangeId, type ExchangePort, type TradingMode } from './port.ts';
import { quirksFor } from './quirks/index.ts';
import { signedBudget } from './rate-limits.ts';
import type { RetryDeps, RetryPolicy } from './retry.ts';

export interface CcxtClientRequest {
  exchange: ExchangeId;
  mode: TradingMode;
  /** parsed EXCHANGE_OPTIONS */
  options?: ExchangeOptions;
  credentials?: ExchangeCredentials;
  /** the websocket-capable class from ccxt.pro */
  pro?: boolean;
  /**
   * one request budget per exchange for public data (exchanges limit it per IP); an instance with
   * credentials keeps its own for its signed calls where the exchange limits them per key
   * (rate-limits.ts)
   */
  throttles?: ThrottleShare;
}

/** ccxt's rate limiter is per instance; this hands the REST instances of an exchange that share a budget the same one. */
export interface ThrottleShare {
  adopt(className: string, client: Exchange): void;
}

export function createThrottleShare(): ThrottleShare {
  const throttlers = new Map<string, unknown>();
  return {
    adopt(className, client) {
      const holder = client as unknown as { throttler: unknown };
      const shared = throttlers.get(className);
      if (shared) holder.throttler = shared;
      else throttlers.set(className, holder.throttler);
    },
  };
}

/** A configured ccxt instance (REST or pro). `sandbox: true` in the options selects the testnet. */
export function createCcxtClient(request: CcxtClientRequest): Exchange {
  const quirks = quirksFor(request.exchange);
  const className = quirks.ccxtClass(request.mode);
  const { sandbox, ...userOptions } = request.options?.[request.exchange] ?? {};
  let config = deepMerge({ enableRateLimit: true, options: quirks.constructorOptions(request.mode) }, userOptions);
  if (request.credentials) {
    const { apiKey, secret, password } = request.credentials;
    config = { ...config, apiKey, secret, ...(password !== undefined ? { password } : {}) };
  }
  const registry = (request.pro ? ccxt.pro : ccxt) as unknown as Record<string, new (config: Record<string, unknown>) => Exchange>;
  const Class = registry[className];
  if (!Class) throw new ExchangeError('NOT_SUPPORTED', { message: `ccxt has no ${request.pro ? 'websocket ' : ''}class ${className}.` });
  const client = new Class(config);
  quirks.prepareClient?.(client, request.mode);
  const budget = signedBudget(className, request.exchange);
  if (request.credentials && budget.scope === 'key') {
    // the account's own budget, sized by the exchange's documented per-key limit
    if (budget.tokenBucket) {
      const configured = client as unknown as { tokenBucket: Record<string, unknown>; initThrottler(): void };
      configured.tokenBucket = { ...configured.tokenBucket, ...budget.tokenBucket };
      configured.initThrottler();
    }
  } else {
    request.throttles?.adopt(className, client);
  }
  if (sandbox === true) {
    const testnet = quirks.testnet(request.mode);
    if (testnet === 'none') throw new ExchangeError('NOT_SUPPORTED', { message: `${request.exchange} ${request.mode} has no testnet; remove "sandbox" from EXCHANGE_OPTIONS.${request.exchange} or use paper trading.` });
    if (testnet === 'demo') client.enableDemoTrading(true);
    else client.setSandboxMode(true);
  }
  return client;
}

export function createMarketCache(): MarketCache {
  const entries = new Map<string, Promise<Record<string, CcxtMarket>>>();
  return {
    get(key, load) {
      let entry = entries.get(key);
      if (!entry) {
        entry = load();
        entries.set(key, entry);
        entry.catch(() => entries.delete(key));
      }
      return entry;
    },
  };
}

export interface ExchangeFactoryDeps {
  options?: ExchangeOptions;
  retryPolicy?: RetryPolicy;
  retryDeps?: RetryDeps;
  onRetry?: CcxtAdapterDeps['onRetry'];
  /** latest shared-feed price for (exchange, symbol) */
  priceHint?: (exchange: ExchangeId, symbol: string) => number | undefined;
  /** builds the paper exchange for a paper account (runtime.ts wires it) */
  paper?: (account: ExchangeAccount) => ExchangePort;
  /** shared market metadata cache (default: one per factory) */
  marketCache?: MarketCache;
  /** shared request budgets (default: one per factory) */
  throttles?: ThrottleShare;
}

export interface ExchangeFactory {
  /** the port for an account; live accounts must carry credentials (okx and bitget with a passphrase) */
  create(account: ExchangeAccount): ExchangePort;
}

export function createExchangeFactory(deps: ExchangeFactoryDeps = {}): ExchangeFactory {
  const marketCache = deps.marketCache ?? createMarketCache();
  const throttles = deps.throttles ?? createThrottleShare();
  return {
    create(account) {
      const quirks = quirksFor(account.exchange);
      if (!quirks) throw new ExchangeError('NOT_SUPPORTED', { message: `Unsupported exchange ${String(account.exchange)}.` });
      if (!quirks.modes.includes(account.mode)) throw new ExchangeError('NOT_SUPPORTED', { message: `${account.exchange} does not support ${account.mode} mode.` });
      if (account.paper) {
        if (!deps.paper) throw new ExchangeError('NOT_SUPPORTED', { message: 'Paper trading is not configured.' });
        return deps.paper(account);
      }
      const credentials = account.credentials;
      if (!credentials?.apiKey || !credentials.secret) throw new ExchangeError('AUTH_FAILED', { message: `An API key and secret are needed to trade on ${account.exchange}.` });
      if (quirks.needsPassword && !credentials.password) throw new ExchangeError('AUTH_FAILED', { message: `${account.exchange} API keys need their passphrase.` });
      const exchange = createCcxtClient({ exchange: account.exchange, mode: account.mode, credentials, throttles, ...(deps.options ? { options: deps.options } : {}) });
      const adapterDeps: CcxtAdapterDeps = { account, exchange, quirks, marketCache };
      if (deps.retryPolicy) adapterDeps.retryPolicy = deps.retryPolicy;
      if (deps.retryDeps) adapterDeps.retryDeps = deps.retryDeps;
      if (deps.onRetry) adapterDeps.onRetry = deps.onRetry;
      const { priceHint } = deps;
      if (priceHint) adapterDeps.priceHint = (symbol) => priceHint(account.exchange, symbol);
      return new CcxtExchange(adapterDeps);
    },
  };
}
