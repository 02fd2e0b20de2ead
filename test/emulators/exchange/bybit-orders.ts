/**
 * Orders in the Bybit v5 emulator: placing (Bybit's filters and refusals), amending in place,
 * cancelling, and what a price move does to resting and conditional orders. Market orders fill at
 * once at the current price; limit orders fill when marketable, else rest (spot ones hold what they
 * may spend). Conditional orders (a triggerPrice) wait `Untriggered` until the price crosses the
 * trigger in their direction, then fire as the order they carry, keeping their orderId (Triggered →
 * Filled, or Deactivated / Rejected when it cannot execute). Spot `StopOrder` holds nothing until
 * it fires; spot `tpslOrder` holds the coins.
 */
import type { BybitBook } from './bybit-book.ts';
import { BybitReject, clean, isMultiple, type BybitMarket, type BybitOrder, type Category, type OrderFilter } from './bybit-types.ts';

const OPEN: readonly string[] = ['New', 'PartiallyFilled', 'Untriggered'];
const str = (value: unknown): string | undefined => (value === undefined || value === null || value === '' ? undefined : String(value));

export function placeOrder(book: BybitBook, p: Record<string, unknown>): BybitOrder {
  const category = categoryOf(p.category);
  const market = book.market(str(p.symbol), category);
  const side = str(p.side);
  const orderType = str(p.orderType);
  if (side !== 'Buy' && side !== 'Sell') throw new BybitReject(10001, 'params error: side invalid');
  if (orderType !== 'Market' && orderType !== 'Limit') throw new BybitReject(10001, 'params error: orderType invalid');
  const orderLinkId = str(p.orderLinkId) ?? '';
  if (orderLinkId.length > 36) throw new BybitReject(10001, 'params error: orderLinkId is too long');
  if (orderLinkId && book.orders.some((o) => o.category === category && o.orderLinkId === orderLinkId)) {
    throw category === 'spot' ? new BybitReject(170141, 'Duplicate clientOrderId.') : new BybitReject(110072, 'OrderLinkedID is duplicate');
  }
  if (category === 'linear' && Number(p.positionIdx ?? 0) !== 0) throw new BybitReject(10001, 'position idx not match position mode');
  const current = book.price(market.symbol);
  const price = orderType === 'Limit' ? Number(p.price) : 0;
  const tick = category === 'spot' ? market.spot.tickSize : market.linear.tickSize;
  if (orderType === 'Limit' && (!(price > 0) || !isMultiple(price, tick))) throw category === 'spot' ? new BybitReject(170134, 'Order price decimal too long.') : new BybitReject(10001, 'params error: price invalid');
  const triggerPrice = Number(p.triggerPrice ?? 0);
  const conditional = triggerPrice > 0;
  if (conditional && !isMultiple(triggerPrice, tick)) throw new BybitReject(10001, 'params error: triggerPrice invalid');
  const qty = checkQty(category, market, p, orderType === 'Limit' ? price : conditional ? triggerPrice : current);
  const reduceOnly = category === 'linear' && (p.reduceOnly === true || p.reduceOnly === 'true');
  const valueAt = (orderType === 'Limit' ? price : conditional ? triggerPrice : current) * qty;
  if (category === 'spot' && valueAt < Number(market.spot.minOrderAmt) - 1e-9) throw new BybitReject(170140, 'Order value exceeded lower limit.');
  if (category === 'linear' && !reduceOnly && valueAt < Number(market.linear.minNotionalValue) - 1e-9) throw new BybitReject(110094, `Order does not meet minimum order value ${market.linear.minNotionalValue}USDT`);

  let triggerDirection: 0 | 1 | 2 = 0;
  if (conditional) {
    const given = Number(p.triggerDirection ?? 0);
    if (category === 'linear' && given !== 1 && given !== 2) throw new BybitReject(10001, 'params error: TriggerDirection invalid');
    triggerDirection = given === 1 || given === 2 ? given : triggerPrice > current ? 1 : 2;
    if (category === 'linear') checkDirection(triggerDirection, triggerPrice, current);
  }
  const filter: OrderFilter = category === 'spot' ? ((str(p.orderFilter) as OrderFilter | undefined) ?? (conditional ? 'StopOrder' : 'Order')) : conditional ? 'StopOrder' : 'Order';
  if (category === 'spot' && !['Order', 'StopOrder', 'tpslOrder'].includes(filter)) throw new BybitReject(10001, 'params error: orderFilter invalid');
  const now = book.now();
  const order: BybitOrder = {
    category,
    orderId: book.newOrderId(category),
    orderLinkId,
    symbol: market.symbol,
    side,
    orderType,
    qty,
    price,
    orderStatus: conditional ? 'Untriggered' : 'New',
    orderFilter: filter,
    triggerPrice,
    triggerDirection,
    reduceOnly,
    isLeverage: Number(p.isLeverage ?? 0) === 1 ? 1 : 0,
    cumExecQty: 0,
    cumExecValue: 0,
    cumExecFee: 0,
    feeCoin: '',
    avgPrice: 0,
    locked: undefined,
    rejectReason: 'EC_NoError',
    createdTime: now,
    updatedTime: now,
  };
  if (!conditional && reduceOnly && orderType === 'Market') {
    const position = book.position(market.symbol);
    if (position.size === 0 || (position.size > 0) === (side === 'Buy')) throw new BybitReject(110017, 'current position is zero, cannot fix reduce-only order qty');
  }
  if (!conditional) work(book, order, current, true);
  else if (category === 'spot' && filter === 'tpslOrder') lock(book, order);
  book.orders.push(order);
  if (conditional && category === 'spot' && crossed(order, current)) fire(book, order, current);
  return order;
}

