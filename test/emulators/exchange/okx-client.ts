/**
 * A real ccxt `okx` client pointed at the OKX emulator, configured as the production quirks do
 * (the mode's market type only), for the emulator's own tests.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { OkxEmulator } from './okx-server.ts';

export function okxClient(emulator: OkxEmulator, kind: 'spot' | 'swap', credentials: { apiKey?: string; secret?: string; password?: string } = {}): Exchange {
  return new ccxt.okx({
    apiKey: credentials.apiKey ?? emulator.apiKey,
    secret: credentials.secret ?? emulator.secret,
    password: credentials.password ?? emulator.passphrase,
    timeout: 2_000,
    enableRateLimit: false,
    options: { defaultType: kind, fetchMarkets: { types: [kind] } },
    urls: { api: emulator.ccxtApiUrls() },
  });
}
