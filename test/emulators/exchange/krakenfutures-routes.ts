/**
 * Kraken Futures endpoints → answers, shaped after Kraken's documented responses
 * (docs.kraken.com futures REST): `result: "success"` with the payload, or `result: "error"` with
 * an `error` code; order actions answer `sendStatus` / `cancelStatus` whose `status` carries a
 * refusal (insufficientAvailableFunds, wouldNotReducePosition, …).
 */
import type { Candle } from '../../../src/domain/types.ts';
import { KrakenFuturesBook, ORDER_STATUS_MEMORY_MS, OrderRefusal, type KrakenOrder, type OrderType } from './krakenfutures-book.ts';

export interface KrakenContext {
  book: KrakenFuturesBook;
  /** candles per instrument id, oldest first, served for any interval */
  candles: Map<string, readonly Candle[]>;
}

/** a request Kraken answers with `result: "error"` (HTTP status, error code) */
export class KrakenError extends Error {
  constructor(
    readonly code: string,
    readonly status = 200,
  ) {
    super(code);
  }
}

type Params = Record<string, string | string[]>;

const iso = (ms: number) => new Date(ms).toISOString();
const one = (p: Params, key: string): string | undefined => {
  const v = p[key];
  return Array.isArray(v) ? v[0] : v;
};
const many = (p: Params, key: string): string[] => {
  const v = p[key];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x) => x !== '');
};

export function route(ctx: KrakenContext, method: string, path: string, p: Params): unknown {
  const { book } = ctx;
  const serverTime = iso(book.now());
  const ok = (payload: object) => ({ result: 'success', ...payload, serverTime });
  const key = `${method} ${path}`;
  if (key === 'GET /derivatives/api/v3/instruments') return ok({ instruments: [...book.instruments.values()].map(instrumentJson) });
  if (key === 'GET /derivatives/api/v3/tickers') return ok({ tickers: [...book.instruments.keys()].map((s) => tickerJson(book, s)) });
  if (method === 'GET' && path.startsWith('/derivatives/api/v3/tickers/')) return ok({ ticker: tickerJson(book, book.instrument(path.split('/').at(-1)!).symbol) });
  if (method === 'GET' && path.startsWith('/api/charts/v1/')) return candlesJson(ctx, path, p);
  if (key === 'GET /derivatives/api/v3/accounts') return ok({ accounts: accountsJson(book) });
  if (key === 'GET /derivatives/api/v3/openpositions') return ok({ openPositions: positionsJson(book) });
  if (key === 'GET /derivatives/api/v3/leveragepreferences') return ok({ leveragePreferences: [...book.leveragePreferences].map(([symbol, maxLeverage]) => ({ symbol, maxLeverage })) });
  if (key === 'PUT /derivatives/api/v3/leveragepreferences') return setLeverage(book, p, ok);
  if (key === 'POST /derivatives/api/v3/sendorder') return ok({ sendStatus: sendOrder(book, p) });
  if (key === 'POST /derivatives/api/v3/cancelorder') return ok({ cancelStatus: cancelOrder(book, p) });
  if (key === 'POST /derivatives/api/v3/editorder') return ok({ editStatus: editOrder(book, p) });
  if (key === 'GET /derivatives/api/v3/openorders') return ok({ openOrders: book.orders.filter((o) => o.status === 'open').map(openOrderJson) });
  if (key === 'GET /derivatives/api/v3/orders/status' || key === 'POST /derivatives/api/v3/orders/status') return ok({ orders: orderStatus(book, p) });
  if (key === 'GET /derivatives/api/v3/fills') return ok({ fills: book.fills.slice(-100).reverse().map(fillJson) });
  throw new KrakenError('notFound', 404);
}

