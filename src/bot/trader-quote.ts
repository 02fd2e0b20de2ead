import type { EngineFacade } from '../engine/facade.ts';

/** the currency the trader's accounts count money in ("USDT"; "USD / USDT" when they differ), for money settings */
export async function traderQuote(deps: { engine: Pick<EngineFacade, 'listAccounts'> }, userId: string): Promise<string> {
  const quotes = [...new Set((await deps.engine.listAccounts(userId)).map((a) => a.quote))].sort();
  return quotes.length === 0 ? 'USDT' : quotes.join(' / ');
}
