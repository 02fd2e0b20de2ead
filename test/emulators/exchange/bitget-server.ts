/**
 * An HTTP server speaking the part of Bitget's v2 REST API that ccxt (`bitget`) uses for our
 * flows: markets (spot, margin pairs, USDT-M), tickers, candles, spot wallet, USDT-M account,
 * leverage, margin mode, positions, market orders, fills and trigger orders (spot plan orders,
 * USDT-M position stops). Start it on port 0 and point ccxt's urls.api at `ccxtApiUrls()`.
 *
 * Signed requests are checked as Bitget does: ACCESS-KEY, ACCESS-PASSPHRASE, ACCESS-TIMESTAMP
 * (within 30 s of the wall clock) and ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp +
 * METHOD + path + ('?' + query) + body)); a failure answers Bitget's code (40006 key, 40012
 * passphrase, 40008 timestamp, 40009 signature). Every request is logged; faults are injected
 * per path (429, 5xx, a timeout, an answer dropped after the order was accepted).
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Candle } from '../../../src/domain/types.ts';
import { readBody, send } from './binance-http.ts';
import { countRequests, createEmulatorServer, FaultQueue, onRoute, type InjectedFault, type ExchangeEmulatorBase } from './emulator-http.ts';
import { BitgetBook } from './bitget-book.ts';
import { firePlans } from './bitget-plans.ts';
import { isPrivate, route, type KeyInfo } from './bitget-routes.ts';
import { BitgetReject, DEFAULT_BITGET_MARKETS, type BitgetMarket } from './bitget-types.ts';
import { attachBitgetStreams, type BitgetStreams } from './bitget-ws.ts';

export interface BitgetLoggedRequest {
  method: string;
  path: string;
  params: Record<string, unknown>;
  signed: boolean;
}

export type BitgetFaultKind =
  | { kind: 'rate-limit' }
  | { kind: 'server-error'; status?: number }
  /** never answer (the client times out); the request is NOT processed */
  | { kind: 'timeout' }
  /** process the request (the order is accepted), then drop the connection without an answer */
  | { kind: 'drop-after-accept' }
  /** refuse the request with a Bitget code and message (HTTP 400), without processing it */
  | { kind: 'reject'; code: string; msg: string };

export interface BitgetFault extends InjectedFault {
  fault: BitgetFaultKind;
}

export interface BitgetEmulatorOptions {
  apiKey?: string;
  secret?: string;
  passphrase?: string;
  markets?: BitgetMarket[];
  /** the book's clock (order and fill times); signatures are checked against the wall clock */
  now?: () => number;
}

export interface BitgetEmulator extends ExchangeEmulatorBase<BitgetBook, BitgetLoggedRequest, BitgetFault, Record<string, string | Record<string, string>>> {
  readonly passphrase: string;
  /** what /api/v2/spot/account/info lists for the key; tests change it */
  readonly key: KeyInfo;
  /** the public websocket's ticker channel (ws://…/v2/ws/public) */
  readonly streams: BitgetStreams;
  setCandles(symbolId: string, candles: readonly Candle[]): void;
  /** sets the last (and mark) price of a symbol, spot and USDT-M alike, and fires trigger orders it reaches */
  setPrice(symbolId: string, price: number): void;
  /** requests whose path equals `path` */
  count(path: string, method?: string): number;
}

/** ms a request's timestamp may differ from the server's clock */
const TIMESTAMP_WINDOW_MS = 30_000;
const API_GROUPS = ['spot', 'mix', 'user', 'p2p', 'broker', 'margin', 'common', 'tax', 'convert', 'copy', 'earn', 'uta'];

