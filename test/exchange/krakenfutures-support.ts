/**
 * Real ccxt `krakenfutures` against the Kraken Futures emulator: the adapter is built by the
 * production factory, with EXCHANGE_OPTIONS pointing Kraken's futures APIs at the emulator.
 */
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import type { ExchangeAccount, ExchangePort } from '../../src/exchange/port.ts';
import type { RetryDeps, RetryPolicy } from '../../src/exchange/retry.ts';
import { startKrakenFuturesEmulator, type KrakenFuturesEmulator } from '../emulators/exchange/krakenfutures-server.ts';

export interface KrakenFuturesHarness {
  emulator: KrakenFuturesEmulator;
  exchange: ExchangePort;
  /** backoff waits requested by the retry logic, ms */
  waits: number[];
  /** another port on the same emulator (another key, another account) */
  port(account?: Partial<ExchangeAccount>): ExchangePort;
  close(): Promise<void>;
}

/** ccxt timeout in these tests, ms: room for a loaded machine (no test here waits for a timeout) */
export const KRAKEN_TEST_TIMEOUT_MS = 2_000;

export const RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

export function fastRetry(waits: number[] = []): RetryDeps {
  // waits are recorded, and honoured only up to 10 ms so tests stay fast
  return { sleep: (ms) => (waits.push(ms), new Promise((resolve) => setTimeout(resolve, Math.min(ms, 10)))), random: () => 0.5 };
}

/** EXCHANGE_OPTIONS for the emulator (the `kraken` entry configures the krakenfutures class too) */
export function krakenFuturesOptions(emulator: KrakenFuturesEmulator, timeout = KRAKEN_TEST_TIMEOUT_MS) {
  return { kraken: { timeout, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } };
}

export async function startKrakenFutures(collateral: Record<string, number> = { USD: 10_000 }): Promise<KrakenFuturesHarness> {
  const emulator = await startKrakenFuturesEmulator();
  emulator.book.collateral.clear();
  for (const [code, quantity] of Object.entries(collateral)) emulator.book.collateral.set(code, quantity);
  const waits: number[] = [];
  const factory = createExchangeFactory({ options: krakenFuturesOptions(emulator), retryDeps: fastRetry(waits), retryPolicy: RETRY_POLICY });
  const port = (account: Partial<ExchangeAccount> = {}) =>
    factory.create({ exchange: 'kraken', mode: 'futures', marginMode: 'isolated', credentials: { apiKey: emulator.apiKey, secret: emulator.secret }, ...account });
  const exchange = port();
  return {
    emulator,
    exchange,
    waits,
    port,
    async close() {
      await exchange.close();
      await emulator.close();
    },
  };
}
