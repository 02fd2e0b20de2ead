/**
 * What the connect dialog offers: exchanges, the modes each supports here, and which credentials
 * each asks for. Presentation data; the exchange layer's quirks decide how they trade.
 */
import type { ExchangeId, MarginMode, TradingMode } from '../exchange/port.ts';
import { quirksFor } from '../exchange/quirks/index.ts';

export interface ExchangeChoice {
  id: ExchangeId;
  name: string;
  modes: readonly TradingMode[];
  needsPassphrase: boolean;
  /** the exchange tells whether a key may withdraw (then such keys are refused) */
  reportsWithdrawPermission: boolean;
}

export const EXCHANGE_CHOICES: readonly ExchangeChoice[] = [
  { id: 'binance', name: 'Binance', modes: ['spot', 'margin', 'futures'], needsPassphrase: false, reportsWithdrawPermission: true },
  { id: 'kraken', name: 'Kraken', modes: ['spot', 'futures'], needsPassphrase: false, reportsWithdrawPermission: false },
  { id: 'bybit', name: 'Bybit', modes: ['spot', 'futures'], needsPassphrase: false, reportsWithdrawPermission: false },
  { id: 'okx', name: 'OKX', modes: ['spot', 'margin', 'futures'], needsPassphrase: true, reportsWithdrawPermission: false },
  { id: 'bitget', name: 'Bitget', modes: ['spot', 'margin', 'futures'], needsPassphrase: true, reportsWithdrawPermission: false },
];

/** Paper trading runs on this exchange's public prices. */
export const PAPER_PRICE_SOURCE: ExchangeId = 'binance';
export const PAPER_MODES: readonly TradingMode[] = ['spot', 'margin', 'futures'];

export const MODE_LABELS: Record<TradingMode, string> = {
  spot: 'Spot (long only, no leverage)',
  margin: 'Margin (long and short, borrowing)',
  futures: 'Futures (perpetuals, long and short)',
};

/** Margin modes an account of this exchange and mode can trade, the exchange's default first (its quirks file says). */
export function marginModesOf(exchange: ExchangeId, mode: TradingMode): readonly MarginMode[] {
  return quirksFor(exchange).marginModes(mode);
}

export const MARGIN_MODE_LABELS: Record<MarginMode, string> = {
  cross: 'Cross (the whole wallet backs every position)',
  isolated: 'Isolated (each position risks only its own margin)',
};

export function exchangeChoice(id: string): ExchangeChoice | undefined {
  return EXCHANGE_CHOICES.find((e) => e.id === id);
}

/** A plausible API key / secret / passphrase: printable, no spaces, sane length. */
export function credentialProblem(value: string, what: 'API key' | 'secret' | 'passphrase'): string | undefined {
  const v = value.trim();
  if (v.length === 0) return `The ${what} is empty.`;
  if (/\s/.test(v)) return `The ${what} must not contain spaces or line breaks.`;
  const min = what === 'passphrase' ? 1 : 8;
  if (v.length < min) return `That is too short for a ${what} (at least ${min} characters).`;
  if (v.length > 512) return `That is too long for a ${what} (at most 512 characters).`;
  return undefined;
}