function instrumentJson(i: KrakenFuturesBook['instruments'] extends Map<string, infer T> ? T : never) {
  return {
    symbol: i.symbol,
    type: i.type,
    underlying: i.type === 'flexible_futures' ? undefined : `rr_${i.base.toLowerCase()}usd`,
    tickSize: i.tickSize,
    contractSize: i.contractSize,
    tradeable: i.tradeable ?? true,
    impactMidSize: 1,
    maxPositionSize: 1_000_000,
    openingDate: '2022-01-01T00:00:00.000Z',
    marginLevels: [
      { ...(i.type === 'flexible_futures' ? { numNonContractUnits: 0 } : { contracts: 0 }), initialMargin: i.initialMargin, maintenanceMargin: i.maintenanceMargin },
      { ...(i.type === 'flexible_futures' ? { numNonContractUnits: 500_000 } : { contracts: 500_000 }), initialMargin: i.initialMargin * 2, maintenanceMargin: i.maintenanceMargin * 2 },
    ],
    fundingRateCoefficient: 8,
    maxRelativeFundingRate: 0.001,
    ...(i.lastTradingTime ? { lastTradingTime: i.lastTradingTime } : {}),
    contractValueTradePrecision: i.contractValueTradePrecision,
    postOnly: false,
    feeScheduleUid: 'eef90775-995b-4596-9257-0917f6134766',
    retailMarginLevels: [{ ...(i.type === 'flexible_futures' ? { numNonContractUnits: 0 } : { contracts: 0 }), initialMargin: 0.5, maintenanceMargin: 0.25 }],
    category: 'Layer 1',
    tags: [],
    ...(i.type === 'flexible_futures' ? { base: i.base, quote: 'USD', pair: `${i.base}:USD`, isin: undefined } : {}),
  };
}

function tickerJson(book: KrakenFuturesBook, symbol: string) {
  const i = book.instrument(symbol);
  const last = book.price(symbol);
  const tick = i.tickSize;
  return {
    tag: i.lastTradingTime ? 'quarter' : 'perpetual',
    pair: `${i.base}:USD`,
    symbol: i.symbol,
    markPrice: last,
    bid: last - tick,
    bidSize: 1.5,
    ask: last + tick,
    askSize: 2.5,
    vol24h: 1_234.5,
    volumeQuote: 1_234.5 * last,
    openInterest: 5_000,
    open24h: last,
    high24h: last,
    low24h: last,
    last,
    lastTime: iso(book.now()),
    lastSize: 0.01,
    suspended: false,
    fundingRate: 0,
    fundingRatePrediction: 0,
    postOnly: false,
  };
}

/** GET /api/charts/v1/{price_type}/{symbol}/{interval}?from=&to= (seconds) */
function candlesJson(ctx: KrakenContext, path: string, p: Params) {
  const [, , , , priceType, symbol] = path.split('/');
  if (!['trade', 'mark', 'spot'].includes(priceType ?? '')) throw new KrakenError('Bad Request', 400);
  const list = ctx.candles.get(ctx.book.instrument(symbol ?? '').symbol) ?? [];
  const from = one(p, 'from') === undefined ? Number.NEGATIVE_INFINITY : Number(one(p, 'from')) * 1000;
  const to = one(p, 'to') === undefined ? Number.POSITIVE_INFINITY : Number(one(p, 'to')) * 1000;
  const rows = list.filter((c) => c.time >= from && c.time <= to).slice(-2000);
  return { candles: rows.map((c) => ({ time: c.time, open: String(c.open), high: String(c.high), low: String(c.low), close: String(c.close), volume: String(c.volume) })), more_candles: false };
}

