/**
 * The REST routes of the Binance emulator: `METHOD /path` with its params (query or form body,
 * already signature-checked) → Binance's JSON answer, or a BinanceReject.
 */
import type { Candle } from '../../../src/domain/types.ts';
import { algoOrderJson, cancelAlgoOrder, findAlgoOrder, placeAlgoOrder } from './binance-algo.ts';
import { BinanceReject, MAINT_RATE, type BinanceBook, type Venue } from './binance-book.ts';
import { setMarginType, setPositionMode } from './binance-futures.ts';
import { klinesJson } from './binance-http.ts';
import {
  crossMarginAccountJson,
  futuresAccountJson,
  futuresSymbolJson,
  isolatedMarginAccountJson,
  positionRiskJson,
  spotAccountJson,
  spotSymbolJson,
  tickersJson,
} from './binance-json.ts';
import { cancelledOrderJson, newOrderJson, orderJson, tradesJson } from './binance-orders-json.ts';

export interface ApiRestrictions {
  enableReading: boolean;
  enableWithdrawals: boolean;
  enableSpotAndMarginTrading: boolean;
  enableFutures: boolean;
  enableMargin: boolean;
  ipRestrict: boolean;
}

export interface RouteContext {
  book: BinanceBook;
  now: () => number;
  permissions: ApiRestrictions;
  /** symbol id → candles served by the klines routes */
  candles: Map<string, readonly Candle[]>;
}

