/**
 * Real ccxt against the OKX emulator: the adapter built by the production factory, with
 * EXCHANGE_OPTIONS pointing OKX's REST and websocket URLs at the emulator.
 */
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import type { ExchangeAccount, ExchangePort, TradingMode } from '../../src/exchange/port.ts';
import { startOkxEmulator, type OkxEmulator } from '../emulators/exchange/okx-server.ts';

export interface OkxHarness {
  emulator: OkxEmulator;
  exchange: ExchangePort;
  close(): Promise<void>;
}

/** EXCHANGE_OPTIONS for an OKX emulator (short ccxt timeout) */
export function okxOptions(emulator: OkxEmulator, timeout = 2_000) {
  return { okx: { timeout, urls: { api: emulator.ccxtApiUrls() } } };
}

export const fastRetry = {
  retryDeps: { sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))), random: () => 0.5 },
  retryPolicy: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 100 },
};

export function okxCredentials(emulator: OkxEmulator) {
  return { apiKey: emulator.apiKey, secret: emulator.secret, password: emulator.passphrase };
}

export async function startOkxHarness(mode: TradingMode, account: Partial<ExchangeAccount> = {}): Promise<OkxHarness> {
  const emulator = await startOkxEmulator();
  const factory = createExchangeFactory({ options: okxOptions(emulator), ...fastRetry });
  const exchange = factory.create({ exchange: 'okx', mode, credentials: okxCredentials(emulator), ...account });
  return {
    emulator,
    exchange,
    async close() {
      await exchange.close();
      await emulator.close();
    },
  };
}
