/**
 * `METHOD /0/{public|private}/Name` → Kraken spot's `result` (the server wraps it in
 * `{"error":[],"result":…}`; a KrakenReject becomes `{"error":[text],"result":{}}`).
 */
import type { Candle } from '../../../src/domain/types.ts';
import type { KrakenBook } from './kraken-book.ts';
import { addOrderJson, assetPairsJson, assetsJson, consolidatedPositionsJson, ohlcJson, orderJson, positionsJson, tickerJson, tradeJson } from './kraken-json.ts';
import { KrakenReject, fixed, type KrakenOrder } from './kraken-types.ts';

export interface KrakenRouteContext {
  book: KrakenBook;
  now: () => number;
  /** pair id → candles OHLC serves (any interval) */
  candles: Map<string, readonly Candle[]>;
  /** the key's permissions (Kraken's key settings); a call outside them answers EGeneral:Permission denied */
  permissions: Set<KrakenPermission>;
}

export type KrakenPermission = 'query-funds' | 'query-orders' | 'create-orders' | 'cancel-orders' | 'withdraw';

const NEEDS: Record<string, KrakenPermission> = {
  Balance: 'query-funds',
  BalanceEx: 'query-funds',
  TradeBalance: 'query-funds',
  OpenOrders: 'query-orders',
  ClosedOrders: 'query-orders',
  QueryOrders: 'query-orders',
  TradesHistory: 'query-orders',
  QueryTrades: 'query-orders',
  OpenPositions: 'query-orders',
  AddOrder: 'create-orders',
  CancelOrder: 'cancel-orders',
};

const bool = (v: string | undefined) => v === 'true' || v === 'True' || v === '1';

