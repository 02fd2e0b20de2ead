/** One name per account, wherever the trader sees it: "Binance futures ·1234", "Paper Kraken spot". */
import type { AccountRecord } from '../db/repos/accounts.ts';
import { exchangeName } from '../exchange/quirks/index.ts';

export function accountLabel(account: Pick<AccountRecord, 'exchange' | 'mode' | 'isPaper' | 'apiKeyHint' | 'marginMode'>): string {
  const exchange = exchangeName(account.exchange);
  const margin = account.marginMode && account.mode !== 'spot' ? ` (${account.marginMode})` : '';
  if (account.isPaper) return `Paper ${exchange} ${account.mode}${margin}`;
  const hint = account.apiKeyHint ? ` ·${account.apiKeyHint.replace(/^…/, '')}` : '';
  return `${exchange} ${account.mode}${margin}${hint}`;
}
