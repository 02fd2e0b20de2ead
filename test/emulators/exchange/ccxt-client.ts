/**
 * Real ccxt clients pointed at the Binance emulator, configured as the production quirks do
 * (no currencies or margin pair lists, only the mode's market types), for the emulator's own tests.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { BinanceEmulator } from './binance-server.ts';

export type ClientKind = 'spot' | 'margin' | 'futures';

export function ccxtClient(emulator: BinanceEmulator, kind: ClientKind, timeoutMs = 2_000): Exchange {
  const options = {
    defaultType: kind === 'futures' ? 'future' : kind,
    fetchCurrencies: false,
    fetchMargins: false,
    fetchMarkets: { types: kind === 'futures' ? ['linear'] : ['spot'] },
  };
  const config = { apiKey: emulator.apiKey, secret: emulator.secret, timeout: timeoutMs, enableRateLimit: false, options, urls: { api: emulator.ccxtApiUrls() } };
  return kind === 'futures' ? new ccxt.binanceusdm(config) : new ccxt.binance(config);
}
