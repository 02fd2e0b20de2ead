/**
 * Real ccxt against the Bybit v5 emulator: the adapter is built by the production factory, with
 * EXCHANGE_OPTIONS pointing every Bybit API at the emulator and a short ccxt timeout.
 */
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import type { ExchangeAccount, ExchangePort, TradingMode } from '../../src/exchange/port.ts';
import type { RetryDeps, RetryPolicy } from '../../src/exchange/retry.ts';
import { startBybitEmulator, type BybitEmulator } from '../emulators/exchange/bybit-server.ts';

export interface BybitHarness {
  emulator: BybitEmulator;
  exchange: ExchangePort;
  /** another account instance on the same emulator (a restart, or a second bot process) */
  reconnect(account?: Partial<ExchangeAccount>): ExchangePort;
  /** backoff waits requested by the retry logic, ms */
  waits: number[];
  close(): Promise<void>;
}

/** fast retries: waits are recorded and honoured up to 5 ms */
export function fastRetries(waits: number[] = []): { retryDeps: RetryDeps; retryPolicy: RetryPolicy } {
  return {
    retryDeps: { sleep: (ms) => (waits.push(ms), new Promise<void>((r) => setTimeout(r, Math.min(ms, 5)))), random: () => 0.5 },
    retryPolicy: { attempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 100 },
  };
}

/** the production factory with EXCHANGE_OPTIONS.bybit aimed at the emulator */
export function bybitFactory(emulator: BybitEmulator, waits: number[] = []) {
  return createExchangeFactory({ options: { bybit: { timeout: 2_000, urls: { api: emulator.ccxtApiUrls() } } }, ...fastRetries(waits) });
}

export async function startBybitHarness(mode: TradingMode, options: { account?: Partial<ExchangeAccount>; usdt?: number; price?: number } = {}): Promise<BybitHarness> {
  const emulator = await startBybitEmulator();
  emulator.book.addCoin('USDT', options.usdt ?? 10_000);
  emulator.setPrice('BTCUSDT', options.price ?? 50_000);
  const waits: number[] = [];
  const factory = bybitFactory(emulator, waits);
  const open: ExchangePort[] = [];
  const reconnect = (account: Partial<ExchangeAccount> = {}) => {
    const port = factory.create({ exchange: 'bybit', mode, credentials: { apiKey: emulator.apiKey, secret: emulator.secret }, ...options.account, ...account });
    open.push(port);
    return port;
  };
  const exchange = reconnect();
  return {
    emulator,
    exchange,
    reconnect,
    waits,
    async close() {
      for (const port of open) await port.close();
      await emulator.close();
    },
  };
}
