/**
 * The REST routes of the OKX emulator: `METHOD /api/v5/path` with its params (query, or the JSON
 * body: an object or, for batch endpoints, an array; already authenticated) → OKX's envelope
 * `{code, msg, data}`. Order endpoints answer a refusal per item (`code "1"`, `sCode`/`sMsg`),
 * everything else with the error code itself and empty data.
 */
import type { Candle } from '../../../src/domain/types.ts';
import { amendAlgo, cancelAlgo, findAlgo, placeAlgo } from './okx-algo.ts';
import type { OkxBook, OrderInput } from './okx-book.ts';
import { algoJson, balanceJson, candlesJson, fillJson, instrumentJson, orderJson, positionJson, tickerJson, tradeFeeJson } from './okx-json.ts';
import { marginPositionJson } from './okx-margin.ts';
import { OkxReject } from './okx-types.ts';

export interface Envelope {
  code: string;
  msg: string;
  data: unknown[];
}

/** what GET /account/config reports for the key: `perm` lists read_only, trade and withdraw */
export interface OkxKeyInfo {
  perm: string;
  label: string;
  ip: string;
}

export interface OkxRouteContext {
  book: OkxBook;
  now: () => number;
  key: OkxKeyInfo;
  /** instId → candles served by the candle routes (any bar) */
  candles: Map<string, readonly Candle[]>;
}

const ok = (data: unknown[]): Envelope => ({ code: '0', msg: '', data });

