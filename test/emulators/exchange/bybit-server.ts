/**
 * An HTTP server speaking the part of Bybit's v5 REST API (unified trading account) that ccxt's
 * `bybit` class uses for markets, tickers, klines, the key's info, the wallet, positions,
 * leverage, margin mode and orders (plain, conditional, amended in place) with their executions.
 *
 * Private routes check Bybit's authentication exactly: X-BAPI-API-KEY, X-BAPI-TIMESTAMP,
 * X-BAPI-RECV-WINDOW and X-BAPI-SIGN = hex HMAC-SHA256(secret, timestamp + apiKey + recvWindow +
 * query string (GET) or JSON body (POST)); a wrong key → 10003, a wrong signature → 10004, a
 * timestamp outside the window → 10002. Every request is logged; faults (10006 rate limit,
 * 10016 system error, a 502 from the gateway, a timeout, an answer dropped after the order was
 * taken, an order executed only later) are injected per path. Start it on port 0 and point
 * ccxt's urls.api at `ccxtApiUrls()`. Routes: bybit-routes.ts; state: bybit-book.ts.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Candle } from '../../../src/domain/types.ts';
import { readBody } from './binance-http.ts';
import { countRequests, createEmulatorServer, FaultQueue, onRoute, type InjectedFault, type ExchangeEmulatorBase } from './emulator-http.ts';
import { BybitBook } from './bybit-book.ts';
import { attachBybitStreams, type BybitStreams } from './bybit-ws.ts';
import { route, type BybitKeyInfo } from './bybit-routes.ts';
import { BybitReject, DEFAULT_BYBIT_MARKETS, type BybitMarket } from './bybit-types.ts';

export type { BybitKeyInfo } from './bybit-routes.ts';

export interface BybitLoggedRequest {
  method: string;
  path: string;
  params: Record<string, unknown>;
  signed: boolean;
  /** the answer's retCode (0 = success); undefined when no JSON answer was sent */
  retCode?: number;
}

export type BybitFaultKind =
  /** retCode 10006 "Too many visits!" with Bybit's X-Bapi-Limit headers; not processed */
  | { kind: 'rate-limit' }
  /** retCode 10016 (HTTP 200); not processed */
  | { kind: 'system-error' }
  /** the gateway answers an HTTP error page (default 502); not processed */
  | { kind: 'server-error'; status?: number }
  /** never answer (the client times out); the request is NOT processed */
  | { kind: 'timeout' }
  /** process the request (the order is taken), then drop the connection without an answer */
  | { kind: 'drop-after-accept' }
  /** take the request, never answer, process it `delayMs` later (a lookup until then finds nothing) */
  | { kind: 'hold-then-execute'; delayMs: number };

/** `params` e.g. { orderType: 'Market' } */
export interface BybitFault extends InjectedFault {
  fault: BybitFaultKind;
}

export interface BybitEmulatorOptions {
  apiKey?: string;
  secret?: string;
  markets?: BybitMarket[];
  now?: () => number;
}

export interface BybitEmulator extends ExchangeEmulatorBase<BybitBook, BybitLoggedRequest, BybitFault, Record<string, string | Record<string, unknown>>> {
  /** public ticker streams (ws://…/v5/public/spot and /linear) */
  readonly streams: BybitStreams;
  /** what /v5/user/query-api reports; tests flip readOnly or add "Withdraw" to permissions.Wallet */
  readonly keyInfo: BybitKeyInfo;
  /** the candles /v5/market/kline serves for a symbol id (any interval), oldest first */
  setCandles(symbol: string, candles: readonly Candle[]): void;
  /** sets the last price (spot and perpetual alike); conditional orders it crosses fire */
  setPrice(symbol: string, price: number): void;
  /** requests whose path equals `path` */
  count(path: string, method?: string): number;
}

const PRIVATE_PREFIXES = ['/v5/user/', '/v5/account/', '/v5/position/', '/v5/order/', '/v5/execution/', '/v5/asset/', '/v5/spot-margin-trade/'];

