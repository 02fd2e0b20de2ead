/**
 * An HTTP server speaking the part of Kraken Futures' REST API (derivatives/api/v3, api/charts/v1)
 * that ccxt `krakenfutures` calls for markets, tickers, candles, the multi-collateral wallet,
 * positions, leverage preferences, orders (incl. reduce-only stops) and fills.
 *
 * Private endpoints check Kraken's authentication: `APIKey`, and `Authent` = base64 of
 * HMAC-SHA512(SHA-256(postData + Nonce + endpointPath)) keyed with the base64-decoded secret,
 * where endpointPath is the path without `/derivatives` and postData the url-encoded parameters
 * (ccxt sends them in the query string, also for POST). A wrong key or signature answers
 * `{"result":"error","error":"authenticationError"}`. Every request is logged; faults (rate
 * limit, server error, timeout, answer dropped after the order was accepted) are injected per path.
 * Start it on port 0 and point ccxt's urls.api at `ccxtApiUrls()`. Routes: krakenfutures-routes.ts.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Candle } from '../../../src/domain/types.ts';
import { readBody, send } from './binance-http.ts';
import { createEmulatorServer, FaultQueue, type InjectedFault, type ExchangeEmulatorBase } from './emulator-http.ts';
import { KRAKEN_FUTURES_INSTRUMENTS, KrakenFuturesBook, type KrakenInstrument } from './krakenfutures-book.ts';
import { KrakenError, route } from './krakenfutures-routes.ts';

export interface KrakenLoggedRequest {
  method: string;
  /** as requested, e.g. /derivatives/api/v3/sendorder */
  path: string;
  params: Record<string, string | string[]>;
  signed: boolean;
}

export type KrakenFaultKind =
  | { kind: 'rate-limit' }
  | { kind: 'server-error'; status?: number }
  /** never answer (the client times out); the request is NOT processed */
  | { kind: 'timeout' }
  /** process the request (the order is accepted), then drop the connection without an answer */
  | { kind: 'drop-after-accept' };

/** `path`: the end of the request's path; `params` e.g. { orderType: 'mkt' } spares stops */
export interface KrakenFault extends InjectedFault {
  fault: KrakenFaultKind;
}

export interface KrakenFuturesEmulatorOptions {
  apiKey?: string;
  /** base64, as Kraken issues secrets */
  secret?: string;
  instruments?: KrakenInstrument[];
  now?: () => number;
}

export interface KrakenFuturesEmulator extends ExchangeEmulatorBase<KrakenFuturesBook, KrakenLoggedRequest, KrakenFault, Record<string, string>> {
  /** candles served by /api/charts/v1/{type}/{symbol}/{interval} for an instrument id, any interval */
  setCandles(symbolId: string, candles: readonly Candle[]): void;
  /** a new last price: resting limits fill, stops and take-profits trigger */
  setPrice(symbolId: string, price: number): void;
  /** moves the emulator's clock forward (orders/status forgets finished orders after 5 s) */
  advance(ms: number): void;
  /** requests whose path ends with `suffix` (e.g. 'sendorder') */
  count(suffix: string, method?: string): number;
}

/** paths Kraken serves without authentication */
const PUBLIC = [/^\/derivatives\/api\/v3\/(instruments|tickers)(\/|$)/, /^\/api\/charts\//];

/** parses a url-encoded string keeping repeated keys (orderIds=a&orderIds=b) as lists */
function parseParams(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const prior = out[k];
    out[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  return out;
}

export async function startKrakenFuturesEmulator(options: KrakenFuturesEmulatorOptions = {}): Promise<KrakenFuturesEmulator> {
  const apiKey = options.apiKey ?? 'kraken-futures-emulator-key';
  const secret = options.secret ?? Buffer.from('kraken-futures-emulator-secret-0123456789').toString('base64');
  let skew = 0;
  const base = options.now ?? Date.now;
  const now = () => base() + skew;
  const book = new KrakenFuturesBook(options.instruments ?? KRAKEN_FUTURES_INSTRUMENTS, now);
  const requests: KrakenLoggedRequest[] = [];
  const faults = new FaultQueue<KrakenFault>();
  const candles = new Map<string, readonly Candle[]>();
  const context = { book, candles };

  const http = createEmulatorServer(handle, (res, error) => send(res, 500, { result: 'error', error: 'Server Error', message: String(error), serverTime: new Date(now()).toISOString() }));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const postData = body !== '' ? body : url.search.slice(1);
    const params = parseParams(postData);
    const method = req.method ?? 'GET';
    const signed = !PUBLIC.some((p) => p.test(url.pathname));
    requests.push({ method, path: url.pathname, params, signed });
    const error = (code: string, status = 200) => send(res, status, { result: 'error', serverTime: new Date(now()).toISOString(), error: code });

    const fault = faults.take(
      (f) => url.pathname.endsWith(f.path) && (f.method === undefined || f.method === method) && Object.entries(f.params ?? {}).every(([k, v]) => params[k] === v),
    )?.fault;
    if (fault?.kind === 'rate-limit') return error('apiLimitExceeded', 429);
    if (fault?.kind === 'server-error') return error('Unavailable', fault.status ?? 503);
    if (fault?.kind === 'timeout') return; // the socket stays open until the client gives up

    if (signed && !authentic(req, postData, url.pathname)) return error('authenticationError', 401);
    try {
      const result = route(context, method, url.pathname, params);
      if (fault?.kind === 'drop-after-accept') {
        res.socket?.destroy();
        return;
      }
      send(res, 200, result);
    } catch (caught) {
      if (caught instanceof KrakenError) return error(caught.code, caught.status);
      throw caught;
    }
  }

  /** Kraken's Authent check: endpointPath drops the /derivatives prefix; the Nonce header is optional */
  function authentic(req: IncomingMessage, postData: string, path: string): boolean {
    if (req.headers['apikey'] !== apiKey) return false;
    const given = req.headers['authent'];
    if (typeof given !== 'string') return false;
    const endpointPath = path.replace(/^\/derivatives/, '');
    const nonce = typeof req.headers['nonce'] === 'string' ? req.headers['nonce'] : '';
    const digest = createHash('sha256').update(postData + nonce + endpointPath).digest();
    const expected = createHmac('sha512', Buffer.from(secret, 'base64')).update(digest).digest('base64');
    return given === expected;
  }

  const url = await http.listen();

  return {
    url,
    book,
    requests,
    apiKey,
    secret,
    setCandles(symbolId, list) {
      candles.set(book.instrument(symbolId).symbol, [...list]);
    },
    setPrice(symbolId, price) {
      book.setPrice(symbolId, price);
    },
    advance(ms) {
      skew += ms;
    },
    inject: (fault) => faults.inject(fault),
    ccxtApiUrls: () => ({
      public: `${url}/derivatives/api/`,
      private: `${url}/derivatives/api/`,
      charts: `${url}/api/charts/`,
      history: `${url}/api/history/`,
      feeschedules: `${url}/api/feeschedules/`,
    }),
    count(suffix, method) {
      return requests.filter((r) => r.path.endsWith(suffix) && (method === undefined || r.method === method)).length;
    },
    close: () => http.close(),
  };
}