/** a plain or fired order meets the price: fills now (market, marketable limit) or rests */
function work(book: BybitBook, order: BybitOrder, current: number, placing: boolean): void {
  const marketable = order.orderType === 'Market' || (order.side === 'Buy' ? order.price >= current : order.price <= current);
  if (!marketable) {
    order.orderStatus = 'New';
    if (order.category === 'spot' && order.isLeverage === 0) lock(book, order);
    return;
  }
  const at = order.orderType === 'Market' ? current : order.price;
  if (placing) book.execute(order, at);
  else {
    try {
      book.execute(order, at);
    } catch (error) {
      if (!(error instanceof BybitReject)) throw error;
      order.orderStatus = error.retCode === 110017 ? 'Deactivated' : 'Rejected';
      order.rejectReason = error.message;
      order.updatedTime = book.now();
    }
  }
}

/** POST /v5/order/amend: qty, price or trigger price of an open order, in place (same orderId) */
export function amendOrder(book: BybitBook, p: Record<string, unknown>): BybitOrder {
  const category = categoryOf(p.category);
  const order = book.findOrder(category, { ...p, orderFilter: undefined });
  if (!order || !OPEN.includes(order.orderStatus)) throw category === 'spot' ? new BybitReject(170213, 'Order does not exist.') : new BybitReject(110001, 'order not exists or too late to replace');
  const market = book.market(order.symbol, category);
  const qty = p.qty === undefined ? order.qty : checkQty(category, market, p, order.price || order.triggerPrice || book.price(order.symbol));
  const triggerPrice = p.triggerPrice === undefined ? order.triggerPrice : Number(p.triggerPrice);
  const price = p.price === undefined ? order.price : Number(p.price);
  if (qty === order.qty && triggerPrice === order.triggerPrice && price === order.price) throw new BybitReject(10001, 'The order remains unchanged as the parameters entered match the existing ones.');
  if (order.orderStatus === 'Untriggered' && triggerPrice !== order.triggerPrice) {
    if (!(triggerPrice > 0)) throw new BybitReject(10001, 'params error: triggerPrice invalid');
    if (category === 'linear') checkDirection(order.triggerDirection as 1 | 2, triggerPrice, book.price(order.symbol));
  }
  unlock(order);
  Object.assign(order, { qty, triggerPrice, price, updatedTime: book.now() });
  if (order.locked === undefined && (order.orderFilter === 'tpslOrder' || (order.orderStatus === 'New' && order.category === 'spot' && order.isLeverage === 0))) lock(book, order);
  return order;
}