export function route(ctx: OkxRouteContext, method: string, path: string, query: Record<string, string>, body: unknown): Envelope {
  const { book, now } = ctx;
  const p = (Array.isArray(body) ? body[0] : body ?? query) as Record<string, unknown>;
  const s = (name: string): string | undefined => (p[name] === undefined || p[name] === '' ? undefined : String(p[name]));
  switch (`${method} ${path}`) {
    case 'GET /api/v5/public/time':
      return ok([{ ts: String(now()) }]);
    case 'GET /api/v5/system/status':
      return ok([]);
    case 'GET /api/v5/public/instruments':
      return ok([...book.markets.values()].filter((m) => m.instType === query.instType).map(instrumentJson));
    case 'GET /api/v5/market/ticker':
      return ok([tickerJson(book, book.market(query.instId ?? ''), now())]);
    case 'GET /api/v5/market/tickers':
      return ok([...book.markets.values()].filter((m) => m.instType === query.instType && book.prices.has(m.instId)).map((m) => tickerJson(book, m, now())));
    case 'GET /api/v5/market/candles':
    case 'GET /api/v5/market/history-candles':
      return ok(candlesJson(ctx.candles.get(book.market(query.instId ?? '').instId) ?? [], query));
    case 'GET /api/v5/asset/currencies':
      return ok([...new Set([...book.markets.values()].flatMap((m) => [m.baseCcy, m.quoteCcy]))].map((ccy) => ({ ccy, chain: `${ccy}-${ccy}`, name: ccy, canDep: true, canWd: true, canInternal: true, minWd: '0.001', maxWd: '1000000', wdTickSz: '8', minFee: '0.0001', maxFee: '0.001', mainNet: true })));
    case 'GET /api/v5/account/config':
      return ok([{ uid: '44705892343619584', mainUid: '44705892343619584', acctLv: '2', posMode: book.posMode, autoLoan: false, greeksType: 'PA', level: 'Lv1', levelTmp: '', ctIsoMode: 'automatic', mgnIsoMode: 'automatic', spotOffsetType: '', roleType: '0', traderInsts: [], spotRoleType: '0', spotTraderInsts: [], opAuth: '0', kycLv: '2', label: ctx.key.label, ip: ctx.key.ip, perm: ctx.key.perm, liquidationGear: '-1', enableSpotBorrow: false, spotBorrowAutoRepay: false, type: '0' }]);
    case 'GET /api/v5/account/balance':
      return ok([balanceJson(book, now(), query.ccy)]);
    case 'GET /api/v5/account/trade-fee':
      return ok([...book.markets.values()].filter((m) => m.instType === query.instType).slice(0, 1).map(tradeFeeJson));
    case 'GET /api/v5/account/positions': {
      const ids = query.instId === undefined ? undefined : new Set(query.instId.split(','));
      const rows = [...book.positions.values()].filter((x) => x.pos !== 0 && (ids === undefined || ids.has(x.instId)) && (query.instType === undefined || query.instType === 'SWAP'));
      const margin = [...book.marginPositions.values()].filter((x) => (ids === undefined || ids.has(x.instId)) && (query.instType === undefined || query.instType === 'MARGIN'));
      return ok([
        ...rows.map((x) => positionJson(book, x, now())),
        ...margin.map((x) => marginPositionJson(x, book.market(x.instId), book.prices.get(x.instId) ?? x.avgPx, now())),
      ]);
    }
    case 'POST /api/v5/account/set-leverage':
      return setLeverage(book, p);
    case 'POST /api/v5/account/set-position-mode': {
      const mode = s('posMode');
      if (mode !== 'net_mode' && mode !== 'long_short_mode') throw new OkxReject('51000', 'Parameter posMode error');
      if ([...book.positions.values()].some((x) => x.pos !== 0) || book.orders.some((o) => o.instType === 'SWAP' && o.state === 'live')) {
        throw new OkxReject('59000', 'Settings failed. Close any open positions or orders before modifying settings.');
      }
      book.posMode = mode;
      return ok([{ posMode: mode }]);
    }
    case 'POST /api/v5/trade/order':
    case 'POST /api/v5/trade/batch-orders': {
      const items = (Array.isArray(body) ? body : [body]) as Array<Record<string, unknown>>;
      const answers = items.map((item) => {
        try {
          const order = book.placeOrder(item as unknown as OrderInput);
          return { ordId: order.ordId, clOrdId: order.clOrdId, tag: '', ts: String(now()), sCode: '0', sMsg: 'Order placed' };
        } catch (error) {
          if (!(error instanceof OkxReject)) throw error;
          return { ordId: '', clOrdId: String(item.clOrdId ?? ''), tag: '', ts: String(now()), sCode: error.code, sMsg: error.message };
        }
      });
      return perItem(answers, path.endsWith('batch-orders') ? 'All operations failed' : 'Operation failed.');
    }
    case 'GET /api/v5/trade/order': {
      const ref = s('ordId') !== undefined ? { ordId: s('ordId')! } : { clOrdId: s('clOrdId') ?? '' };
      return ok([orderJson(book.findOrder(book.market(s('instId') ?? '').instId, ref))]);
    }
    case 'POST /api/v5/trade/cancel-order':
    case 'POST /api/v5/trade/cancel-batch-orders': {
      const items = (Array.isArray(body) ? body : [body]) as Array<Record<string, unknown>>;
      const answers = items.map((item) => {
        const ref = item.ordId !== undefined ? { ordId: String(item.ordId) } : { clOrdId: String(item.clOrdId ?? '') };
        try {
          const order = book.cancel(book.findOrder(String(item.instId ?? ''), ref));
          return { ordId: order.ordId, clOrdId: order.clOrdId, ts: String(now()), sCode: '0', sMsg: '' };
        } catch (error) {
          if (!(error instanceof OkxReject)) throw error;
          const code = error.code === '51603' ? '51400' : error.code;
          return { ordId: ref.ordId ?? '', clOrdId: ref.clOrdId ?? '', ts: String(now()), sCode: code, sMsg: code === '51400' ? 'Cancellation failed as the order has been filled, canceled or does not exist.' : error.message };
        }
      });
      return perItem(answers, 'Operation failed.');
    }
    case 'GET /api/v5/trade/orders-pending':
      return ok(book.orders.filter((o) => (o.state === 'live' || o.state === 'partially_filled') && (query.instId === undefined || o.instId === query.instId) && (query.instType === undefined || o.instType === query.instType)).reverse().map(orderJson));
    case 'GET /api/v5/trade/orders-history':
      return ok(book.orders.filter((o) => (o.state === 'filled' || o.state === 'canceled') && o.instType === query.instType && (query.instId === undefined || o.instId === query.instId)).reverse().map(orderJson));
    case 'GET /api/v5/trade/fills':
    case 'GET /api/v5/trade/fills-history': {
      const begin = query.begin === undefined ? Number.NEGATIVE_INFINITY : Number(query.begin);
      const end = query.end === undefined ? Number.POSITIVE_INFINITY : Number(query.end);
      const rows = book.fills.filter(
        (f) => f.instType === query.instType && (query.instId === undefined || f.instId === query.instId) && (query.ordId === undefined || f.ordId === query.ordId) && f.ts >= begin && f.ts <= end,
      );
      return ok(rows.reverse().slice(0, Number(query.limit ?? 100)).map(fillJson));
    }
    case 'POST /api/v5/trade/order-algo':
      try {
        const algo = placeAlgo(book, p, now());
        return ok([{ algoId: algo.algoId, algoClOrdId: algo.algoClOrdId, clOrdId: '', tag: '', sCode: '0', sMsg: 'Order placed' }]);
      } catch (error) {
        if (!(error instanceof OkxReject) || !error.perItem) throw error;
        return perItem([{ algoId: '', algoClOrdId: s('algoClOrdId') ?? '', clOrdId: '', tag: '', sCode: error.code, sMsg: error.message }], 'Operation failed.');
      }
    case 'GET /api/v5/trade/order-algo':
      return ok([algoJson(findAlgo(book, s('algoId') !== undefined ? { algoId: s('algoId')! } : { algoClOrdId: s('algoClOrdId') ?? '' }))]);
    case 'POST /api/v5/trade/cancel-algos':
      return perItem((Array.isArray(body) ? body : [body]).map((item) => cancelAlgo(book, item as Record<string, unknown>, now())), 'Operation failed.');
    case 'POST /api/v5/trade/amend-algos':
      try {
        const algo = amendAlgo(book, p, now());
        return ok([{ algoId: algo.algoId, algoClOrdId: algo.algoClOrdId, reqId: s('reqId') ?? '', sCode: '0', sMsg: '' }]);
      } catch (error) {
        if (!(error instanceof OkxReject) || !error.perItem) throw error;
        return perItem([{ algoId: s('algoId') ?? '', algoClOrdId: s('algoClOrdId') ?? '', reqId: '', sCode: error.code, sMsg: error.message }], 'Operation failed.');
      }
    case 'GET /api/v5/trade/orders-algo-pending':
    case 'GET /api/v5/trade/orders-algo-history': {
      const pending = path.endsWith('pending');
      const rows = book.algos.filter(
        (a) =>
          (pending ? a.state === 'live' : a.state !== 'live' && (query.state === undefined || a.state === query.state)) &&
          (query.ordType === undefined || query.ordType.split(',').includes(a.ordType)) &&
          (query.instId === undefined || a.instId === query.instId) &&
          (query.algoId === undefined || a.algoId === query.algoId),
      );
      return ok([...rows].reverse().map(algoJson));
    }
    default:
      throw new OkxReject('50115', `Invalid request method (emulator: no route ${method} ${path})`, 404);
  }
}

