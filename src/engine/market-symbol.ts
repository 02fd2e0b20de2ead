/**
 * A signal's symbol as the unified market symbol of the account's mode: producers write
 * 'BTC/USDT' (or 'BTCUSDT'); linear perpetuals are 'BTC/USDT:USDT', unless the exchange's quirks
 * name another market for the pair (Kraken Futures: 'BTC/USD:USD').
 */
import type { TradingMode } from '../exchange/port.ts';
import type { ExchangeQuirks } from '../exchange/quirks/types.ts';

const QUOTES = ['USDT', 'USDC', 'FDUSD', 'BUSD', 'USD', 'EUR', 'BTC', 'ETH'];

export function marketSymbol(signalSymbol: string, mode: TradingMode, quirks?: Pick<ExchangeQuirks, 'marketSymbol'>): string {
  let pair = signalSymbol.trim().toUpperCase();
  if (!pair.includes('/')) {
    const quote = QUOTES.find((q) => pair.endsWith(q) && pair.length > q.length);
    if (quote) pair = `${pair.slice(0, -quote.length)}/${quote}`;
  }
  const [spot = pair] = pair.split(':');
  if (mode !== 'futures') return spot;
  const [base = spot, quote = 'USDT'] = spot.split('/');
  return quirks?.marketSymbol?.(base, quote, mode) ?? `${spot}:${quote}`;
}
