/**
 * An HTTP + websocket server speaking the part of OKX's v5 API that ccxt (`okx`) uses for our
 * flows: instruments, tickers, candles, the trading account's balance and config, positions,
 * leverage, position mode, orders, fills and algo orders (conditional / trigger). Start it on
 * port 0 and point ccxt's `urls.api` at `ccxtApiUrls()`. Routes: okx-routes.ts.
 *
 * Authentication is OKX's: OK-ACCESS-KEY, OK-ACCESS-PASSPHRASE, OK-ACCESS-TIMESTAMP (ISO time,
 * within 30 s of the server clock) and OK-ACCESS-SIGN = base64(HMAC-SHA256(secret,
 * timestamp + METHOD + requestPath (with the query on GET) + body)). A wrong key, passphrase,
 * timestamp or signature gets OKX's code (50111, 50105, 50102/50112, 50113) with HTTP 401.
 * Every request is logged; faults (429, 5xx, a timeout, an answer dropped after the order was
 * taken, an order processed only later) are injected per path, as in the Binance emulator.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Candle } from '../../../src/domain/types.ts';
import { readBody, send } from './binance-http.ts';
import type { Fault, LoggedRequest } from './binance-server.ts';
import { countRequests, createEmulatorServer, FaultQueue, onRoute, type ExchangeEmulatorBase } from './emulator-http.ts';
import { fireAlgos } from './okx-algo.ts';
import { OkxBook } from './okx-book.ts';
import { route, type Envelope, type OkxKeyInfo } from './okx-routes.ts';
import { DEFAULT_OKX_MARKETS, OkxReject, TIMESTAMP_WINDOW_MS, type OkxMarket } from './okx-types.ts';
import { attachOkxStreams, type OkxStreams } from './okx-ws.ts';

export type { Fault, FaultKind, LoggedRequest } from './binance-server.ts';

export interface OkxEmulatorOptions {
  apiKey?: string;
  secret?: string;
  passphrase?: string;
  markets?: OkxMarket[];
  now?: () => number;
}

export interface OkxEmulator extends ExchangeEmulatorBase<OkxBook, LoggedRequest, Fault, { rest: string; ws: string }> {
  readonly passphrase: string;
  /** what GET /api/v5/account/config reports for the key (`perm`: "read_only,trade" or with ",withdraw") */
  readonly key: OkxKeyInfo;
  /** public websocket tickers on ws://…/ws/v5/public */
  readonly streams: OkxStreams;
  /** the candles /market/candles and /market/history-candles serve for an instId (any bar), oldest first */
  setCandles(instId: string, candles: readonly Candle[]): void;
  /** sets the last price: resting limit orders fill, algo orders fire, websocket subscribers get a ticker */
  setPrice(instId: string, price: number): void;
  /**
   * runs `action` when the next request to `path` arrives, before it is answered: the account
   * changing between two calls (the trader trading by hand on OKX while the bot works)
   */
  onNext(path: string, action: () => void): void;
  /** requests whose path equals `path` */
  count(path: string, method?: string): number;
}

const PRIVATE = ['/api/v5/account/', '/api/v5/trade/', '/api/v5/asset/'];