export function route(ctx: RouteContext, method: string, path: string, p: Record<string, string>): unknown {
  const { book, now, permissions, candles } = ctx;
  const key = `${method} ${path}`;
  switch (key) {
    case 'GET /api/v3/ping':
    case 'GET /fapi/v1/ping':
      return {};
    case 'GET /api/v3/time':
    case 'GET /fapi/v1/time':
      return { serverTime: now() };
    case 'GET /api/v3/exchangeInfo':
      return { timezone: 'UTC', serverTime: now(), rateLimits: [], symbols: [...book.markets.values()].map(spotSymbolJson) };
    case 'GET /fapi/v1/exchangeInfo':
      return { timezone: 'UTC', serverTime: now(), rateLimits: [], assets: [], symbols: [...book.markets.values()].map(futuresSymbolJson) };
    case 'GET /api/v3/ticker/24hr':
    case 'GET /fapi/v1/ticker/24hr':
    case 'GET /api/v3/ticker/price':
    case 'GET /fapi/v1/ticker/price':
      return tickersJson(book, now, p, path.endsWith('price'));
    case 'GET /api/v3/account':
      return spotAccountJson(book, now);
    case 'GET /sapi/v1/account/apiRestrictions':
      return { ...permissions, createTime: 1_700_000_000_000, enableInternalTransfer: false, permitsUniversalTransfer: false, enableVanillaOptions: false, enablePortfolioMarginTrading: false };
    case 'GET /api/v3/klines':
    case 'GET /fapi/v1/klines':
      return klinesJson(candles.get(book.market(p.symbol ?? '').id) ?? [], p);
    case 'GET /fapi/v2/account':
    case 'GET /fapi/v3/account':
      return futuresAccountJson(book, now);
    case 'GET /fapi/v1/leverageBracket': {
      const entry = (id: string) => {
        const brackets = book.leverageBrackets.get(id) ?? [{ initialLeverage: 125, notionalCap: 1e9 }];
        return { symbol: id, brackets: brackets.map((b, i) => ({ bracket: i + 1, initialLeverage: b.initialLeverage, notionalCap: b.notionalCap, notionalFloor: i === 0 ? 0 : brackets[i - 1]!.notionalCap, maintMarginRatio: MAINT_RATE, cum: 0 })) };
      };
      // with a symbol Binance answers that symbol's object alone, without one the list of all
      return p.symbol !== undefined ? entry(book.market(p.symbol).id) : [...book.markets.values()].map((m) => entry(m.id));
    }
    case 'GET /fapi/v2/positionRisk':
    case 'GET /fapi/v3/positionRisk':
      return positionRiskJson(book, now, p.symbol);
    case 'POST /fapi/v1/leverage': {
      const symbol = book.market(p.symbol ?? '').id;
      const leverage = Number(p.leverage);
      const allowed = book.leverageBrackets.get(symbol)?.[0]?.initialLeverage ?? 125;
      if (!Number.isInteger(leverage) || leverage < 1 || leverage > allowed) throw new BinanceReject(-4028, `Leverage ${p.leverage} is not valid`);
      book.settings(symbol).leverage = leverage;
      return { symbol, leverage, maxNotionalValue: '1000000000' };
    }
    case 'POST /fapi/v1/marginType':
      setMarginType(book, book.market(p.symbol ?? '').id, p.marginType);
      return { code: 200, msg: 'success' };
    case 'GET /fapi/v1/positionSide/dual':
      return { dualSidePosition: book.dualSidePosition };
    case 'POST /fapi/v1/positionSide/dual':
      setPositionMode(book, p.dualSidePosition === 'true');
      return { code: 200, msg: 'success' };
    case 'POST /api/v3/order':
    case 'POST /fapi/v1/order':
    case 'POST /sapi/v1/margin/order':
      return newOrderJson(book.placeOrder(venueOf(path), p), p.newOrderRespType);
    case 'GET /api/v3/myTrades':
    case 'GET /sapi/v1/margin/myTrades':
    case 'GET /fapi/v1/userTrades':
      if (p.symbol === undefined) throw new BinanceReject(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
      return tradesJson(book.trades.filter((t) => t.venue === venueOf(path)), { ...p, symbol: book.market(p.symbol).id });
    case 'GET /sapi/v1/margin/account':
      return crossMarginAccountJson(book);
    case 'GET /sapi/v1/margin/isolated/account':
      return isolatedMarginAccountJson(book, p.symbols);
    case 'POST /fapi/v1/algoOrder':
      return algoOrderJson(placeAlgoOrder(book, p, now()));
    case 'GET /fapi/v1/algoOrder':
      return algoOrderJson(findAlgoOrder(book, p));
    case 'DELETE /fapi/v1/algoOrder': {
      const algo = cancelAlgoOrder(book, p, now());
      return { algoId: algo.algoId, clientAlgoId: algo.clientAlgoId, code: '200', msg: 'success' };
    }
    case 'GET /fapi/v1/openAlgoOrders': {
      const symbol = p.symbol === undefined ? undefined : book.market(p.symbol).id;
      return book.algoOrders.filter((a) => a.algoStatus === 'NEW' && (symbol === undefined || a.symbol === symbol)).map(algoOrderJson);
    }
    case 'GET /api/v3/openOrders':
    case 'GET /sapi/v1/margin/openOrders':
    case 'GET /fapi/v1/openOrders': {
      const symbol = p.symbol === undefined ? undefined : book.market(p.symbol).id;
      const venue = venueOf(path);
      return book.orders.filter((o) => o.venue === venue && o.status === 'NEW' && (symbol === undefined || o.symbol === symbol)).map(orderJson);
    }
    case 'GET /api/v3/allOrders':
    case 'GET /sapi/v1/margin/allOrders':
    case 'GET /fapi/v1/allOrders': {
      if (p.symbol === undefined) throw new BinanceReject(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
      const symbol = book.market(p.symbol).id;
      const venue = venueOf(path);
      const isIsolated = p.isIsolated === 'TRUE' || p.isIsolated === 'true';
      const rows = book.orders.filter(
        (o) =>
          o.venue === venue &&
          o.symbol === symbol &&
          (venue !== 'margin' || o.isIsolated === isIsolated) &&
          (p.orderId === undefined || o.orderId >= Number(p.orderId)) &&
          (p.startTime === undefined || o.time >= Number(p.startTime)) &&
          (p.endTime === undefined || o.time <= Number(p.endTime)),
      );
      return rows.slice(0, p.limit === undefined ? 500 : Number(p.limit)).map(orderJson);
    }
    case 'GET /api/v3/order':
    case 'GET /sapi/v1/margin/order':
    case 'GET /fapi/v1/order':
      return orderJson(book.findOrder(venueOf(path), p.symbol ?? '', orderRef(p)));
    case 'DELETE /api/v3/order':
    case 'DELETE /sapi/v1/margin/order':
    case 'DELETE /fapi/v1/order':
      return cancelledOrderJson(book.cancel(book.findOrder(venueOf(path), p.symbol ?? '', orderRef(p))));
    default:
      throw new BinanceReject(-1, `emulator: no route ${key}`, 404);
  }
}

function venueOf(path: string): Venue {
  return path.startsWith('/fapi') ? 'futures' : path.startsWith('/sapi') ? 'margin' : 'spot';
}

function orderRef(p: Record<string, string>): { orderId?: string; clientOrderId?: string; isIsolated: boolean } {
  const isIsolated = p.isIsolated === 'TRUE' || p.isIsolated === 'true';
  return p.orderId !== undefined ? { orderId: p.orderId, isIsolated } : { clientOrderId: p.origClientOrderId ?? '', isIsolated };
}