function accountsJson(book: KrakenFuturesBook) {
  const currencies: Record<string, object> = {};
  for (const [code, quantity] of book.collateral) {
    const haircut = book.haircuts.get(code) ?? 0;
    currencies[code] = { quantity: quantity.toFixed(8), value: quantity.toFixed(8), collateral: (quantity * (1 - haircut)).toFixed(8), available: quantity.toFixed(8) };
  }
  const unrealized = book.unrealized();
  return {
    cash: { type: 'cashAccount', balances: { xbt: '0.0', usd: '0.0', usdt: '0.0' } },
    flex: {
      type: 'multiCollateralMarginAccount',
      currencies,
      initialMargin: book.initialMargin().toFixed(8),
      initialMarginWithOrders: book.initialMargin().toFixed(8),
      maintenanceMargin: book.maintenanceMargin().toFixed(8),
      balanceValue: book.balanceValue().toFixed(8),
      portfolioValue: (book.balanceValue() + unrealized).toFixed(8),
      collateralValue: (book.marginEquity() - unrealized).toFixed(8),
      pnl: unrealized.toFixed(8),
      unrealizedFunding: '0.0',
      totalUnrealized: unrealized.toFixed(8),
      totalUnrealizedAsMargin: unrealized.toFixed(8),
      availableMargin: book.availableMargin().toFixed(8),
      marginEquity: book.marginEquity().toFixed(8),
    },
  };
}

function positionsJson(book: KrakenFuturesBook) {
  return [...book.positions].map(([symbol, p]) => {
    const leverage = book.leveragePreferences.get(symbol);
    return {
      side: p.size > 0 ? 'long' : 'short',
      symbol,
      price: p.price,
      fillTime: iso(p.fillTime),
      size: Math.abs(p.size),
      unrealizedFunding: 0,
      pnlCurrency: 'USD',
      ...(leverage === undefined ? {} : { maxFixedLeverage: leverage }),
    };
  });
}

/** PUT leveragepreferences: maxLeverage above the contract's own maximum is refused; none clears it (cross) */
function setLeverage(book: KrakenFuturesBook, p: Params, ok: (payload: object) => object) {
  const symbol = book.instrument(one(p, 'symbol') ?? '').symbol;
  const raw = one(p, 'maxLeverage');
  if (raw === undefined) {
    book.leveragePreferences.delete(symbol);
    return ok({});
  }
  const leverage = Number(raw);
  if (!(leverage >= 1) || leverage > book.maxLeverage(symbol)) throw new KrakenError('invalidArgument: maxLeverage');
  book.leveragePreferences.set(symbol, leverage);
  return ok({});
}

function sendOrder(book: KrakenFuturesBook, p: Params) {
  const now = iso(book.now());
  const orderType = one(p, 'orderType') as OrderType | undefined;
  const side = one(p, 'side');
  if (!orderType || !['mkt', 'lmt', 'stp', 'take_profit'].includes(orderType)) return { status: 'invalidOrderType', receivedTime: now, orderEvents: [] };
  if (side !== 'buy' && side !== 'sell') return { status: 'invalidSide', receivedTime: now, orderEvents: [] };
  const num = (k: string) => (one(p, k) === undefined ? undefined : Number(one(p, k)));
  const cliOrdId = one(p, 'cliOrdId');
  try {
    const order = book.place({
      symbol: one(p, 'symbol') ?? '',
      side,
      orderType,
      size: num('size') ?? 0,
      ...(num('limitPrice') === undefined ? {} : { limitPrice: num('limitPrice')! }),
      ...(num('stopPrice') === undefined ? {} : { stopPrice: num('stopPrice')! }),
      reduceOnly: one(p, 'reduceOnly') === 'true',
      ...(cliOrdId === undefined ? {} : { cliOrdId }),
    });
    return { order_id: order.orderId, ...(cliOrdId === undefined ? {} : { cliOrdId }), status: 'placed', receivedTime: now, orderEvents: placeEvents(book, order) };
  } catch (error) {
    if (!(error instanceof OrderRefusal)) throw error;
    if (error.status === 'contractNotFound') throw new KrakenError('contractNotFound');
    return { ...(cliOrdId === undefined ? {} : { cliOrdId }), status: error.status, receivedTime: now, orderEvents: [] };
  }
}

