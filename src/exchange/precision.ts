/**
 * Rounding to a market's tick and step, once, at order placement; and the minimum checks
 * ccxt does not do (minimum order value). Directions:
 * - quantity rounds DOWN (never more than asked or held);
 * - a limit buy rounds DOWN, a limit sell UP (never a worse price than asked).
 */
import { ExchangeError, type Market, type OrderRequest } from './port.ts';

/** decimals of a step like 0.001 → 3, 1e-8 → 8, 0.5 → 1, 10 → 0 */
export function decimalsOf(step: number): number {
  const text = step.toString();
  const exp = /e-(\d+)$/.exec(text);
  if (exp) return Number(exp[1]) + (text.split('e')[0]!.split('.')[1]?.length ?? 0);
  return text.split('.')[1]?.length ?? 0;
}

/** value rounded to a multiple of step in the given direction; tolerant to binary noise (1e-9 step) */
export function roundToStep(value: number, step: number, direction: 'down' | 'up' | 'nearest'): number {
  if (!(step > 0)) return value;
  const ratio = value / step;
  const units = direction === 'down' ? Math.floor(ratio + 1e-9) : direction === 'up' ? Math.ceil(ratio - 1e-9) : Math.round(ratio);
  return Number((units * step).toFixed(decimalsOf(step)));
}

export interface RoundedOrder {
  /** base units, a multiple of market.stepSize */
  qty: number;
  /** quote per base, a multiple of market.tickSize (limit orders only) */
  price?: number;
}

export function roundOrder(market: Market, request: Pick<OrderRequest, 'qty' | 'price' | 'side' | 'type'>): RoundedOrder {
  const qty = roundToStep(request.qty, market.stepSize, 'down');
  if (request.type !== 'limit' || request.price === undefined) return { qty };
  return { qty, price: roundToStep(request.price, market.tickSize, request.side === 'buy' ? 'down' : 'up') };
}

/**
 * Refuses an order under the market's minimums before it is sent.
 * @param price quote per base used for the value check (limit price, else the current price)
 * @param reduceOnly closing orders are exempt from the minimum value (exchanges let a
 *   position smaller than the minimum be closed)
 */
export function assertMinimums(market: Market, qty: number, price: number | undefined, reduceOnly: boolean): void {
  const fmt = (n: number) => Number(n.toPrecision(8)).toString();
  if (!(qty > 0) || qty < market.minQty) {
    throw new ExchangeError('ORDER_BELOW_MINIMUM', {
      message: `Order size ${fmt(qty)} ${market.base} is below the minimum ${fmt(Math.max(market.minQty, market.stepSize))} ${market.base} for ${market.symbol}.`,
    });
  }
  if (market.maxQty !== undefined && qty > market.maxQty) {
    throw new ExchangeError('INVALID_ORDER', { message: `Order size ${fmt(qty)} ${market.base} is above the maximum ${fmt(market.maxQty)} ${market.base} for ${market.symbol}.` });
  }
  if (!reduceOnly && price !== undefined && market.minCost > 0 && qty * price < market.minCost) {
    throw new ExchangeError('ORDER_BELOW_MINIMUM', {
      message: `Order value ${(qty * price).toFixed(2)} ${market.quote} is below the minimum ${fmt(market.minCost)} ${market.quote} for ${market.symbol}.`,
    });
  }
}
