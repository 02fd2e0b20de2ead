/**
 * Binance's order and trade shapes. The answer to a new spot/margin order depends on
 * newOrderRespType (ACK, RESULT, FULL; FULL carries `fills`); an order lookup (GET order) never
 * carries fills: the commission of an order is read from the create answer or the trade list
 * (myTrades, margin/myTrades, fapi userTrades).
 */
import type { EmulatorOrder, EmulatorTrade } from './binance-book.ts';

const quoteQty = (qty: number, price: number): string => String(Math.round(qty * price * 1e8) / 1e8);

function spotOrderCore(o: EmulatorOrder): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: String(o.price),
    origQty: String(o.origQty),
    executedQty: String(o.executedQty),
    cummulativeQuoteQty: quoteQty(o.executedQty, o.avgPrice),
    status: o.status,
    timeInForce: 'GTC',
    type: o.type,
    side: o.side,
    ...(o.stopPrice > 0 ? { stopPrice: String(o.stopPrice) } : {}),
    ...(o.venue === 'margin' ? { isIsolated: o.isIsolated } : {}),
    selfTradePreventionMode: 'EXPIRE_MAKER',
  };
}

function futuresOrderJson(o: EmulatorOrder): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    clientOrderId: o.clientOrderId,
    price: String(o.price),
    origQty: String(o.origQty),
    executedQty: String(o.executedQty),
    status: o.status,
    timeInForce: 'GTC',
    type: o.type,
    side: o.side,
    avgPrice: String(o.avgPrice),
    cumQty: String(o.executedQty),
    cumQuote: quoteQty(o.executedQty, o.avgPrice),
    reduceOnly: o.reduceOnly,
    closePosition: false,
    positionSide: o.positionSide,
    stopPrice: '0',
    workingType: 'CONTRACT_PRICE',
    priceProtect: false,
    origType: o.type,
    time: o.time,
    updateTime: o.time,
  };
}

/** GET order (and the lookups of open orders): no fills */
export function orderJson(o: EmulatorOrder): unknown {
  if (o.venue === 'futures') return futuresOrderJson(o);
  return { stopPrice: '0', ...spotOrderCore(o), icebergQty: '0', time: o.time, updateTime: o.time, isWorking: o.working, workingTime: o.working ? o.time : -1, origQuoteOrderQty: '0' };
}

/** the answer to POST order; `respType` is the request's newOrderRespType (spot default FULL for MARKET and LIMIT) */
export function newOrderJson(o: EmulatorOrder, respType: string | undefined): unknown {
  if (o.venue === 'futures') return futuresOrderJson(o);
  const type = respType ?? 'FULL';
  if (type === 'ACK') return { symbol: o.symbol, orderId: o.orderId, orderListId: -1, clientOrderId: o.clientOrderId, transactTime: o.time, ...(o.venue === 'margin' ? { isIsolated: o.isIsolated } : {}) };
  const result = { ...spotOrderCore(o), transactTime: o.time, workingTime: o.time, origQuoteOrderQty: '0' };
  if (type !== 'FULL') return result;
  return { ...result, fills: o.fills.map((f) => ({ price: String(f.price), qty: String(f.qty), commission: String(f.commission), commissionAsset: f.commissionAsset, tradeId: f.tradeId })) };
}

/** DELETE order: the order as cancelled, with the client id it was placed with */
export function cancelledOrderJson(o: EmulatorOrder): unknown {
  if (o.venue === 'futures') return futuresOrderJson(o);
  return { ...spotOrderCore(o), origClientOrderId: o.clientOrderId, transactTime: o.time };
}

/**
 * The account's trades of one symbol, oldest first: GET /api/v3/myTrades, /sapi/v1/margin/myTrades
 * (isIsolated picks the wallet), /fapi/v1/userTrades. Filters: orderId, fromId, startTime, endTime, limit.
 */
export function tradesJson(trades: readonly EmulatorTrade[], p: Record<string, string>): unknown[] {
  const limit = p.limit === undefined ? 500 : Number(p.limit);
  const rows = trades.filter(
    (t) =>
      t.symbol === p.symbol &&
      (p.orderId === undefined || String(t.orderId) === p.orderId) &&
      (p.fromId === undefined || t.tradeId >= Number(p.fromId)) &&
      (p.startTime === undefined || t.time >= Number(p.startTime)) &&
      (p.endTime === undefined || t.time <= Number(p.endTime)) &&
      (t.venue !== 'margin' || t.isIsolated === (p.isIsolated === 'TRUE' || p.isIsolated === 'true')),
  );
  return rows.slice(0, limit).map((t) => {
    const common = { symbol: t.symbol, id: t.tradeId, orderId: t.orderId, price: String(t.price), qty: String(t.qty), commission: String(t.commission), commissionAsset: t.commissionAsset, time: t.time };
    if (t.venue === 'futures') return { ...common, quoteQty: quoteQty(t.qty, t.price), side: t.side, positionSide: t.positionSide, buyer: t.side === 'BUY', maker: false, realizedPnl: String(t.realizedPnl) };
    const spot = { ...common, quoteQty: quoteQty(t.qty, t.price), orderListId: -1, isBuyer: t.side === 'BUY', isMaker: false, isBestMatch: true };
    return t.venue === 'margin' ? { ...spot, isIsolated: t.isIsolated } : spot;
  });
}