/** what Kraken reports about a new order: its executions (a market order) or its placement */
function placeEvents(book: KrakenFuturesBook, order: KrakenOrder): object[] {
  if (order.orderType === 'stp' || order.orderType === 'take_profit') {
    return [{ orderTrigger: triggerJson(order), type: 'PLACE' }];
  }
  const fills = book.fills.filter((f) => f.order_id === order.orderId);
  if (fills.length === 0) return [{ order: orderJson(order, 0), reducedQuantity: null, type: 'PLACE' }];
  let filledBefore = 0;
  return fills.map((f) => {
    const event = { executionId: f.fill_id, price: f.price, amount: f.size, orderPriorEdit: null, orderPriorExecution: orderJson(order, filledBefore), takerReducedQuantity: null, type: 'EXECUTION' };
    filledBefore += f.size;
    return event;
  });
}

function orderJson(order: KrakenOrder, filled = order.filled) {
  return {
    orderId: order.orderId,
    cliOrdId: order.cliOrdId ?? null,
    type: order.orderType === 'mkt' ? 'ioc' : order.orderType,
    symbol: order.symbol,
    side: order.side,
    quantity: order.size,
    filled,
    limitPrice: order.limitPrice ?? (order.side === 'buy' ? 1e9 : 0),
    reduceOnly: order.reduceOnly,
    timestamp: iso(order.receivedTime),
    lastUpdateTimestamp: iso(order.lastUpdateTime),
  };
}

function triggerJson(order: KrakenOrder) {
  return {
    uid: order.orderId,
    clientId: order.cliOrdId ?? null,
    type: order.orderType === 'stp' ? 'stop' : 'take_profit',
    symbol: order.symbol,
    side: order.side,
    quantity: order.size,
    limitPrice: order.limitPrice ?? null,
    triggerPrice: order.stopPrice,
    triggerSide: (order.orderType === 'stp') === (order.side === 'sell') ? 'trigger_below' : 'trigger_above',
    triggerSignal: 'last_price',
    reduceOnly: order.reduceOnly,
    timestamp: iso(order.receivedTime),
    lastUpdateTimestamp: iso(order.lastUpdateTime),
    startTime: null,
  };
}

/** POST editorder by orderId or cliOrdId: `edited` (the order before and after), or `orderForEditNotFound` for one not open */
function editOrder(book: KrakenFuturesBook, p: Params) {
  const now = iso(book.now());
  const id = one(p, 'orderId');
  const cliOrdId = one(p, 'cliOrdId');
  const order = id ? book.orders.find((o) => o.orderId === id) : cliOrdId ? book.orders.findLast((o) => o.cliOrdId === cliOrdId) : undefined;
  if (!order || order.status !== 'open') return { status: 'orderForEditNotFound', receivedTime: now, orderEvents: [] };
  const number = (name: string) => {
    const v = one(p, name);
    return v === undefined || v === '' ? undefined : Number(v);
  };
  const before = order.orderType === 'stp' || order.orderType === 'take_profit' ? triggerJson(order) : orderJson(order);
  try {
    book.edit(order, { size: number('size'), limitPrice: number('limitPrice'), stopPrice: number('stopPrice') });
  } catch (error) {
    if (error instanceof OrderRefusal) return { status: error.status, orderId: order.orderId, receivedTime: now, orderEvents: [] };
    throw error;
  }
  const after = order.orderType === 'stp' || order.orderType === 'take_profit' ? triggerJson(order) : orderJson(order);
  return { status: 'edited', orderId: order.orderId, receivedTime: now, orderEvents: [{ old: before, new: after, reducedQuantity: null, type: 'EDIT' }] };
}

