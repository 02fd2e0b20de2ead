/**
 * Real ccxt against the Binance emulator: the adapter is built by the production factory, with
 * EXCHANGE_OPTIONS pointing every Binance API at the emulator and a short ccxt timeout.
 */
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import type { ExchangeAccount, ExchangePort, TradingMode } from '../../src/exchange/port.ts';
import type { RetryDeps } from '../../src/exchange/retry.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import type { EmulatorMarket } from '../emulators/exchange/binance-book.ts';

export interface Harness {
  emulator: BinanceEmulator;
  exchange: ExchangePort;
  /** backoff waits requested by the retry logic, ms */
  waits: number[];
  close(): Promise<void>;
}

/** ccxt timeout in the tests, ms: short, so timeout faults stay fast */
export const TEST_TIMEOUT_MS = 400;

export async function startHarness(mode: TradingMode, options: { markets?: EmulatorMarket[]; account?: Partial<ExchangeAccount> } = {}): Promise<Harness> {
  const emulator = await startBinanceEmulator(options.markets ? { markets: options.markets } : {});
  const waits: number[] = [];
  const retryDeps: RetryDeps = {
    // waits are recorded, and honoured only up to 20 ms so tests stay fast
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20)));
    },
    random: () => 0.5,
  };
  const factory = createExchangeFactory({
    options: { binance: { timeout: TEST_TIMEOUT_MS, urls: { api: emulator.ccxtApiUrls() } } },
    retryDeps,
    retryPolicy: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 },
  });
  const exchange = factory.create({
    exchange: 'binance',
    mode,
    credentials: { apiKey: emulator.apiKey, secret: emulator.secret },
    ...options.account,
  });
  return {
    emulator,
    exchange,
    waits,
    async close() {
      await exchange.close();
      await emulator.close();
    },
  };
}