export async function startOkxEmulator(options: OkxEmulatorOptions = {}): Promise<OkxEmulator> {
  const apiKey = options.apiKey ?? 'okx-emulator-key';
  const secret = options.secret ?? 'okx-emulator-secret';
  const passphrase = options.passphrase ?? 'okx-emulator-passphrase';
  const now = options.now ?? Date.now;
  const book = new OkxBook(options.markets ?? DEFAULT_OKX_MARKETS, now);
  const requests: LoggedRequest[] = [];
  const faults = new FaultQueue<Fault>();
  const hooks: Array<{ path: string; action: () => void }> = [];
  const key: OkxKeyInfo = { perm: 'read_only,trade', label: 'ase-bot', ip: '' };
  const candles = new Map<string, readonly Candle[]>();
  const context = { book, now, key, candles };

  const http = createEmulatorServer(handle, (res, error) => send(res, 500, { code: '50000', msg: String(error), data: [] }));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const text = await readBody(req);
    const method = req.method ?? 'GET';
    const query = Object.fromEntries(url.searchParams);
    let body: unknown;
    if (method === 'POST') {
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        return send(res, 400, { code: '50002', msg: 'JSON syntax error', data: [] });
      }
    }
    const first = (Array.isArray(body) ? body[0] : body) as Record<string, unknown> | undefined;
    const params = method === 'POST' ? Object.fromEntries(Object.entries(first ?? {}).map(([k, v]) => [k, String(v)])) : query;
    const signed = PRIVATE.some((prefix) => url.pathname.startsWith(prefix));
    requests.push({ method, path: url.pathname, params, signed, at: Date.now() });

    const hook = hooks.findIndex((x) => x.path === url.pathname);
    if (hook >= 0) hooks.splice(hook, 1)[0]!.action();
    const fault = faults.take(onRoute(method, url.pathname, params))?.fault;
    if (fault?.kind === 'rate-limit') {
      res.setHeader('Retry-After', String(fault.retryAfterSec));
      return send(res, 429, { code: '50011', msg: 'Too Many Requests', data: [] });
    }
    if (fault?.kind === 'server-error') return send(res, fault.status ?? 503, { code: '50001', msg: 'Service temporarily unavailable. Please try again later', data: [] });
    if (fault?.kind === 'timeout') return;

    if (signed) {
      const problem = checkAuth(req, method, req.url ?? '/', text);
      if (problem) return send(res, 401, { ...problem, data: [] });
    }
    const answer = (): Envelope => {
      try {
        return route(context, method, url.pathname, query, body);
      } catch (error) {
        if (!(error instanceof OkxReject)) throw error;
        return { code: error.code, msg: error.message, data: [] };
      }
    };
    if (fault?.kind === 'hold-then-execute') {
      // answer() turns OKX's own refusals into an envelope: anything it throws is a defect
      http.hold(fault.delayMs, answer, () => false);
      return;
    }
    const result = answer();
    if (fault?.kind === 'drop-after-accept') {
      res.socket?.destroy();
      return;
    }
    send(res, result.code === '50115' ? 404 : 200, result);
  }

  /** OKX's header checks, in OKX's order; the signed text is what ccxt signs: timestamp + method + path?query + body */
  function checkAuth(req: IncomingMessage, method: string, pathWithQuery: string, text: string): { code: string; msg: string } | undefined {
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const key = header('ok-access-key');
    const sign = header('ok-access-sign');
    const timestamp = header('ok-access-timestamp');
    const pass = header('ok-access-passphrase');
    if (key === undefined) return { code: '50103', msg: 'Request header "OK-ACCESS-KEY" cannot be empty.' };
    if (pass === undefined) return { code: '50104', msg: 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.' };
    if (sign === undefined) return { code: '50106', msg: 'Request header "OK-ACCESS-SIGN" cannot be empty.' };
    if (timestamp === undefined) return { code: '50107', msg: 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.' };
    const at = Date.parse(timestamp);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/.test(timestamp) || Number.isNaN(at)) return { code: '50112', msg: 'Invalid OK-ACCESS-TIMESTAMP' };
    if (Math.abs(at - now()) > TIMESTAMP_WINDOW_MS) return { code: '50102', msg: 'Timestamp request expired' };
    if (key !== apiKey) return { code: '50111', msg: 'Invalid OK-ACCESS-KEY' };
    if (pass !== passphrase) return { code: '50105', msg: 'Request header "OK-ACCESS-PASSPHRASE" incorrect.' };
    const expected = createHmac('sha256', secret)
      .update(timestamp + method + pathWithQuery + (method === 'GET' ? '' : text))
      .digest('base64');
    if (sign !== expected) return { code: '50113', msg: 'Invalid Sign' };
    return undefined;
  }

  const streams = attachOkxStreams(http.server, book, now);
  const url = await http.listen();

  return {
    url,
    book,
    requests,
    apiKey,
    secret,
    passphrase,
    key,
    streams,
    setCandles(instId, list) {
      book.market(instId);
      candles.set(instId, [...list]);
    },
    setPrice(instId, price) {
      book.market(instId);
      book.prices.set(instId, price);
      book.fillRestingOrders(instId);
      fireAlgos(book, instId, now());
      streams.push(instId);
    },
    inject: (fault) => faults.inject(fault),
    onNext(path, action) {
      hooks.push({ path, action });
    },
    ccxtApiUrls: () => ({ rest: url, ws: `${url.replace('http://', 'ws://')}/ws/v5` }),
    count: (path, method) => countRequests(requests, path, method),
    close: () => http.close(streams),
  };
}
