/** One name per account, wherever the trader sees it: "Binance futures ·1234", "Paper Kraken spot". */
import type { AccountRecord } from '../db/repos/accounts.ts';
import { EXCHANGE_IDS, exchangeName, quirksFor } from '../exchange/quirks/index.ts';
import type { ExchangeId, TradingMode } from '../exchange/port.ts';
import { marketSymbol } from './market-symbol.ts';
import { splitSymbol } from './fills.ts';

export function accountLabel(account: Pick<AccountRecord, 'exchange' | 'mode' | 'isPaper' | 'apiKeyHint' | 'marginMode'>): string {
  const exchange = exchangeName(account.exchange);
  const margin = account.marginMode && account.mode !== 'spot' ? ` (${account.marginMode})` : '';
  if (account.isPaper) return `Paper ${exchange} ${account.mode}${margin}`;
  const hint = account.apiKeyHint ? ` ·${account.apiKeyHint.replace(/^…/, '')}` : '';
  return `${exchange} ${account.mode}${margin}${hint}`;
}

/**
 * The currency an account counts money in: the quote of the markets signals trade there (USDT;
 * Kraken Futures' USD contracts: USD). Named wherever the chat shows an amount of money.
 */
export function accountQuote(account: { exchange: string; mode: TradingMode }): string {
  const quirks = (EXCHANGE_IDS as readonly string[]).includes(account.exchange) ? quirksFor(account.exchange as ExchangeId) : undefined;
  return splitSymbol(marketSymbol('BTC/USDT', account.mode, quirks)).quote || 'USDT';
}
