/**
 * The REST routes of the Bybit v5 emulator: `METHOD /path` with its params (query string or JSON
 * body, already authenticated) → the `result` of Bybit's answer, or a BybitReject.
 */
import type { Candle } from '../../../src/domain/types.ts';
import type { BybitBook } from './bybit-book.ts';
import { executionJson, instrumentJson, klineRows, orderJson, positionJson, tickerJson, walletJson } from './bybit-json.ts';
import { BybitReject, type Category } from './bybit-types.ts';

/** what GET /v5/user/query-api reports for the key; tests flip them */
export interface BybitKeyInfo {
  /** 0 read and write, 1 read only */
  readOnly: 0 | 1;
  permissions: {
    ContractTrade: string[];
    Spot: string[];
    /** "Withdraw" here means the key can withdraw (master accounts) */
    Wallet: string[];
    Options: string[];
    Derivatives: string[];
    Exchange: string[];
  };
  /** 1: the account is a unified trading account */
  uta: 0 | 1;
}

export interface BybitRouteContext {
  book: BybitBook;
  now: () => number;
  apiKey: string;
  keyInfo: BybitKeyInfo;
  /** symbol → candles the kline route serves (any interval), oldest first */
  candles: Map<string, readonly Candle[]>;
}

type Params = Record<string, unknown>;
const s = (value: unknown): string | undefined => (value === undefined || value === null || value === '' ? undefined : String(value));

/** routes that change the account: refused for a read-only key (10005) */
const WRITES = new Set(['POST /v5/order/create', 'POST /v5/order/amend', 'POST /v5/order/cancel', 'POST /v5/position/set-leverage', 'POST /v5/account/set-margin-mode', 'POST /v5/position/switch-isolated']);

