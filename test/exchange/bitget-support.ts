/**
 * Real ccxt against the Bitget v2 emulator: the adapter built by the production factory, with
 * EXCHANGE_OPTIONS pointing every Bitget API group at the emulator and a short ccxt timeout.
 */
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import type { ExchangeAccount, ExchangePort, TradingMode } from '../../src/exchange/port.ts';
import type { RetryDeps } from '../../src/exchange/retry.ts';
import { startBitgetEmulator, type BitgetEmulator } from '../emulators/exchange/bitget-server.ts';

export interface BitgetHarness {
  emulator: BitgetEmulator;
  exchange: ExchangePort;
  close(): Promise<void>;
}

/** Factory options that point ccxt bitget at the emulator (also used by the engine tests). */
export function bitgetFactory(emulator: BitgetEmulator, timeoutMs = 2_000) {
  const retryDeps: RetryDeps = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5))), random: () => 0.5 };
  return createExchangeFactory({
    options: { bitget: { timeout: timeoutMs, urls: { api: emulator.ccxtApiUrls() } } },
    retryDeps,
    retryPolicy: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 100 },
  });
}

export function bitgetCredentials(emulator: BitgetEmulator) {
  return { apiKey: emulator.apiKey, secret: emulator.secret, password: emulator.passphrase };
}

export async function startBitgetHarness(mode: TradingMode, account: Partial<ExchangeAccount> = {}): Promise<BitgetHarness> {
  const emulator = await startBitgetEmulator();
  const exchange = bitgetFactory(emulator, 1_000).create({ exchange: 'bitget', mode, credentials: bitgetCredentials(emulator), ...account });
  return {
    emulator,
    exchange,
    async close() {
      await exchange.close();
      await emulator.close();
    },
  };
}
