/**
 * An HTTP server speaking the part of Binance's spot (/api/v3), margin (/sapi/v1/margin) and
 * USDⓈ-M futures (/fapi) REST API that ccxt uses for markets, tickers, balance, positions, orders,
 * leverage, margin type and position mode (one-way or hedge).
 * Signed endpoints check X-MBX-APIKEY and the HMAC-SHA256 signature. Every request is logged;
 * faults (429 with Retry-After, 5xx, a timeout, a response dropped after the order was accepted,
 * an order executed only seconds after its request went unanswered) are injected per path.
 * Start it on port 0 and point ccxt's urls.api at `ccxtApiUrls()`. Routes: binance-routes.ts.
 * Also: the key's permissions (/sapi/v1/account/apiRestrictions, `permissions`) and klines
 * (/api/v3/klines, /fapi/v1/klines) from a candle list set per symbol (`setCandles`).
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ccxtApiUrls, readBody, send } from './binance-http.ts';
import { countRequests, createEmulatorServer, FaultQueue, onRoute, type InjectedFault, type ExchangeEmulatorBase } from './emulator-http.ts';
import type { Candle } from '../../../src/domain/types.ts';
import { attachBinanceStreams, type BinanceStreams } from './binance-ws.ts';
import { fireAlgoOrders } from './binance-algo.ts';
import { BinanceBook, BinanceReject, DEFAULT_MARKETS, type EmulatorMarket } from './binance-book.ts';
import { route, type ApiRestrictions } from './binance-routes.ts';
import { fireRestingOrders } from './binance-triggers.ts';

export type { ApiRestrictions } from './binance-routes.ts';

export interface LoggedRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  signed: boolean;
  /** ms (Date.now) the request arrived */
  at: number;
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
   * only `delayMs` later (or when the test calls `matchHeld()`); until then a lookup of the order
   * answers -2013 "Order does not exist."
   */
  | { kind: 'hold-then-execute'; delayMs: number }
  /** a slow but working exchange: the request is processed and answered `delayMs` later */
  | { kind: 'slow'; delayMs: number }
  /**
   * a lookup that lags the matching engine: answer -2013 "Order does not exist." without looking,
   * though the order may be on the book (its order lists and trades show it)
   */
  | { kind: 'not-found' };

/** `params` e.g. { type: 'MARKET' } spares stop orders */
export interface Fault extends InjectedFault {
  fault: FaultKind;
}

export interface BinanceEmulatorOptions {
  apiKey?: string;
  secret?: string;
  markets?: EmulatorMarket[];
  now?: () => number;
  /** ms every answer waits before it is worked out, as a distant exchange's round trip (settable as `latencyMs`) */
  latencyMs?: number;
}

export interface BinanceEmulator extends ExchangeEmulatorBase<BinanceBook, LoggedRequest, Fault, Record<string, string | Record<string, string>>> {
  /**
   * Opens another account on this exchange, reached with its own key and secret: its own balances,
   * orders and positions on the same markets and prices (two traders never share a wallet).
   */
  addAccount(apiKey: string, secret: string): BinanceBook;
  /** the book of every account, the first (`book`, the default key's) first */
  readonly books: readonly BinanceBook[];
  /** ms every answer waits before it is worked out (a distant exchange's round trip) */
  latencyMs: number;
  /** websocket market streams (miniTicker) on ws://…/ws */
  readonly streams: BinanceStreams;
  /** what /sapi/v1/account/apiRestrictions reports for the key; tests flip the flags */
  readonly permissions: ApiRestrictions;
  /** the candles /api/v3/klines and /fapi/v1/klines serve for a symbol id (any interval), oldest first */
  setCandles(symbolId: string, candles: readonly Candle[]): void;
  /** sets the price and pushes it to websocket subscribers */
  setPrice(symbolId: string, price: number): void;
  /**
   * Matches every request a hold-then-execute fault still holds, now (at the current price), as if
   * its delay had run out: the test says when the slow exchange catches up. Returns how many.
   */
  matchHeld(): number;
  /**
   * Chooses a fault for a request no injected fault matched (e.g. one order request in ten);
   * undefined = answer normally.
   */
  chaos: ((method: string, path: string, params: Readonly<Record<string, string>>) => FaultKind | undefined) | undefined;
  /** Told of every request as it arrives, and again once its answer has been written (a test's trigger). */
  observe: ((request: LoggedRequest, phase: 'received' | 'answered') => void) | undefined;
  /** requests whose path equals `path` */
  count(path: string, method?: string): number;
}


const PRIVATE_PREFIXES = ['/api/v3/account', '/api/v3/order', '/api/v3/openOrders', '/api/v3/allOrders', '/api/v3/myTrades', '/fapi/v1/userTrades', '/fapi/v1/positionSide', '/fapi/v1/order', '/fapi/v1/openOrders', '/fapi/v1/allOrders', '/fapi/v1/algoOrder', '/fapi/v1/openAlgoOrders', '/fapi/v1/leverage', '/fapi/v1/marginType', '/fapi/v1/leverageBracket', '/fapi/v2/', '/fapi/v3/', '/sapi/'];

