/**
 * What the engine needs from its surroundings, as small interfaces: a logger (pino fits), the
 * exchange of an account, the shared market-data feed of an exchange.
 */
import type { ExchangePort, MarketDataFeed, TradingMode } from '../exchange/port.ts';

export interface EngineLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLogger: EngineLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** The exchange port of one of our accounts (api_keys.id); cached and shared by the engine. */
export interface AccountExchanges {
  forAccount(accountId: string): Promise<ExchangePort>;
  /** drop a cached port (after the account changed) */
  forget(accountId: string): Promise<void>;
  closeAll(): Promise<void>;
}

/**
 * The one shared feed of an exchange for a mode's markets (spot and margin share the spot feed;
 * paper accounts watch the same public prices): `(e, m) => runtime.feedFor(e, m)`.
 */
export type FeedProvider = (exchange: string, mode: TradingMode) => MarketDataFeed | undefined;

/** The feed a position's prices come from. */
export function feedOf(feeds: FeedProvider, p: { exchange: string; state: { mode: TradingMode } }): MarketDataFeed | undefined {
  return feeds(p.exchange, p.state.mode);
}
