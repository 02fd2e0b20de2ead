/**
 * USDⓈ-M conditional orders as Binance keeps them since the algo service: POST/GET/DELETE
 * /fapi/v1/algoOrder (algoType CONDITIONAL) and GET /fapi/v1/openAlgoOrders, invisible to the
 * plain order endpoints. STOP_MARKET and TAKE_PROFIT_MARKET with a quantity (usually reduceOnly)
 * or closePosition=true. A second open closePosition order of the same type and side is -4130;
 * a trigger the price has already crossed is -2021. When setPrice crosses a trigger the order
 * fires a MARKET order (closePosition: the whole position of that side) and ends FINISHED, or
 * EXPIRED when that order is refused (nothing left to close).
 */
import type { BinanceBook } from './binance-book.ts';
import { BinanceReject, type PositionSide } from './binance-types.ts';
import { checkPositionSide } from './binance-futures.ts';

export interface AlgoOrder {
  algoId: number;
  clientAlgoId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  positionSide: PositionSide;
  orderType: 'STOP_MARKET' | 'TAKE_PROFIT_MARKET';
  /** base quantity; 0 with closePosition */
  quantity: number;
  triggerPrice: number;
  closePosition: boolean;
  reduceOnly: boolean;
  algoStatus: 'NEW' | 'CANCELED' | 'FINISHED' | 'EXPIRED';
  actualOrderId: number | undefined;
  createTime: number;
  updateTime: number;
  triggerTime: number;
}

/** a SELL stop fires at or below its trigger, a SELL take-profit at or above; BUY the other way */
function crossed(order: Pick<AlgoOrder, 'orderType' | 'side' | 'triggerPrice'>, price: number): boolean {
  const firesBelow = (order.side === 'SELL') === (order.orderType === 'STOP_MARKET');
  return firesBelow ? price <= order.triggerPrice : price >= order.triggerPrice;
}

export function placeAlgoOrder(book: BinanceBook, p: Record<string, string>, now: number): AlgoOrder {
  if (p.algoType !== 'CONDITIONAL') throw new BinanceReject(-1102, "Mandatory parameter 'algoType' was not sent, was empty/null, or malformed.");
  const market = book.market(p.symbol ?? '');
  const type = p.type;
  if (type !== 'STOP_MARKET' && type !== 'TAKE_PROFIT_MARKET') throw new BinanceReject(-1116, 'Invalid orderType.');
  const side = p.side === 'SELL' ? 'SELL' : 'BUY';
  const closePosition = p.closePosition === 'true';
  const reduceOnly = p.reduceOnly === 'true';
  const positionSide = checkPositionSide(book, p);
  const triggerPrice = Number(p.triggerPrice);
  if (!(triggerPrice > 0)) throw new BinanceReject(-1102, "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed.");
  const quantity = closePosition ? 0 : Number(p.quantity);
  if (!closePosition && !(quantity > 0)) throw new BinanceReject(-1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
  if (crossed({ orderType: type, side, triggerPrice }, book.price(market.id))) throw new BinanceReject(-2021, 'Order would immediately trigger.');
  if (closePosition && book.algoOrders.some((a) => a.algoStatus === 'NEW' && a.closePosition && a.symbol === market.id && a.orderType === type && a.side === side && a.positionSide === positionSide)) {
    throw new BinanceReject(-4130, 'An open stop or take profit order with GTE and closePosition in the direction is existing.');
  }
  const algo: AlgoOrder = {
    algoId: book.nextAlgoId,
    clientAlgoId: p.clientAlgoId ?? `emu-algo-${book.nextAlgoId}`,
    symbol: market.id,
    side,
    positionSide,
    orderType: type,
    quantity,
    triggerPrice,
    closePosition,
    reduceOnly,
    algoStatus: 'NEW',
    actualOrderId: undefined,
    createTime: now,
    updateTime: now,
    triggerTime: 0,
  };
  book.nextAlgoId += 1;
  book.algoOrders.push(algo);
  return algo;
}

export function findAlgoOrder(book: BinanceBook, p: Record<string, string>): AlgoOrder {
  const found = book.algoOrders.findLast((a) => (p.algoId !== undefined ? String(a.algoId) === p.algoId : a.clientAlgoId === p.clientAlgoId));
  if (!found) throw new BinanceReject(-2013, 'Order does not exist.');
  return found;
}

export function cancelAlgoOrder(book: BinanceBook, p: Record<string, string>, now: number): AlgoOrder {
  const algo = findAlgoOrder(book, p);
  if (algo.algoStatus !== 'NEW') throw new BinanceReject(-2011, 'Unknown order sent.');
  Object.assign(algo, { algoStatus: 'CANCELED', updateTime: now });
  return algo;
}

/** fires the algo orders of `symbol` whose trigger the current price has crossed */
export function fireAlgoOrders(book: BinanceBook, symbol: string, now: number): void {
  const price = book.price(symbol);
  for (const algo of book.algoOrders) {
    if (algo.symbol !== symbol || algo.algoStatus !== 'NEW' || !crossed(algo, price)) continue;
    const held = book.dualSidePosition ? book.position(symbol, algo.positionSide).amount : book.position(symbol).amount;
    const quantity = algo.closePosition ? Math.abs(held) : algo.quantity;
    Object.assign(algo, { triggerTime: now, updateTime: now });
    try {
      if (!(quantity > 0)) throw new BinanceReject(-2022, 'ReduceOnly Order is rejected.');
      const params: Record<string, string> = { symbol, side: algo.side, type: 'MARKET', quantity: String(quantity), newClientOrderId: `${algo.clientAlgoId}-fired` };
      if (book.dualSidePosition) params.positionSide = algo.positionSide;
      else if (algo.closePosition || algo.reduceOnly) params.reduceOnly = 'true';
      algo.actualOrderId = book.placeOrder('futures', params).orderId;
      algo.algoStatus = 'FINISHED';
    } catch (error) {
      if (!(error instanceof BinanceReject)) throw error;
      algo.algoStatus = 'EXPIRED';
    }
  }
}

export function algoOrderJson(a: AlgoOrder): unknown {
  return {
    algoId: a.algoId,
    clientAlgoId: a.clientAlgoId,
    algoType: 'CONDITIONAL',
    orderType: a.orderType,
    symbol: a.symbol,
    side: a.side,
    positionSide: a.positionSide,
    timeInForce: 'GTC',
    quantity: String(a.quantity),
    algoStatus: a.algoStatus,
    ...(a.actualOrderId !== undefined ? { actualOrderId: String(a.actualOrderId) } : {}),
    triggerPrice: String(a.triggerPrice),
    price: '0',
    icebergQuantity: null,
    selfTradePreventionMode: 'EXPIRE_MAKER',
    workingType: 'CONTRACT_PRICE',
    priceMatch: 'NONE',
    closePosition: a.closePosition,
    priceProtect: false,
    reduceOnly: a.reduceOnly,
    createTime: a.createTime,
    updateTime: a.updateTime,
    triggerTime: a.triggerTime,
    goodTillDate: 0,
  };
}