export function cancelOrder(book: BybitBook, p: Record<string, unknown>): BybitOrder {
  const category = categoryOf(p.category);
  const order = book.findOrder(category, p);
  if (!order || !OPEN.includes(order.orderStatus)) throw category === 'spot' ? new BybitReject(170213, 'Order does not exist.') : new BybitReject(110001, 'order not exists or too late to cancel');
  unlock(order);
  order.orderStatus = order.orderStatus === 'Untriggered' ? 'Deactivated' : 'Cancelled';
  order.updatedTime = book.now();
  return order;
}

/** The price of `symbol` moved: conditional orders it crossed fire, resting limits it reached fill. */
export function priceMoved(book: BybitBook, symbol: string): void {
  const price = book.price(symbol);
  for (const order of [...book.orders]) {
    if (order.symbol !== symbol) continue;
    if (order.orderStatus === 'Untriggered' && crossed(order, price)) fire(book, order, price);
    else if (order.orderStatus === 'New' && order.orderType === 'Limit' && (order.side === 'Buy' ? price <= order.price : price >= order.price)) {
      unlock(order);
      work(book, order, price, false);
    }
  }
}

function fire(book: BybitBook, order: BybitOrder, price: number): void {
  unlock(order);
  order.orderStatus = 'Triggered';
  order.updatedTime = book.now();
  work(book, order, price, false);
}

function checkQty(category: Category, market: BybitMarket, p: Record<string, unknown>, price: number): number {
  let qty = Number(p.qty);
  if (category === 'spot' && str(p.marketUnit) === 'quoteCoin') qty = Math.floor(qty / price / Number(market.spot.basePrecision)) * Number(market.spot.basePrecision);
  const step = category === 'spot' ? market.spot.basePrecision : market.linear.qtyStep;
  const min = Number(category === 'spot' ? market.spot.minOrderQty : market.linear.minOrderQty);
  if (!(qty > 0) || !isMultiple(qty, step)) throw category === 'spot' ? new BybitReject(170137, 'Order volume decimal too long.') : new BybitReject(10001, 'params error: Qty invalid');
  if (qty < min - 1e-12) throw category === 'spot' ? new BybitReject(170136, 'Order quantity lower than the minimum.') : new BybitReject(10001, 'The number of contracts exceeds minimum limit allowed');
  const max = Number(category === 'spot' ? market.spot.maxOrderQty : market.linear.maxOrderQty);
  if (qty > max) throw category === 'spot' ? new BybitReject(170135, 'Order quantity too large.') : new BybitReject(10001, 'The number of contracts exceeds maximum limit allowed');
  return clean(qty);
}

function lock(book: BybitBook, order: BybitOrder): void {
  const market = book.market(order.symbol);
  const coin = order.side === 'Sell' ? market.base : market.quote;
  const amount = order.side === 'Sell' ? order.qty : clean(order.qty * (order.price || order.triggerPrice));
  if (book.free(coin) < amount - 1e-12) throw new BybitReject(170131, 'Insufficient balance.');
  order.locked = { coin, amount };
}

function unlock(order: BybitOrder): void {
  order.locked = undefined;
}

function categoryOf(value: unknown): Category {
  if (value === 'spot' || value === 'linear') return value;
  throw new BybitReject(10001, 'params error: Category is invalid');
}

/** whether the price has reached a conditional order's trigger in its direction */
function crossed(order: BybitOrder, price: number): boolean {
  return order.triggerDirection === 1 ? price >= order.triggerPrice : price <= order.triggerPrice;
}

/** Bybit refuses a perpetual trigger already on the far side of the price */
function checkDirection(direction: 1 | 2, triggerPrice: number, current: number): void {
  if (direction === 1 && triggerPrice <= current) throw new BybitReject(110092, `expect Rising, but trigger_price[${Math.round(triggerPrice * 1e4)}] <= current[${Math.round(current * 1e4)}]??LastPrice`);
  if (direction === 2 && triggerPrice >= current) throw new BybitReject(110093, `expect Falling, but trigger_price[${Math.round(triggerPrice * 1e4)}] >= current[${Math.round(current * 1e4)}]??LastPrice`);
}