export function route(ctx: KrakenRouteContext, path: string, p: Record<string, string>): unknown {
  const { book } = ctx;
  const name = path.replace(/^\/0\/(public|private)\//, '');
  const needed = NEEDS[name];
  if (path.startsWith('/0/private/') && needed !== undefined && !ctx.permissions.has(needed)) throw new KrakenReject('EGeneral:Permission denied');
  switch (path) {
    case '/0/public/Time': {
      const now = ctx.now();
      return { unixtime: Math.floor(now / 1000), rfc1123: new Date(now).toUTCString() };
    }
    case '/0/public/SystemStatus':
      return { status: 'online', timestamp: new Date(ctx.now()).toISOString() };
    case '/0/public/Assets':
      return assetsJson();
    case '/0/public/AssetPairs':
      return assetPairsJson(p.pair === undefined ? book.pairs : p.pair.split(',').map((name) => book.pair(name)));
    case '/0/public/Ticker': {
      const pairs = p.pair === undefined ? book.pairs.filter((x) => book.prices.has(x.id)) : p.pair.split(',').map((name) => book.pair(name));
      return Object.fromEntries(pairs.map((pair) => [pair.id, tickerJson(book, pair)]));
    }
    case '/0/public/OHLC': {
      const pair = book.pair(p.pair ?? '');
      const rows = ohlcJson(ctx.candles.get(pair.id) ?? [], pair, p.since);
      return { [pair.id]: rows, last: rows.length > 0 ? (rows.at(-1) as number[])[0] : Math.floor(ctx.now() / 1000) };
    }
    case '/0/private/Balance':
      return Object.fromEntries([...book.balances].map(([asset, qty]) => [asset, fixed(qty, book.asset(asset).decimals)]));
    case '/0/private/BalanceEx':
      return Object.fromEntries(
        [...book.balances].map(([asset, qty]) => {
          const d = book.asset(asset).decimals;
          return [asset, { balance: fixed(qty, d), credit: fixed(0, d), credit_used: fixed(0, d), hold_trade: fixed(book.held(asset), d) }];
        }),
      );
    case '/0/private/TradeBalance': {
      const t = book.tradeBalance();
      const f = (v: number) => fixed(v, 4);
      return { eb: f(t.eb), tb: f(t.tb), m: f(t.m), uv: f(0), n: f(t.n), c: f(t.c), v: f(t.v), e: f(t.e), mf: f(t.mf), ...(t.ml !== undefined ? { ml: f(t.ml) } : {}) };
    }
    case '/0/private/AddOrder':
      return addOrderJson(book.addOrder(p));
    case '/0/private/CancelOrder': {
      if (p.cl_ord_id !== undefined) return { count: book.cancel({ clOrdId: p.cl_ord_id }) };
      if (p.txid === undefined || p.txid === '') throw new KrakenReject('EGeneral:Invalid arguments:txid');
      return { count: book.cancel({ txid: p.txid }) };
    }
    case '/0/private/QueryOrders': {
      if (p.txid === undefined || p.txid.trim() === '') throw new KrakenReject('EGeneral:Invalid arguments:txid');
      const userref = userrefFilter(p.userref);
      const out: Record<string, unknown> = {};
      for (const txid of p.txid.split(',').map((t) => t.trim())) {
        const order = book.orders.find((o) => o.txid === txid);
        if (!order) throw new KrakenReject('EOrder:Unknown order');
        if (userref !== undefined && order.userref !== userref) continue;
        if (p.cl_ord_id !== undefined && order.clOrdId !== p.cl_ord_id) continue;
        out[txid] = orderJson(book, order, bool(p.trades));
      }
      return out;
    }
    case '/0/private/OpenOrders':
      return { open: listed(ctx, p, (o) => o.status === 'open' || o.status === 'pending') };
    case '/0/private/ClosedOrders': {
      const closed = listed(ctx, p, (o) => o.status === 'closed' || o.status === 'canceled' || o.status === 'expired');
      return { closed, count: Object.keys(closed).length };
    }
    case '/0/private/TradesHistory': {
      const start = p.start === undefined ? Number.NEGATIVE_INFINITY : Number(p.start);
      const end = p.end === undefined ? Number.POSITIVE_INFINITY : Number(p.end);
      const trades = book.trades.filter((t) => t.time > start && t.time <= end).slice(-50).reverse();
      return { trades: Object.fromEntries(trades.map((t) => [t.id, tradeJson(book, t)])), count: trades.length };
    }
    case '/0/private/QueryTrades': {
      const ids = (p.txid ?? '').split(',').filter((t) => t !== '');
      if (ids.length === 0) throw new KrakenReject('EGeneral:Invalid arguments:txid');
      return Object.fromEntries(
        ids.map((id) => {
          const trade = book.trades.find((t) => t.id === id);
          if (!trade) throw new KrakenReject('EGeneral:Invalid arguments:txid');
          return [id, tradeJson(book, trade)];
        }),
      );
    }
    case '/0/private/OpenPositions': {
      const lots = book.openLots();
      return p.consolidation === 'market' ? consolidatedPositionsJson(book, lots) : positionsJson(book, lots);
    }
    default:
      throw new KrakenReject('EGeneral:Unknown method');
  }
}

function userrefFilter(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value)) throw new KrakenReject('EGeneral:Invalid arguments:userref');
  return value;
}

/** OpenOrders / ClosedOrders: newest first, filtered by userref, cl_ord_id and start/end (seconds); at most 50 */
function listed(ctx: KrakenRouteContext, p: Record<string, string>, keep: (o: KrakenOrder) => boolean): Record<string, unknown> {
  const userref = userrefFilter(p.userref);
  const start = p.start === undefined ? Number.NEGATIVE_INFINITY : Number(p.start);
  const end = p.end === undefined ? Number.POSITIVE_INFINITY : Number(p.end);
  const orders = ctx.book.orders
    .filter(keep)
    .filter((o) => (userref === undefined || o.userref === userref) && (p.cl_ord_id === undefined || o.clOrdId === p.cl_ord_id) && o.opentm >= start && o.opentm <= end)
    .slice(-50)
    .reverse();
  return Object.fromEntries(orders.map((o) => [o.txid, orderJson(ctx.book, o, bool(p.trades))]));
}
