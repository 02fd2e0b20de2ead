/**
 * `METHOD /path` → the `data` of Bitget v2's answer (the server wraps it in
 * `{code: '00000', msg: 'success', requestTime, data}`). Spot, spot-margin market lists, USDT-M
 * futures; the classic (v2) account, so the unified account's v3 settings call is refused as on
 * a classic account.
 */
import type { Candle } from '../../../src/domain/types.ts';
import type { BitgetBook } from './bitget-book.ts';
import * as json from './bitget-json.ts';
import { findPlan, placeMixPlan, placeMixTpsl, placeSpotPlan, planTypeMatches } from './bitget-plans.ts';
import { BitgetReject, type MarginModeId, type Side } from './bitget-types.ts';

export interface KeyInfo {
  /** what /api/v2/spot/account/info lists for the key, e.g. ['readonly', 'trade'] or with 'withdraw' */
  authorities: string[];
}

export interface RouteContext {
  book: BitgetBook;
  now: () => number;
  key: KeyInfo;
  /** symbol id → candles served by the candle endpoints (any granularity), oldest first */
  candles: Map<string, readonly Candle[]>;
}

type Params = Record<string, unknown>;
type Handler = (ctx: RouteContext, p: Params) => unknown;

const str = (p: Params, key: string): string | undefined => (p[key] === undefined || p[key] === null ? undefined : String(p[key]));
const need = (p: Params, key: string): string => {
  const value = str(p, key);
  if (value === undefined || value === '') throw new BitgetReject('40019', `Parameter ${key} cannot be empty`);
  return value;
};
const num = (p: Params, key: string): number => {
  const value = Number(need(p, key));
  if (!Number.isFinite(value)) throw new BitgetReject('40017', `Parameter verification failed ${key}`);
  return value;
};
const side = (p: Params): Side => {
  const value = need(p, 'side');
  if (value !== 'buy' && value !== 'sell') throw new BitgetReject('40017', 'Parameter verification failed side');
  return value;
};
const marginModeParam = (p: Params): MarginModeId => {
  const value = need(p, 'marginMode');
  if (value !== 'crossed' && value !== 'isolated') throw new BitgetReject('40017', `Parameter verification failed marginMode ${value}`);
  return value;
};
const usdtFutures = (p: Params): void => {
  if (need(p, 'productType').toUpperCase() !== 'USDT-FUTURES') throw new BitgetReject('40017', 'Parameter verification failed productType: only USDT-FUTURES is emulated');
};
const marketOnly = (p: Params): void => {
  if (need(p, 'orderType') !== 'market') throw new BitgetReject('40017', 'Parameter verification failed orderType: only market orders are emulated');
};
const ref = (p: Params) => {
  const orderId = str(p, 'orderId');
  const clientOid = str(p, 'clientOid');
  return { ...(orderId ? { orderId } : {}), ...(clientOid ? { clientOid } : {}) };
};

const PUBLIC: Record<string, Handler> = {
  'GET /api/v2/public/time': (ctx) => ({ serverTime: String(ctx.now()) }),
  'GET /api/v2/spot/public/symbols': (ctx, p) => [...ctx.book.markets.values()].filter((m) => !p.symbol || m.id === p.symbol).map(json.spotSymbolJson),
  'GET /api/v2/spot/public/coins': (ctx) => [...new Set([...ctx.book.markets.values()].flatMap((m) => [m.base, m.quote]))].map((coin, i) => ({ coinId: String(i + 1), coin, transfer: 'true', areaCoin: 'no', chains: [] })),
  'GET /api/v2/margin/currencies': (ctx) => [...ctx.book.markets.values()].map(json.marginCurrencyJson),
  'GET /api/v2/mix/market/contracts': (ctx, p) => (need(p, 'productType').toUpperCase() === 'USDT-FUTURES' ? [...ctx.book.markets.values()].map(json.contractJson) : []),
  'GET /api/v2/spot/market/tickers': (ctx, p) => tickers(ctx, str(p, 'symbol')).map(([id, price]) => json.spotTickerJson(id, price, ctx.now())),
  'GET /api/v2/mix/market/ticker': (ctx, p) => {
    usdtFutures(p);
    return [json.mixTickerJson(need(p, 'symbol'), ctx.book.price(ctx.book.market(need(p, 'symbol')).id), ctx.now())];
  },
  'GET /api/v2/mix/market/tickers': (ctx, p) => {
    usdtFutures(p);
    return tickers(ctx, undefined).map(([id, price]) => json.mixTickerJson(id, price, ctx.now()));
  },
  'GET /api/v2/spot/market/candles': (ctx, p) => json.candlesJson(ctx.candles.get(ctx.book.market(need(p, 'symbol')).id) ?? [], p as Record<string, string>),
  'GET /api/v2/mix/market/candles': (ctx, p) => json.candlesJson(ctx.candles.get(ctx.book.market(need(p, 'symbol')).id) ?? [], p as Record<string, string>),
};