export async function startBybitEmulator(options: BybitEmulatorOptions = {}): Promise<BybitEmulator> {
  const apiKey = options.apiKey ?? 'bybit-emulator-key';
  const secret = options.secret ?? 'bybit-emulator-secret';
  const now = options.now ?? Date.now;
  const book = new BybitBook(options.markets ?? DEFAULT_BYBIT_MARKETS, now);
  const requests: BybitLoggedRequest[] = [];
  const faults = new FaultQueue<BybitFault>();
  const keyInfo: BybitKeyInfo = {
    readOnly: 0,
    permissions: { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'], Wallet: ['AccountTransfer', 'SubMemberTransfer'], Options: [], Derivatives: ['DerivativesTrade'], Exchange: ['ExchangeHistory'] },
    uta: 1,
  };
  const candles = new Map<string, readonly Candle[]>();
  const context = { book, now, apiKey, keyInfo, candles };

  const http = createEmulatorServer(handle, (res, error) => answer(res, undefined, 500, { retCode: 10016, retMsg: String(error), result: {}, retExtInfo: {}, time: now() }));

  function answer(res: ServerResponse, logged: BybitLoggedRequest | undefined, status: number, body: { retCode: number } & Record<string, unknown>, headers: Record<string, string> = {}): void {
    if (logged) logged.retCode = body.retCode;
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
  const ok = (result: unknown) => ({ retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: now() });
  const refusal = (error: BybitReject) => ({ retCode: error.retCode, retMsg: error.message, result: {}, retExtInfo: {}, time: now() });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const query = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
    let params: Record<string, unknown>;
    try {
      params = method === 'POST' ? (body === '' ? {} : (JSON.parse(body) as Record<string, unknown>)) : Object.fromEntries(new URLSearchParams(query));
    } catch {
      return answer(res, undefined, 200, refusal(new BybitReject(10001, 'params error: request body is not valid JSON')));
    }
    const signed = PRIVATE_PREFIXES.some((prefix) => url.pathname.startsWith(prefix));
    const logged: BybitLoggedRequest = { method, path: url.pathname, params, signed };
    requests.push(logged);

    const fault = faults.take(onRoute(method, url.pathname, params))?.fault;
    if (fault?.kind === 'rate-limit') {
      return answer(res, logged, 200, { retCode: 10006, retMsg: 'Too many visits!', result: {}, retExtInfo: {}, time: now() }, { 'X-Bapi-Limit': '10', 'X-Bapi-Limit-Status': '0', 'X-Bapi-Limit-Reset-Timestamp': String(now() + 1_000) });
    }
    if (fault?.kind === 'system-error') return answer(res, logged, 200, { retCode: 10016, retMsg: 'Internal system error.', result: {}, retExtInfo: {}, time: now() });
    if (fault?.kind === 'server-error') {
      res.writeHead(fault.status ?? 502, { 'content-type': 'text/html' });
      res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>');
      return;
    }
    if (fault?.kind === 'timeout') return;

    if (signed) {
      const problem = checkAuth(req, method === 'POST' ? body : query);
      if (problem) return answer(res, logged, 401, refusal(problem));
    }
    if (fault?.kind === 'hold-then-execute') {
      http.hold(fault.delayMs, () => route(context, method, url.pathname, params), (error) => error instanceof BybitReject);
      return;
    }
    try {
      const result = route(context, method, url.pathname, params);
      if (fault?.kind === 'drop-after-accept') {
        res.socket?.destroy();
        return;
      }
      answer(res, logged, 200, ok(result));
    } catch (error) {
      if (error instanceof BybitReject) return answer(res, logged, error.status, refusal(error));
      throw error;
    }
  }

  /** Bybit v5: HMAC-SHA256 over timestamp + key + recvWindow + payload, hex; the timestamp within the window */
  function checkAuth(req: IncomingMessage, payload: string): BybitReject | undefined {
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const key = header('x-bapi-api-key');
    if (key !== apiKey) return new BybitReject(10003, 'API key is invalid.');
    const timestamp = header('x-bapi-timestamp') ?? '';
    const recvWindow = header('x-bapi-recv-window') ?? '5000';
    const serverTime = now();
    const sent = Number(timestamp);
    if (!Number.isFinite(sent) || sent < serverTime - Number(recvWindow) || sent >= serverTime + 1_000) {
      return new BybitReject(10002, `invalid request, please check your server timestamp or recv_window param. req_timestamp[${timestamp}],server_timestamp[${serverTime}],recv_window[${recvWindow}]`);
    }
    const expected = createHmac('sha256', secret).update(timestamp + key + recvWindow + payload).digest('hex');
    if (header('x-bapi-sign') !== expected) return new BybitReject(10004, `error sign! origin_string[${timestamp + key + recvWindow + payload}]`);
    return undefined;
  }

  const streams = attachBybitStreams(http.server, book, now);
  const url = await http.listen();

  return {
    url,
    book,
    requests,
    apiKey,
    secret,
    keyInfo,
    streams,
    setCandles(symbol, list) {
      book.market(symbol);
      candles.set(symbol, [...list]);
    },
    setPrice(symbol, price) {
      book.market(symbol);
      book.prices.set(symbol, price);
      book.priceMoved(symbol);
      streams.push(symbol);
    },
    inject: (fault) => faults.inject(fault),
    ccxtApiUrls: () => {
      const ws = url.replace('http://', 'ws://');
      const pub = { spot: `${ws}/v5/public/spot`, linear: `${ws}/v5/public/linear`, inverse: `${ws}/v5/public/inverse`, option: `${ws}/v5/public/option` };
      return { spot: url, futures: url, v2: url, public: url, private: url, ws: { public: pub, private: { spot: { unified: `${ws}/v5/private` }, contract: `${ws}/v5/private` } } };
    },
    count: (path, method) => countRequests(requests, path, method),
    close: () => http.close(streams),
  };
}
