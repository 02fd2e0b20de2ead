/**
 * Real ccxt `kraken` (spot and spot margin) against the Kraken spot emulator: EXCHANGE_OPTIONS
 * point Kraken's public and private REST at it (the `kraken` entry configures the spot class).
 */
import type { KrakenSpotEmulator } from '../emulators/exchange/kraken-server.ts';

/** EXCHANGE_OPTIONS for the emulator (short ccxt timeout; ccxt's own throttle off, as in the other venue tests) */
export function krakenSpotOptions(emulator: KrakenSpotEmulator, timeout = 2_000) {
  return { kraken: { timeout, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } };
}

export function krakenSpotCredentials(emulator: KrakenSpotEmulator) {
  return { apiKey: emulator.apiKey, secret: emulator.secret };
}