function tickers(ctx: RouteContext, symbol: string | undefined): Array<[string, number]> {
  if (symbol) return [[symbol, ctx.book.price(ctx.book.market(symbol).id)]];
  return [...ctx.book.prices.entries()];
}

const PRIVATE: Record<string, Handler> = {
  'GET /api/v3/account/settings': () => {
    throw new BitgetReject('40084', 'You are in Classic Account mode, and cannot use this API');
  },
  'GET /api/v2/spot/account/info': (ctx) => ({ userId: '1000000001', inviterId: '', ips: '', authorities: [...ctx.key.authorities], parentId: 1000000001, traderType: 'none', channelCode: '', channel: '', regisTime: '1700000000000' }),
  'GET /api/v2/spot/account/assets': (ctx, p) => json.spotAssetsJson(ctx.book, str(p, 'coin')),
  'POST /api/v2/spot/trade/place-order': (ctx, p) => {
    marketOnly(p);
    const order = ctx.book.placeSpotMarket({ symbol: need(p, 'symbol'), side: side(p), size: num(p, 'size'), ...(str(p, 'clientOid') ? { clientOid: str(p, 'clientOid')! } : {}) });
    return { orderId: order.orderId, clientOid: order.clientOid };
  },
  'GET /api/v2/spot/trade/orderInfo': (ctx, p) => {
    const order = ctx.book.findOrder('spot', ref(p));
    return order ? [json.spotOrderJson(order)] : [];
  },
  'GET /api/v2/spot/trade/fills': (ctx, p) => {
    const symbol = ctx.book.market(need(p, 'symbol')).id;
    const since = Number(str(p, 'startTime') ?? 0);
    return ctx.book.fills.filter((f) => f.venue === 'spot' && f.symbol === symbol && f.cTime >= since && (!p.orderId || f.orderId === p.orderId)).map(json.spotFillJson);
  },
  'POST /api/v2/spot/trade/place-plan-order': (ctx, p) => {
    marketOnly(p);
    const clientOid = str(p, 'clientOid');
    const plan = placeSpotPlan(ctx.book, { symbol: need(p, 'symbol'), side: side(p), size: num(p, 'size'), triggerPrice: num(p, 'triggerPrice'), planType: need(p, 'planType'), ...(str(p, 'triggerType') ? { triggerType: str(p, 'triggerType')! } : {}), ...(clientOid ? { clientOid } : {}) }, ctx.now());
    return { orderId: plan.orderId, clientOid: plan.clientOid };
  },
  'GET /api/v2/spot/trade/current-plan-order': (ctx, p) => ({ nextFlag: false, idLessThan: '', orderList: spotPlans(ctx, p, true) }),
  'GET /api/v2/spot/trade/history-plan-order': (ctx, p) => ({ nextFlag: false, idLessThan: '', orderList: spotPlans(ctx, p, false) }),
  'POST /api/v2/spot/trade/cancel-plan-order': (ctx, p) => {
    const plan = findPlan(ctx.book, 'spot', ref(p));
    if (!plan || plan.status !== 'live') throw new BitgetReject('43025', 'Plan order does not exist');
    plan.status = 'cancelled';
    plan.uTime = ctx.now();
    return { result: 'success' };
  },
  'GET /api/v2/mix/account/accounts': (ctx, p) => {
    usdtFutures(p);
    return [json.mixAccountJson(ctx.book)];
  },
  'POST /api/v2/mix/account/set-leverage': (ctx, p) => {
    usdtFutures(p);
    const market = ctx.book.market(need(p, 'symbol'));
    const leverage = num(p, 'leverage');
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > market.maxLever) throw new BitgetReject('40797', `Exceeded the maximum settable leverage ${market.maxLever}`);
    if (ctx.book.positions.has(market.id) && ctx.book.positions.get(market.id)!.leverage !== leverage) throw new BitgetReject('40893', 'Unable to update the leverage factor of this position, there is not enough margin!');
    ctx.book.leverage.set(market.id, leverage);
    const mode = ctx.book.marginModeOf(market.id);
    return { symbol: market.id, marginCoin: 'USDT', longLeverage: String(leverage), shortLeverage: String(leverage), crossMarginLeverage: String(leverage), marginMode: mode };
  },
  'POST /api/v2/mix/account/set-margin-mode': (ctx, p) => {
    usdtFutures(p);
    const market = ctx.book.market(need(p, 'symbol'));
    const mode = marginModeParam(p);
    if (ctx.book.positions.has(market.id) && ctx.book.marginModeOf(market.id) !== mode) throw new BitgetReject('45117', 'Currently holding positions or orders, the margin mode cannot be adjusted');
    ctx.book.marginModes.set(market.id, mode);
    const leverage = String(ctx.book.leverageOf(market.id));
    return { symbol: market.id, marginCoin: 'USDT', longLeverage: leverage, shortLeverage: leverage, marginMode: mode };
  },
  'GET /api/v2/mix/position/all-position': (ctx, p) => {
    usdtFutures(p);
    return [...ctx.book.positions.values()].map((position) => json.positionJson(ctx.book, position));
  },
  'POST /api/v2/mix/order/place-order': (ctx, p) => {
    usdtFutures(p);
    marketOnly(p);
    if (p.tradeSide !== undefined && ctx.book.posMode === 'one_way_mode') throw new BitgetReject('40774', 'The order type for unilateral position must also be the unilateral position type.');
    const market = ctx.book.market(need(p, 'symbol'));
    const mode = marginModeParam(p);
    if (mode !== ctx.book.marginModeOf(market.id)) throw new BitgetReject('40883', `The margin mode of ${market.id} is ${ctx.book.marginModeOf(market.id)}; set it before ordering in ${mode}`);
    const clientOid = str(p, 'clientOid');
    const order = ctx.book.placeMixMarket({ symbol: market.id, side: side(p), size: num(p, 'size'), marginMode: mode, reduceOnly: str(p, 'reduceOnly') === 'YES', ...(clientOid ? { clientOid } : {}) });
    return { orderId: order.orderId, clientOid: order.clientOid };
  },
  'GET /api/v2/mix/order/detail': (ctx, p) => {
    usdtFutures(p);
    const order = ctx.book.findOrder('mix', ref(p));
    if (!order) throw new BitgetReject('40109', 'The data of the order cannot be found, please confirm the order number');
    return json.mixOrderJson(ctx.book, order);
  },
  'GET /api/v2/mix/order/fills': (ctx, p) => {
    usdtFutures(p);
    const since = Number(str(p, 'startTime') ?? 0);
    const fills = ctx.book.fills.filter((f) => f.venue === 'mix' && (!p.symbol || f.symbol === p.symbol) && f.cTime >= since && (!p.orderId || f.orderId === p.orderId));
    return { fillList: fills.map((f) => json.mixFillJson(ctx.book, f)), endId: fills.at(-1)?.tradeId ?? '' };
  },
  'POST /api/v2/mix/order/place-tpsl-order': (ctx, p) => {
    usdtFutures(p);
    const clientOid = str(p, 'clientOid');
    const plan = placeMixTpsl(ctx.book, { symbol: need(p, 'symbol'), side: 'sell', size: num(p, 'size'), triggerPrice: num(p, 'triggerPrice'), planType: need(p, 'planType'), holdSide: need(p, 'holdSide'), ...(str(p, 'triggerType') ? { triggerType: str(p, 'triggerType')! } : {}), ...(clientOid ? { clientOid } : {}) }, ctx.now());
    return { orderId: plan.orderId, clientOid: plan.clientOid };
  },
  'POST /api/v2/mix/order/place-plan-order': (ctx, p) => {
    usdtFutures(p);
    marketOnly(p);
    const clientOid = str(p, 'clientOid');
    const plan = placeMixPlan(ctx.book, { symbol: need(p, 'symbol'), side: side(p), size: num(p, 'size'), triggerPrice: num(p, 'triggerPrice'), planType: need(p, 'planType'), reduceOnly: str(p, 'reduceOnly') === 'YES', marginMode: marginModeParam(p), ...(clientOid ? { clientOid } : {}) }, ctx.now());
    return { orderId: plan.orderId, clientOid: plan.clientOid };
  },
  'GET /api/v2/mix/order/orders-plan-pending': (ctx, p) => mixPlans(ctx, p, true),
  'GET /api/v2/mix/order/orders-plan-history': (ctx, p) => mixPlans(ctx, p, false),
  'POST /api/v2/mix/order/cancel-plan-order': (ctx, p) => {
    usdtFutures(p);
    const list = Array.isArray(p.orderIdList) ? (p.orderIdList as Params[]) : [];
    const successList: unknown[] = [];
    const failureList: unknown[] = [];
    for (const entry of list) {
      const plan = findPlan(ctx.book, 'mix', ref(entry));
      if (plan && plan.status === 'live' && planTypeMatches(plan, str(p, 'planType'))) {
        plan.status = 'cancelled';
        plan.uTime = ctx.now();
        successList.push({ orderId: plan.orderId, clientOid: plan.clientOid });
      } else {
        failureList.push({ orderId: str(entry, 'orderId') ?? '', clientOid: str(entry, 'clientOid') ?? '', errorMsg: 'Plan order does not exist', errorCode: '43025' });
      }
    }
    return { successList, failureList };
  },
};

