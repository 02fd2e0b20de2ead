/**
 * Rounding to a market's tick and step, once, at order placement; and the minimum checks
 * ccxt does not do (minimum order value). Directions:
 * - quantity rounds DOWN (never more than asked or held);
 * - a limit buy rounds DOWN, a limit sell UP (never a worse price than asked).
 */
import ccxt from 'ccxt';
import { ExchangeError, type Market, type OrderRequest } from './port.ts';

const { decimalToPrecision, ROUND, TRUNCATE, TICK_SIZE, NO_PADDING } = ccxt;

/**
 * value rounded to a multiple of step, exactly (decimal arithmetic on the number's shortest text,
 * ccxt's own decimalToPrecision in tick-size mode; no binary tolerance that could round up):
 * - 'down' truncates (a quantity never exceeds what was asked or is held);
 * - 'nearest' rounds half away from zero;
 * - 'up' is ours (ccxt truncates or rounds only): the truncated value plus one step when the
 *   value lies above it (a protective stop of a long rounds up, never below the level asked).
 */
export function roundToStep(value: number, step: number, direction: 'down' | 'up' | 'nearest'): number {
  if (!(step > 0) || !Number.isFinite(value)) return value;
  if (direction === 'nearest') return Number(decimalToPrecision(value, ROUND, step, TICK_SIZE, NO_PADDING));
  const truncated = Number(decimalToPrecision(value, TRUNCATE, step, TICK_SIZE, NO_PADDING));
  if (direction === 'down' || truncated >= value) return truncated;
  return Number(decimalToPrecision(truncated + step, ROUND, step, TICK_SIZE, NO_PADDING));
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
