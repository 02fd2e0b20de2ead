/**
 * Resting and conditional spot orders in the emulator. A resting order locks what it may spend
 * (a SELL its coins, a BUY quantity × price of quote), as Binance does: a market sell of locked
 * coins is refused for lack of free balance, a cancel unlocks. STOP_LOSS(_LIMIT) and
 * TAKE_PROFIT(_LIMIT) wait for the price to cross stopPrice (a SELL stop fires at or below it,
 * a SELL take-profit at or above; BUY the other way); fired, the market kind fills at once and
 * the limit kind fills if marketable, else rests as a working limit order. Working limit orders
 * (spot and futures) fill at their limit price when the price reaches it.
 */
import type { BinanceBook } from './binance-book.ts';
import { BinanceReject, type EmulatorOrder, type OrderType } from './binance-types.ts';

const clean = (value: number): number => Math.round(value * 1e12) / 1e12;

/** whether a conditional order of `type` and `side` would fire at `price` */
export function triggersNow(type: OrderType, side: 'BUY' | 'SELL', stopPrice: number, price: number): boolean {
  const stop = type.startsWith('STOP_LOSS');
  const firesBelow = (side === 'SELL') === stop;
  return firesBelow ? price <= stopPrice : price >= stopPrice;
}

/** holds back from the free spot balance what a resting order may spend (-2010 when it is not there) */
export function lockFor(book: BinanceBook, order: EmulatorOrder): void {
  const market = book.market(order.symbol);
  const asset = order.side === 'SELL' ? market.base : market.quote;
  const amount = order.side === 'SELL' ? order.origQty : clean(order.origQty * (order.price || order.stopPrice));
  const balance = book.spot(asset);
  if (balance.free < amount - 1e-12) throw new BinanceReject(-2010, 'Account has insufficient balance for requested action.');
  balance.free = clean(balance.free - amount);
  balance.locked = clean(balance.locked + amount);
  order.locked = { asset, amount };
}

export function unlock(book: BinanceBook, order: EmulatorOrder): void {
  if (!order.locked) return;
  const balance = book.spot(order.locked.asset);
  balance.free = clean(balance.free + order.locked.amount);
  balance.locked = clean(balance.locked - order.locked.amount);
  order.locked = undefined;
}

/**
 * Brings the resting orders of `symbol` up to the new price: spot stops it crosses fire (filling
 * at the price, or becoming working limit orders); working spot and futures limit orders it
 * reaches fill at their own limit price. A fill that is refused leaves the order EXPIRED.
 */
export function fireRestingOrders(book: BinanceBook, symbol: string): void {
  const price = book.price(symbol);
  for (const order of book.orders) {
    if (order.venue === 'margin' || order.symbol !== symbol || order.status !== 'NEW') continue;
    let fillAt: number;
    if (!order.working) {
      if (!triggersNow(order.type, order.side, order.stopPrice, price)) continue;
      order.working = true;
      fillAt = price;
    } else fillAt = order.price;
    const marketable = order.price === 0 || (order.side === 'SELL' ? order.price <= price : order.price >= price);
    if (!marketable) continue;
    unlock(book, order);
    try {
      book.execute(order, fillAt);
    } catch (error) {
      if (!(error instanceof BinanceReject)) throw error;
      order.status = 'EXPIRED';
    }
  }
}