export async function startBinanceEmulator(options: BinanceEmulatorOptions = {}): Promise<BinanceEmulator> {
  const apiKey = options.apiKey ?? 'emulator-key';
  const secret = options.secret ?? 'emulator-secret';
  const now = options.now ?? Date.now;
  const book = new BinanceBook(options.markets ?? DEFAULT_MARKETS, now);
  const requests: LoggedRequest[] = [];
  const faults = new FaultQueue<Fault>();
  const permissions: ApiRestrictions = { enableReading: true, enableWithdrawals: false, enableSpotAndMarginTrading: true, enableFutures: true, enableMargin: false, ipRestrict: false };
  const candles = new Map<string, readonly Candle[]>();
  /** API key → its account (the default key's is `book`) */
  const accounts = new Map<string, { secret: string; book: BinanceBook }>([[apiKey, { secret, book }]]);
  const contextOf = (b: BinanceBook) => ({ book: b, now, permissions, candles });

  const http = createEmulatorServer(handle, (res, error) => send(res, 500, { code: -1000, msg: String(error) }));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const raw = req.method === 'POST' || req.method === 'PUT' ? body : url.search.slice(1);
    const params = Object.fromEntries(new URLSearchParams(raw));
    const method = req.method ?? 'GET';
    const signed = PRIVATE_PREFIXES.some((prefix) => url.pathname.startsWith(prefix));
    const logged: LoggedRequest = { method, path: url.pathname, params, signed, at: Date.now() };
    requests.push(logged);
    emulator.observe?.(logged, 'received');
    if (emulator.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, emulator.latencyMs));

    const fault = faults.take(onRoute(method, url.pathname, params))?.fault ?? emulator.chaos?.(method, url.pathname, params);
    if (fault?.kind === 'rate-limit') {
      res.setHeader('Retry-After', String(fault.retryAfterSec));
      return send(res, 429, { code: -1003, msg: 'Too many requests; current limit of IP is 6000 requests per minute.' });
    }
    if (fault?.kind === 'server-error') return send(res, fault.status ?? 503, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' });
    if (fault?.kind === 'timeout') return; // the socket stays open until the client gives up
    if (fault?.kind === 'not-found') return send(res, 400, { code: -2013, msg: 'Order does not exist.' });

    // a signed request works on its key's account; a public one reads the shared markets and prices
    let context = contextOf(book);
    if (signed) {
      const account = accounts.get(String(req.headers['x-mbx-apikey']));
      const problem = checkSignature(account?.secret, raw);
      if (problem) return send(res, 401, problem);
      context = contextOf(account!.book);
    }
    if (fault?.kind === 'hold-then-execute') {
      http.hold(fault.delayMs, () => route(context, method, url.pathname, params), (error) => error instanceof BinanceReject);
      return; // no answer: the socket stays open until the client gives up
    }
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    try {
      const result = route(context, method, url.pathname, params);
      if (fault?.kind === 'drop-after-accept') {
        res.socket?.destroy();
        return;
      }
      send(res, 200, result);
      emulator.observe?.(logged, 'answered');
    } catch (error) {
      if (error instanceof BinanceReject) return send(res, error.status, { code: error.code, msg: error.message });
      throw error;
    }
  }

  function checkSignature(secret: string | undefined, raw: string): { code: number; msg: string } | undefined {
    if (secret === undefined) return { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' };
    const at = raw.lastIndexOf('&signature=');
    if (at < 0) return { code: -1102, msg: "Mandatory parameter 'signature' was not sent, was empty/null, or malformed." };
    const expected = createHmac('sha256', secret).update(raw.slice(0, at)).digest('hex');
    if (raw.slice(at + '&signature='.length) !== expected) return { code: -1022, msg: 'Signature for this request is not valid.' };
    return undefined;
  }

  const streams = attachBinanceStreams(http.server, book, now);
  const url = await http.listen();

  const emulator: BinanceEmulator = {
    chaos: undefined,
    observe: undefined,
    url,
    book,
    requests,
    apiKey,
    secret,
    addAccount(key, keySecret) {
      const opened = book.openAccount(accounts.size * 100_000);
      accounts.set(key, { secret: keySecret, book: opened });
      return opened;
    },
    get books() {
      return [...accounts.values()].map((a) => a.book);
    },
    latencyMs: options.latencyMs ?? 0,
    streams,
    permissions,
    setCandles(symbolId, list) {
      book.market(symbolId);
      candles.set(symbolId, [...list]);
    },
    setPrice(symbolId, price) {
      book.market(symbolId);
      book.prices.set(symbolId, price);
      for (const { book: b } of accounts.values()) {
        fireRestingOrders(b, symbolId);
        fireAlgoOrders(b, symbolId, now());
      }
      streams.push(symbolId);
    },
    inject: (fault) => faults.inject(fault),
    matchHeld: () => http.matchHeld(),
    ccxtApiUrls: () => ccxtApiUrls(url),
    count: (path, method) => countRequests(requests, path, method),
    close: () => http.close(streams),
  };
  return emulator;
}
