/**
 * What the engine needs from its surroundings, as small interfaces: a logger (pino fits), the
 * exchange of an account, the shared market-data feed of an exchange.
 */
import type { ExchangePort, MarketDataFeed } from '../exchange/port.ts';

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

/** The one shared feed of an exchange (paper accounts watch the same public prices). */
export type FeedProvider = (exchange: string) => MarketDataFeed | undefined;