export function route(ctx: BybitRouteContext, method: string, path: string, p: Params): unknown {
  const { book, now, keyInfo } = ctx;
  const key = `${method} ${path}`;
  if (WRITES.has(key) && keyInfo.readOnly === 1) throw new BybitReject(10005, 'Permission denied, please check your API key permissions.');
  switch (key) {
    case 'GET /v5/market/time':
      return { timeSecond: String(Math.floor(now() / 1000)), timeNano: `${now()}000000` };
    case 'GET /v5/market/instruments-info': {
      const category = categoryOf(p.category);
      // no pre-launch contracts here; a symbol narrows the list
      const list = s(p.status) === 'PreLaunch' ? [] : [...book.markets.values()].filter((m) => s(p.symbol) === undefined || m.symbol === s(p.symbol));
      return { category, list: list.map((m) => instrumentJson(m, category)), nextPageCursor: '' };
    }
    case 'GET /v5/market/tickers': {
      const category = categoryOf(p.category);
      const list = s(p.symbol) === undefined ? [...book.markets.values()] : [book.market(s(p.symbol), category)];
      return { category, list: list.map((m) => tickerJson(book, m, category)) };
    }
    case 'GET /v5/market/kline': {
      const category = categoryOf(p.category);
      const market = book.market(s(p.symbol), category);
      return { category, symbol: market.symbol, list: klineRows(ctx.candles.get(market.symbol) ?? [], p as Record<string, string>) };
    }
    case 'GET /v5/user/query-api':
      return {
        id: '13770661',
        note: 'emulator',
        apiKey: ctx.apiKey,
        readOnly: keyInfo.readOnly,
        secret: '',
        permissions: { ...keyInfo.permissions, CopyTrading: [], BlockTrade: [], NFT: [], Affiliate: [], Earn: [] },
        ips: ['*'],
        type: 1,
        deadlineDay: 83,
        expiredAt: '2027-03-01T00:00:00Z',
        createdAt: '2026-11-01T00:00:00Z',
        unified: 0,
        uta: keyInfo.uta,
        userID: 24_600_000,
        inviterID: 0,
        vipLevel: 'No VIP',
        mktMakerLevel: '0',
        affiliateID: 0,
        rsaPublicKey: '',
        isMaster: true,
        parentUid: '0',
        kycLevel: 'LEVEL_1',
        kycRegion: '',
      };
    case 'GET /v5/asset/coin/query-info': {
      // ccxt asks for it (signed) on every loadMarkets with a key: one chain per coin
      const coins = new Set<string>();
      for (const m of book.markets.values()) coins.add(m.base).add(m.quote);
      return {
        rows: [...coins].map((coin) => ({
          name: coin,
          coin,
          remainAmount: '1000000',
          chains: [{ chainType: coin, confirmation: '6', withdrawFee: '0.0005', depositMin: '0', withdrawMin: '0.001', chain: coin, chainDeposit: '1', chainWithdraw: '1', minAccuracy: '8', withdrawPercentageFee: '0' }],
        })),
      };
    }
    case 'GET /v5/account/info':
      return { marginMode: book.marginMode, updatedTime: String(now()), unifiedMarginStatus: 6, dcpStatus: 'OFF', timeWindow: 10, smpGroup: 0, isMasterTrader: false, spotHedgingStatus: 'OFF' };
    case 'GET /v5/account/wallet-balance':
      if (s(p.accountType) !== 'UNIFIED') throw new BybitReject(10001, 'accountType only support UNIFIED.');
      return walletJson(book, s(p.coin));
    case 'POST /v5/account/set-margin-mode':
      return book.setMarginMode(s(p.setMarginMode));
    case 'POST /v5/position/switch-isolated':
      throw new BybitReject(100028, 'The API cannot be accessed by unified account users.');
    case 'POST /v5/position/set-leverage':
      categoryOf(p.category, 'linear');
      book.setLeverage(book.market(s(p.symbol)).symbol, s(p.buyLeverage), s(p.sellLeverage));
      return {};
    case 'GET /v5/position/list': {
      categoryOf(p.category, 'linear');
      if (s(p.symbol) === undefined && s(p.settleCoin) === undefined && s(p.baseCoin) === undefined) throw new BybitReject(10001, 'params error: symbol or settleCoin is required');
      const symbol = s(p.symbol) === undefined ? undefined : book.market(s(p.symbol)).symbol;
      // a named symbol is listed even at size 0 (side ""); otherwise only open positions
      const list = symbol !== undefined ? [book.position(symbol)] : [...book.positions.values()].filter((x) => x.size !== 0);
      return { category: 'linear', list: list.map((x) => positionJson(book, x)), nextPageCursor: '' };
    }
    case 'POST /v5/order/create': {
      const order = book.placeOrder(p);
      return { orderId: order.orderId, orderLinkId: order.orderLinkId };
    }
    case 'POST /v5/order/amend': {
      const order = book.amend(p);
      return { orderId: order.orderId, orderLinkId: order.orderLinkId };
    }
    case 'POST /v5/order/cancel': {
      const order = book.cancel(p);
      return { orderId: order.orderId, orderLinkId: order.orderLinkId };
    }
    case 'GET /v5/order/realtime':
    case 'GET /v5/order/history': {
      const category = categoryOf(p.category);
      const byId = s(p.orderId) !== undefined || s(p.orderLinkId) !== undefined;
      const filter = s(p.orderFilter);
      const pool = key === 'GET /v5/order/history' ? book.orders.filter((o) => o.category === category) : book.recent(category);
      const rows = pool.filter(
        (o) =>
          (s(p.symbol) === undefined || o.symbol === s(p.symbol)) &&
          (s(p.orderId) === undefined || o.orderId === s(p.orderId)) &&
          (s(p.orderLinkId) === undefined || o.orderLinkId === s(p.orderLinkId)) &&
          (filter === undefined || (filter === 'StopOrder' ? o.triggerPrice > 0 && o.orderFilter !== 'tpslOrder' : filter === 'tpslOrder' ? o.orderFilter === 'tpslOrder' : o.triggerPrice === 0)) &&
          // realtime without an id: open orders, or (openOnly 1) the recent closed ones
          (key === 'GET /v5/order/history' || byId || book.isOpen(o) === (Number(p.openOnly ?? 0) === 0)),
      );
      const limit = Math.min(Number(p.limit ?? 20), 50);
      return { category, list: rows.reverse().slice(0, limit).map(orderJson), nextPageCursor: '' };
    }
    case 'GET /v5/execution/list': {
      const category = categoryOf(p.category);
      const start = Number(p.startTime ?? Number.NEGATIVE_INFINITY);
      const end = Number(p.endTime ?? Number.POSITIVE_INFINITY);
      const rows = book.executions.filter(
        (e) =>
          e.category === category &&
          (s(p.symbol) === undefined || e.symbol === s(p.symbol)) &&
          (s(p.orderId) === undefined || e.orderId === s(p.orderId)) &&
          (s(p.orderLinkId) === undefined || e.orderLinkId === s(p.orderLinkId)) &&
          e.execTime >= start &&
          e.execTime <= end,
      );
      const limit = Math.min(Number(p.limit ?? 50), 100);
      return { category, list: rows.reverse().slice(0, limit).map(executionJson), nextPageCursor: '' };
    }
    default:
      throw new BybitReject(10017, `Route not found: ${key}`, 404);
  }
}

function categoryOf(value: unknown, only?: Category): Category {
  if ((value === 'spot' || value === 'linear') && (only === undefined || value === only)) return value;
  throw new BybitReject(10001, `params error: Category is invalid${only ? ` (only ${only})` : ''}`);
}