/** OKX's answer to a batch: code 0 when all items passed, 1 when all failed, 2 when some did */
function perItem(items: Array<{ sCode: string } & Record<string, unknown>>, failedMsg: string): Envelope {
  const failed = items.filter((i) => i.sCode !== '0').length;
  if (failed === 0) return ok(items);
  return { code: failed === items.length ? '1' : '2', msg: failed === items.length ? failedMsg : 'Bulk operation partially succeeded.', data: items };
}

function setLeverage(book: OkxBook, p: Record<string, unknown>): Envelope {
  const market = book.market(String(p.instId ?? ''));
  if (Number(market.lever) <= 1) throw new OkxReject('51000', 'Parameter instId error');
  const lever = Number(p.lever);
  if (!(lever >= 1) || lever > Number(market.lever)) throw new OkxReject('51000', 'Parameter lever error');
  const mgnMode = p.mgnMode;
  if (mgnMode !== 'cross' && mgnMode !== 'isolated') throw new OkxReject('51000', 'Parameter mgnMode error');
  let posSide = p.posSide === undefined ? 'net' : String(p.posSide);
  if (mgnMode === 'cross' || market.instType === 'SPOT') posSide = 'net'; // cross (and margin) leverage is one per instrument
  else if (book.posMode === 'long_short_mode' && posSide !== 'long' && posSide !== 'short') throw new OkxReject('51000', 'Parameter posSide error');
  book.leverage.set(`${market.instId}:${mgnMode}:${posSide}`, lever);
  for (const position of book.positions.values()) {
    if (position.instId === market.instId && position.mgnMode === mgnMode && (mgnMode === 'cross' || position.posSide === posSide) && position.pos !== 0) position.lever = lever;
  }
  return ok([{ instId: market.instId, lever: String(lever), mgnMode, posSide: mgnMode === 'cross' ? '' : posSide }]);
}
