/**
 * An HTTP server speaking the part of Binance's spot (/api/v3), margin (/sapi/v1/margin) and
 * USDⓈ-M futures (/fapi) REST API that ccxt uses for markets, tickers, balance, positions, orders,
 * leverage, margin type and position mode (one-way or hedge).
 * Signed endpoints check X-MBX-APIKEY and the HMAC-SHA256 signature. Every request is logged;
 * faults (429 with Retry-After, 5xx, a timeout, a response dropped after the order was accepted,
 * an order executed only seconds after its request went unanswered) are injected per path. Start it on port 0 and point ccxt's urls.api at `ccxtApiUrls()`.
 * Also: the key's permissions (/sapi/v1/account/apiRestrictions, `permissions`) and klines
 * (/api/v3/klines, /fapi/v1/klines) from a candle list set per symbol (`setCandles`).
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ccxtApiUrls, klinesJson, readBody, send } from './binance-http.ts';
import type { AddressInfo, Socket } from 'node:net';
import type { Candle } from '../../../src/domain/types.ts';
import { attachBinanceStreams, type BinanceStreams } from './binance-ws.ts';
import { BinanceBook, BinanceReject, DEFAULT_MARKETS, MAINT_RATE, type EmulatorMarket, type Venue } from './binance-book.ts';
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
import { setMarginType, setPositionMode } from './binance-futures.ts';
import { fireRestingOrders } from './binance-triggers.ts';
import { algoOrderJson, cancelAlgoOrder, findAlgoOrder, fireAlgoOrders, placeAlgoOrder } from './binance-algo.ts';
import { cancelledOrderJson, newOrderJson, orderJson, tradesJson } from './binance-orders-json.ts';

export interface LoggedRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  signed: boolean;
}

export type FaultKind =
  | { kind: 'rate-limit'; retryAfterSec: number }
  | { kind: 'server-error'; status?: number }
  /** never answer (the client times out); the request is NOT processed */
  | { kind: 'timeout' }
  /** process the request (the order is accepted), then drop the connection without an answer */
  | { kind: 'drop-after-accept' }
  /**
   * a slow exchange: take the request, never answer it (the client times out), and process it
   * only `delayMs` later; until then a lookup of the order answers -2013 "Order does not exist."
   */
  | { kind: 'hold-then-execute'; delayMs: number };

export interface Fault {
  method?: string;
  path: string;
  /** how many matching requests it hits (default 1) */
  times?: number;
  fault: FaultKind;
}

export interface BinanceEmulatorOptions {
  apiKey?: string;
  secret?: string;
  markets?: EmulatorMarket[];
  now?: () => number;
}

export interface BinanceEmulator {
  readonly url: string;
  readonly book: BinanceBook;
  readonly requests: LoggedRequest[];
  readonly apiKey: string;
  readonly secret: string;
  /** websocket market streams (miniTicker) on ws://…/ws */
  readonly streams: BinanceStreams;
  /** what /sapi/v1/account/apiRestrictions reports for the key; tests flip the flags */
  readonly permissions: ApiRestrictions;
  /** the candles /api/v3/klines and /fapi/v1/klines serve for a symbol id (any interval), oldest first */
  setCandles(symbolId: string, candles: readonly Candle[]): void;
  /** sets the price and pushes it to websocket subscribers */
  setPrice(symbolId: string, price: number): void;
  inject(fault: Fault): void;
  /** urls.api entries for ccxt binance pointing at this server */
  ccxtApiUrls(): Record<string, string | Record<string, string>>;
  /** requests whose path equals `path` */
  count(path: string, method?: string): number;
  close(): Promise<void>;
}

export interface ApiRestrictions {
  enableReading: boolean;
  enableWithdrawals: boolean;
  enableSpotAndMarginTrading: boolean;
  enableFutures: boolean;
  enableMargin: boolean;
  ipRestrict: boolean;
}

const PRIVATE_PREFIXES = ['/api/v3/account', '/api/v3/order', '/api/v3/openOrders', '/api/v3/myTrades', '/fapi/v1/userTrades', '/fapi/v1/positionSide', '/fapi/v1/order', '/fapi/v1/openOrders', '/fapi/v1/algoOrder', '/fapi/v1/openAlgoOrders', '/fapi/v1/leverage', '/fapi/v1/marginType', '/fapi/v1/leverageBracket', '/fapi/v2/', '/fapi/v3/', '/sapi/'];