/** POST cancelorder by order_id or cliOrdId: cancelled, or `filled` / `notFound` as Kraken answers */
function cancelOrder(book: KrakenFuturesBook, p: Params) {
  const now = iso(book.now());
  const id = one(p, 'order_id');
  const cliOrdId = one(p, 'cliOrdId');
  const order = id ? book.orders.find((o) => o.orderId === id) : cliOrdId ? book.orders.findLast((o) => o.cliOrdId === cliOrdId) : undefined;
  if (!order || order.status === 'cancelled') return { status: 'notFound', receivedTime: now };
  if (order.status === 'filled') return { status: 'filled', receivedTime: now };
  book.cancel(order);
  const detail = order.orderType === 'stp' || order.orderType === 'take_profit' ? { orderTrigger: triggerJson(order) } : { order: orderJson(order) };
  return { status: 'cancelled', order_id: order.orderId, ...(order.cliOrdId ? { cliOrdId: order.cliOrdId } : {}), receivedTime: now, orderEvents: [{ uid: order.orderId, ...detail, type: 'CANCEL' }] };
}

function openOrderJson(order: KrakenOrder) {
  return {
    order_id: order.orderId,
    ...(order.cliOrdId ? { cliOrdId: order.cliOrdId } : {}),
    symbol: order.symbol,
    side: order.side,
    orderType: order.orderType === 'stp' ? 'stop' : order.orderType,
    ...(order.limitPrice === undefined ? {} : { limitPrice: order.limitPrice }),
    ...(order.stopPrice === undefined ? {} : { stopPrice: order.stopPrice, triggerSignal: 'last' }),
    unfilledSize: order.size - order.filled,
    receivedTime: iso(order.receivedTime),
    status: order.filled > 0 ? 'partiallyFilled' : 'untouched',
    filledSize: order.filled,
    reduceOnly: order.reduceOnly,
    lastUpdateTime: iso(order.lastUpdateTime),
  };
}

/** orders/status: the orders named (orderIds or cliOrdIds) that are open or finished within the last 5 s */
function orderStatus(book: KrakenFuturesBook, p: Params) {
  const ids = new Set(many(p, 'orderIds'));
  const cliIds = new Set(many(p, 'cliOrdIds'));
  const now = book.now();
  const remembered = (o: KrakenOrder) => o.finishedAt === undefined || now - o.finishedAt < ORDER_STATUS_MEMORY_MS;
  return book.orders
    .filter((o) => (ids.has(o.orderId) || (o.cliOrdId !== undefined && cliIds.has(o.cliOrdId))) && remembered(o))
    .map((o) => {
      const trigger = o.orderType === 'stp' || o.orderType === 'take_profit';
      const status = o.status === 'cancelled' ? 'CANCELLED' : o.status === 'filled' ? 'FULLY_EXECUTED' : trigger ? 'TRIGGER_PLACED' : o.filled > 0 ? 'PARTIALLY_FILLED' : 'ENTERED_BOOK';
      return {
        order: {
          type: trigger ? 'TRIGGER_ORDER' : 'ORDER',
          orderId: o.orderId,
          cliOrdId: o.cliOrdId ?? null,
          symbol: o.symbol,
          side: o.side,
          quantity: o.size,
          filled: o.filled,
          limitPrice: o.limitPrice ?? null,
          reduceOnly: o.reduceOnly,
          timestamp: iso(o.receivedTime),
          lastUpdateTimestamp: iso(o.lastUpdateTime),
          ...(trigger ? { priceTriggerOptions: { triggerPrice: o.stopPrice, triggerSide: (o.orderType === 'stp') === (o.side === 'sell') ? 'TRIGGER_BELOW' : 'TRIGGER_ABOVE', triggerSignal: 'LAST_PRICE' } } : {}),
        },
        status,
        updateReason: o.status === 'filled' ? 'LOADING_MARKET' : null,
        error: null,
      };
    });
}

function fillJson(f: KrakenFuturesBook['fills'][number]) {
  return { fill_id: f.fill_id, symbol: f.symbol, side: f.side, order_id: f.order_id, ...(f.cliOrdId ? { cliOrdId: f.cliOrdId } : {}), size: f.size, price: f.price, fillTime: iso(f.fillTime), fillType: f.fillType };
}
