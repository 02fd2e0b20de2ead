/** One name per account, wherever the trader sees it: "Binance futures ·1234", "Paper Kraken spot". */
import type { AccountRecord } from '../db/repos/accounts.ts';
import { EXCHANGE_IDS, exchangeName, quirksFor } from '../exchange/quirks/index.ts';
import type { ExchangeId, TradingMode } from '../exchange/port.ts';
import { marketSymbol } from './market-symbol.ts';
import { splitSymbol } from '../domain/fills.ts';

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

/**
 * Each account's label, read from the database once and then from memory: the opened and exit
 * alerts name the account under the position lock, and during a database outage they still can.
 * `forget` when the account changes or is removed; a read that a `forget` overtook is not kept.
 */
export function createAccountLabels(read: (accountId: string) => Promise<Parameters<typeof accountLabel>[0] | undefined>) {
  const labels = new Map<string, string>();
  const forgotten = new Map<string, number>();
  return {
    /** the label when it is in memory (no database call) */
    cached(accountId: string): string | undefined {
      return labels.get(accountId);
    },
    async get(accountId: string): Promise<string | undefined> {
      const hit = labels.get(accountId);
      if (hit !== undefined) return hit;
      const generation = forgotten.get(accountId) ?? 0;
      const account = await read(accountId);
      if (!account) return undefined;
      const label = accountLabel(account);
      if ((forgotten.get(accountId) ?? 0) === generation) labels.set(accountId, label);
      return label;
    },
    forget(accountId: string): void {
      labels.delete(accountId);
      forgotten.set(accountId, (forgotten.get(accountId) ?? 0) + 1);
    },
  };
}

export type AccountLabels = ReturnType<typeof createAccountLabels>;
