/**
 * Money arithmetic of fills: fees in quote units and the exact net P&L of an exit.
 * Invariant: the P&L of all exits of a position sums to gross − every fee paid (entry and exits),
 * because each exit carries the share of the entry fee of the quantity it closes.
 */
import type { OrderResult } from '../exchange/port.ts';

/** 'BTC/USDT' or 'BTC/USDT:USDT' → base BTC, quote USDT */
export function splitSymbol(symbol: string): { base: string; quote: string } {
  const [pair = symbol] = symbol.split(':');
  const [base = pair, quote = ''] = pair.split('/');
  return { base, quote };
}

/**
 * What remains held after selling `sold` of `held`, without binary noise: 0.02 − 0.005 − 0.0075 −
 * 0.0056 is 0.0019, not 0.0018999999999999998 (which a step of 0.0001 would truncate to 0.0018,
 * leaving a contract on the exchange that the bot no longer knows of).
 */
export function remainingQty(held: number, sold: number): number {
  return Number((held - sold).toPrecision(12));
}

/** The order's fee in quote units (a fee charged in the base currency is valued at the fill price). */
export function feeInQuote(result: Pick<OrderResult, 'fee' | 'feeCurrency' | 'avgPrice' | 'symbol'>): number {
  if (!(result.fee > 0)) return 0;
  const { base } = splitSymbol(result.symbol);
  return result.feeCurrency === base ? result.fee * result.avgPrice : result.fee;
}

/**
 * Base units the account holds after a fill: the filled quantity less a fee the exchange took
 * in the base coin (Binance spot and margin without BNB charge a buy's fee in the bought coin).
 */
export function heldAfterFill(result: Pick<OrderResult, 'fee' | 'feeCurrency' | 'filledQty' | 'symbol'>): number {
  const { base } = splitSymbol(result.symbol);
  return result.fee > 0 && result.feeCurrency === base ? Math.max(0, result.filledQty - result.fee) : result.filledQty;
}

/**
 * Dust: a remainder the market will not take as an order (below its minimum quantity or step,
 * or its minimum order value at `price`). It stays in the wallet; the position closes without it.
 */
export function isDust(qty: number, price: number, market: { minQty: number; stepSize: number; minCost: number }): boolean {
  if (!(qty > 0)) return false;
  return qty < Math.max(market.minQty, market.stepSize) || (market.minCost > 0 && qty * price < market.minCost);
}

export interface ExitPnl {
  /** quote units, before fees */
  gross: number;
  /** quote units: the exit's own fee plus its share of the entry fee */
  fee: number;
  /** gross − fee */
  net: number;
}

export function exitPnl(input: {
  side: 'long' | 'short';
  entry: number;
  exit: number;
  qty: number;
  qtyInitial: number;
  /** quote units, whole entry order */
  entryFee: number;
  /** quote units, this exit order */
  exitFee: number;
}): ExitPnl {
  const sign = input.side === 'long' ? 1 : -1;
  const gross = (input.exit - input.entry) * input.qty * sign;
  const entryShare = input.qtyInitial > 0 ? (input.entryFee * input.qty) / input.qtyInitial : 0;
  const fee = input.exitFee + entryShare;
  return { gross, fee, net: gross - fee };
}
