/** One name per account, wherever the trader sees it: "Binance futures ·1234", "Paper Kraken spot". */
import type { AccountRecord } from '../db/repos/accounts.ts';

const EXCHANGE_NAMES: Readonly<Record<string, string>> = { binance: 'Binance', kraken: 'Kraken', bybit: 'Bybit', okx: 'OKX', bitget: 'Bitget' };

export function accountLabel(account: Pick<AccountRecord, 'exchange' | 'mode' | 'isPaper' | 'apiKeyHint' | 'marginMode'>): string {
  const exchange = EXCHANGE_NAMES[account.exchange] ?? account.exchange;
  const margin = account.marginMode && account.mode !== 'spot' ? ` (${account.marginMode})` : '';
  if (account.isPaper) return `Paper ${exchange} ${account.mode}${margin}`;
  const hint = account.apiKeyHint ? ` ·${account.apiKeyHint.replace(/^…/, '')}` : '';
  return `${exchange} ${account.mode}${margin}${hint}`;
}