function spotPlans(ctx: RouteContext, p: Params, live: boolean): unknown[] {
  const symbol = ctx.book.market(need(p, 'symbol')).id;
  return ctx.book.plans.filter((plan) => plan.venue === 'spot' && plan.symbol === symbol && (plan.status === 'live') === live).map(json.spotPlanJson);
}

function mixPlans(ctx: RouteContext, p: Params, live: boolean): unknown {
  usdtFutures(p);
  const planType = need(p, 'planType');
  const plans = ctx.book.plans.filter((plan) => plan.venue === 'mix' && (!p.symbol || plan.symbol === p.symbol) && (plan.status === 'live') === live && planTypeMatches(plan, planType) && (!p.clientOid || plan.clientOid === p.clientOid));
  return { entrustedList: plans.map((plan) => json.mixPlanJson(ctx.book, plan)), endId: plans.at(-1)?.orderId ?? '' };
}

export function isPrivate(method: string, path: string): boolean {
  return `${method} ${path}` in PRIVATE;
}

export function route(ctx: RouteContext, method: string, path: string, params: Params): unknown {
  const handler = PUBLIC[`${method} ${path}`] ?? PRIVATE[`${method} ${path}`];
  if (!handler) throw new BitgetReject('40404', `Request URL NOT FOUND: ${method} ${path}`, 404);
  return handler(ctx, params);
}