export async function startBinanceEmulator(options: BinanceEmulatorOptions = {}): Promise<BinanceEmulator> {
  const apiKey = options.apiKey ?? 'emulator-key';
  const secret = options.secret ?? 'emulator-secret';
  const now = options.now ?? Date.now;
  const book = new BinanceBook(options.markets ?? DEFAULT_MARKETS, now);
  const requests: LoggedRequest[] = [];
  const faults: Array<Fault & { left: number }> = [];
  const sockets = new Set<Socket>();
  /** requests taken by a hold-then-execute fault, still to be processed */
  const held = new Set<NodeJS.Timeout>();
  const permissions: ApiRestrictions = { enableReading: true, enableWithdrawals: false, enableSpotAndMarginTrading: true, enableFutures: true, enableMargin: false, ipRestrict: false };
  const candles = new Map<string, readonly Candle[]>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => send(res, 500, { code: -1000, msg: String(error) }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const raw = req.method === 'POST' || req.method === 'PUT' ? body : url.search.slice(1);
    const params = Object.fromEntries(new URLSearchParams(raw));
    const method = req.method ?? 'GET';
    const signed = PRIVATE_PREFIXES.some((prefix) => url.pathname.startsWith(prefix));
    requests.push({ method, path: url.pathname, params, signed });

    const fault = takeFault(method, url.pathname);
    if (fault?.kind === 'rate-limit') {
      res.setHeader('Retry-After', String(fault.retryAfterSec));
      return send(res, 429, { code: -1003, msg: 'Too many requests; current limit of IP is 6000 requests per minute.' });
    }
    if (fault?.kind === 'server-error') return send(res, fault.status ?? 503, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' });
    if (fault?.kind === 'timeout') return; // the socket stays open until the client gives up

    if (signed) {
      const problem = checkSignature(req, raw);
      if (problem) return send(res, 401, problem);
    }
    if (fault?.kind === 'hold-then-execute') {
      const timer = setTimeout(() => {
        held.delete(timer);
        try {
          route(method, url.pathname, params);
        } catch (error) {
          if (!(error instanceof BinanceReject)) throw error;
        }
      }, fault.delayMs);
      held.add(timer);
      return; // no answer: the socket stays open until the client gives up
    }
    try {
      const result = route(method, url.pathname, params);
      if (fault?.kind === 'drop-after-accept') {
        res.socket?.destroy();
        return;
      }
      send(res, 200, result);
    } catch (error) {
      if (error instanceof BinanceReject) return send(res, error.status, { code: error.code, msg: error.message });
      throw error;
    }
  }

  function takeFault(method: string, path: string): FaultKind | undefined {
    const index = faults.findIndex((f) => f.path === path && (f.method === undefined || f.method === method));
    if (index < 0) return undefined;
    const fault = faults[index]!;
    fault.left -= 1;
    if (fault.left <= 0) faults.splice(index, 1);
    return fault.fault;
  }

  function checkSignature(req: IncomingMessage, raw: string): { code: number; msg: string } | undefined {
    if (req.headers['x-mbx-apikey'] !== apiKey) return { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' };
    const at = raw.lastIndexOf('&signature=');
    if (at < 0) return { code: -1102, msg: "Mandatory parameter 'signature' was not sent, was empty/null, or malformed." };
    const expected = createHmac('sha256', secret).update(raw.slice(0, at)).digest('hex');
    if (raw.slice(at + '&signature='.length) !== expected) return { code: -1022, msg: 'Signature for this request is not valid.' };
    return undefined;
  }

  function route(method: string, path: string, p: Record<string, string>): unknown {
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
      case 'GET /fapi/v1/leverageBracket':
        return [...book.markets.values()].map((m) => ({
          symbol: m.id,
          brackets: [{ bracket: 1, initialLeverage: 125, notionalCap: 1e9, notionalFloor: 0, maintMarginRatio: MAINT_RATE, cum: 0 }],
        }));
      case 'GET /fapi/v2/positionRisk':
      case 'GET /fapi/v3/positionRisk':
        return positionRiskJson(book, now, p.symbol);
      case 'POST /fapi/v1/leverage': {
        const symbol = book.market(p.symbol ?? '').id;
        const leverage = Number(p.leverage);
        if (!Number.isInteger(leverage) || leverage < 1 || leverage > 125) throw new BinanceReject(-4028, `Leverage ${p.leverage} is not valid`);
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

  const streams = attachBinanceStreams(server, book, now);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    book,
    requests,
    apiKey,
    secret,
    streams,
    permissions,
    setCandles(symbolId, list) {
      book.market(symbolId);
      candles.set(symbolId, [...list]);
    },
    setPrice(symbolId, price) {
      book.market(symbolId);
      book.prices.set(symbolId, price);
      fireRestingOrders(book, symbolId);
      fireAlgoOrders(book, symbolId, now());
      streams.push(symbolId);
    },
    inject(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    ccxtApiUrls: () => ccxtApiUrls(url),
    count(path, method) {
      return requests.filter((r) => r.path === path && (method === undefined || r.method === method)).length;
    },
    async close() {
      for (const timer of held) clearTimeout(timer);
      await streams.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function venueOf(path: string): Venue {
  return path.startsWith('/fapi') ? 'futures' : path.startsWith('/sapi') ? 'margin' : 'spot';
}

function orderRef(p: Record<string, string>): { orderId?: string; clientOrderId?: string; isIsolated: boolean } {
  const isIsolated = p.isIsolated === 'TRUE' || p.isIsolated === 'true';
  return p.orderId !== undefined ? { orderId: p.orderId, isIsolated } : { clientOrderId: p.origClientOrderId ?? '', isIsolated };
}