export async function startBitgetEmulator(options: BitgetEmulatorOptions = {}): Promise<BitgetEmulator> {
  const apiKey = options.apiKey ?? 'bg_emulator-key';
  const secret = options.secret ?? 'emulator-secret';
  const passphrase = options.passphrase ?? 'emulator-passphrase';
  const now = options.now ?? Date.now;
  const book = new BitgetBook(options.markets ?? DEFAULT_BITGET_MARKETS, now);
  const requests: BitgetLoggedRequest[] = [];
  const faults = new FaultQueue<BitgetFault>();
  const key: KeyInfo = { authorities: ['readonly', 'trade'] };
  const candles = new Map<string, readonly Candle[]>();
  const context = { book, now, key, candles };

  const answer = (res: ServerResponse, status: number, code: string, msg: string, data: unknown = null) => send(res, status, { code, msg, requestTime: Date.now(), data });

  const http = createEmulatorServer(handle, (res, error) => answer(res, 500, '40015', `System is abnormal, please try again later: ${String(error)}`));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const query = url.search.slice(1);
    let params: Record<string, unknown>;
    try {
      params = method === 'POST' ? (body ? (JSON.parse(body) as Record<string, unknown>) : {}) : Object.fromEntries(new URLSearchParams(query));
    } catch {
      return answer(res, 400, '40021', 'Json data format error');
    }
    const signed = isPrivate(method, url.pathname);
    requests.push({ method, path: url.pathname, params, signed });

    const fault = faults.take(onRoute(method, url.pathname, params))?.fault;
    if (fault?.kind === 'rate-limit') return answer(res, 429, '429', 'Too Many Requests');
    if (fault?.kind === 'server-error') return answer(res, fault.status ?? 503, '40015', 'System is abnormal, please try again later');
    if (fault?.kind === 'timeout') return; // the socket stays open until the client gives up

    if (signed) {
      const problem = checkSignature(req, method, url.pathname, query, body);
      if (problem) return answer(res, 400, problem.code, problem.msg);
    }
    if (fault?.kind === 'reject') return answer(res, 400, fault.code, fault.msg);
    try {
      const data = route(context, method, url.pathname, params);
      if (fault?.kind === 'drop-after-accept') {
        res.socket?.destroy();
        return;
      }
      answer(res, 200, '00000', 'success', data);
    } catch (error) {
      if (error instanceof BitgetReject) return answer(res, error.status, error.code, error.message);
      throw error;
    }
  }

  function checkSignature(req: IncomingMessage, method: string, path: string, query: string, body: string): { code: string; msg: string } | undefined {
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const key = header('access-key');
    if (!key) return { code: '40001', msg: 'ACCESS_KEY cannot be empty' };
    if (key !== apiKey) return { code: '40006', msg: 'Invalid ACCESS_KEY' };
    const sign = header('access-sign');
    if (!sign) return { code: '40003', msg: 'Signature cannot be empty' };
    const timestamp = header('access-timestamp');
    if (!timestamp || !/^\d{13}$/.test(timestamp)) return { code: '40005', msg: 'Invalid ACCESS_TIMESTAMP' };
    if (Math.abs(Date.now() - Number(timestamp)) > TIMESTAMP_WINDOW_MS) return { code: '40008', msg: 'Request timestamp expired' };
    const given = header('access-passphrase');
    if (!given) return { code: '40011', msg: 'ACCESS_PASSPHRASE cannot be empty' };
    if (given !== passphrase) return { code: '40012', msg: 'apikey/password is incorrect' };
    // Bitget signs the query as sent, decoded
    const prehash = timestamp + method + path + (query ? `?${decodeURIComponent(query)}` : '') + body;
    const expected = createHmac('sha256', secret).update(prehash).digest('base64');
    if (sign !== expected) return { code: '40009', msg: 'sign signature error' };
    return undefined;
  }

  const streams = attachBitgetStreams(http.server, book, now);
  const url = await http.listen();
  const ws = url.replace('http://', 'ws://');

  return {
    url,
    book,
    requests,
    apiKey,
    secret,
    passphrase,
    key,
    streams,
    setCandles(symbolId, list) {
      book.market(symbolId);
      candles.set(symbolId, [...list]);
    },
    setPrice(symbolId, price) {
      book.market(symbolId);
      book.prices.set(symbolId, price);
      firePlans(book, symbolId, now());
      streams.push(symbolId);
    },
    inject: (fault) => faults.inject(fault),
    ccxtApiUrls: () => ({
      ...Object.fromEntries(API_GROUPS.map((group) => [group, url])),
      ws: { public: `${ws}/v2/ws/public`, private: `${ws}/v2/ws/private`, utaPublic: `${ws}/v3/ws/public`, utaPrivate: `${ws}/v3/ws/private` },
    }),
    count: (path, method) => countRequests(requests, path, method),
    close: () => http.close(streams),
  };
}
