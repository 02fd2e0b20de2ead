/**
 * What a position records from a fill, the one accounting the engine (live and paper accounts)
 * and the backtest share: the fee in quote units whatever coin it was charged in, the quantity
 * held after a fee taken in the bought coin (SPEC §11), and the exact realised P&L of an exit.
 * Invariant: the P&L of all exits of a position sums to gross − every fee paid (entry and exits),
 * because each exit carries the share of the entry fee of the quantity it closes.
 */
import type { OrderResult } from './orders.ts';
import type { Side } from './types.ts';

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

/** What an exchange answers about a filled order, as far as the accounting reads it. */
export type Fill = Pick<OrderResult, 'fee' | 'feeCurrency' | 'avgPrice' | 'filledQty' | 'symbol'>;

/** The order's fee in quote units (a fee charged in the base currency is valued at the fill price). */
export function feeInQuote(result: Pick<Fill, 'fee' | 'feeCurrency' | 'avgPrice' | 'symbol'>): number {
  if (!(result.fee > 0)) return 0;
  const { base } = splitSymbol(result.symbol);
  return result.feeCurrency === base ? result.fee * result.avgPrice : result.fee;
}

/**
 * Base units the account holds after a fill: the filled quantity less a fee the exchange took
 * in the base coin (Binance spot and margin without BNB charge a buy's fee in the bought coin).
 */
export function heldAfterFill(result: Pick<Fill, 'fee' | 'feeCurrency' | 'filledQty' | 'symbol'>): number {
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
  side: Side;
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

/** What a position opens with after its entry order filled. */
export interface EntryFill {
  /** fill price, quote per base */
  entry: number;
  /** base units held: the position's quantity */
  qty: number;
  /** quote units */
  entryFee: number;
}

export function accountEntry(fill: Fill): EntryFill {
  return { entry: fill.avgPrice, qty: heldAfterFill(fill), entryFee: feeInQuote(fill) };
}

/** What an exit fill takes off a position. */
export interface ExitFill {
  /** base units the position shrinks by (never more than it holds) */
  qty: number;
  /** base units left */
  remaining: number;
  /** fill price, quote per base */
  price: number;
  /** quote units, this exit order's own fee */
  fee: number;
  pnl: ExitPnl;
}

/**
 * The position's side of an exit fill: a long's sell shrinks it by what was sold; a short's
 * buy-back repays what it received, and a fee taken in the coin bought repays nothing (the
 * close asks for that much more), so the position shrinks by the net, never the gross.
 */
export function accountExit(position: { side: Side; entry: number; qty: number; qtyInitial: number; entryFee: number }, fill: Fill): ExitFill {
  const qty = Math.min(position.side === 'short' ? heldAfterFill(fill) : fill.filledQty, position.qty);
  const fee = feeInQuote(fill);
  const pnl = exitPnl({ side: position.side, entry: position.entry, exit: fill.avgPrice, qty, qtyInitial: position.qtyInitial, entryFee: position.entryFee, exitFee: fee });
  return { qty, remaining: remainingQty(position.qty, qty), price: fill.avgPrice, fee, pnl };
}
