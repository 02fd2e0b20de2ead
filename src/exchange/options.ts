/**
 * EXCHANGE_OPTIONS (SPEC §8): a JSON object keyed by exchange id whose values are merged
 * (deeply) into that exchange's ccxt constructor options — proxy, sandbox/testnet, another host,
 * timeouts, urls. Example:
 *   {"binance":{"sandbox":true},"okx":{"hostname":"eea.okx.com"},"bybit":{"httpsProxy":"http://10.0.0.2:3128"}}
 * Two keys are ours, not ccxt's, and are removed before the merge:
 *   sandbox: true → the exchange's testnet (ccxt setSandboxMode, or Binance futures demo trading);
 *   apiKey/secret/password are refused: credentials belong to a user's account, not to config.
 */
import { z } from 'zod';
import { EXCHANGE_IDS, type ExchangeId } from './port.ts';

const perExchange = z
  .record(z.string(), z.unknown())
  .refine((value) => !['apiKey', 'secret', 'password', 'uid', 'privateKey'].some((key) => key in value), {
    message: 'credentials do not belong in EXCHANGE_OPTIONS; they come from the user account',
  });

export const exchangeOptionsSchema = z
  .record(z.string(), perExchange)
  .refine((value) => Object.keys(value).every((key) => (EXCHANGE_IDS as readonly string[]).includes(key)), {
    message: `keys must be exchange ids: ${EXCHANGE_IDS.join(', ')}`,
  });

export type ExchangeOptions = Partial<Record<ExchangeId, Record<string, unknown>>>;

/** Parses the EXCHANGE_OPTIONS string (unset or empty → {}); throws with a message naming the variable. */
export function parseExchangeOptions(raw: string | undefined): ExchangeOptions {
  if (raw === undefined || raw.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`EXCHANGE_OPTIONS is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = exchangeOptionsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`EXCHANGE_OPTIONS is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data as ExchangeOptions;
}

/** Deep merge of plain objects; arrays and other values of `over` replace those of `base`. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
