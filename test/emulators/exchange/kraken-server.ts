/**
 * An HTTP server speaking the part of Kraken's spot REST API (api.kraken.com/0) that ccxt
 * `kraken` calls for our flows: public Time, Assets, AssetPairs, Ticker, OHLC; private Balance,
 * BalanceEx, TradeBalance, AddOrder, CancelOrder, QueryOrders, OpenOrders, ClosedOrders,
 * TradesHistory, QueryTrades, OpenPositions; and the public websocket v2's ticker channel
 * (kraken-ws.ts) that ccxt.pro's watchTickers reads. Start it on port 0 and point ccxt's urls.api at
 * `ccxtApiUrls()`. Routes: kraken-routes.ts; state: kraken-book.ts.
 *
 * Authentication is Kraken's: `API-Key`, and `API-Sign` = base64(HMAC-SHA512(path +
 * SHA-256(nonce + postdata)), keyed with the base64-decoded secret), the nonce a field of the
 * url-encoded body that must grow with every call of the key. A wrong key answers
 * `EAPI:Invalid key`, a wrong signature `EAPI:Invalid signature`, a nonce not above the last
 * `EAPI:Invalid nonce`: HTTP 200 with Kraken's `{"error":[…],"result":{}}`, as Kraken does.
 * Every request is logged; faults (rate limit, service unavailable, a timeout, an answer dropped
 * after the order was taken) are injected per path.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Candle } from '../../../src/domain/types.ts';
import { readBody, send } from './binance-http.ts';
import { createEmulatorServer, FaultQueue, type InjectedFault, type ExchangeEmulatorBase } from './emulator-http.ts';
import { KrakenBook } from './kraken-book.ts';
import { route, type KrakenPermission, type KrakenRouteContext } from './kraken-routes.ts';
import { KRAKEN_PAIRS, KrakenReject, type KrakenPair } from './kraken-types.ts';
import { attachKrakenStreams, type KrakenStreams } from './kraken-ws.ts';

export interface KrakenSpotRequest {
  method: string;
  /** /0/private/AddOrder */
  path: string;
  params: Record<string, string>;
  signed: boolean;
  at: number;
}

export type KrakenSpotFaultKind =
  /** Kraken's per-key counter exceeded: `EAPI:Rate limit exceeded` (HTTP 200) */
  | { kind: 'rate-limit' }
  /** `EService:Unavailable` with HTTP 503 */
  | { kind: 'server-error'; status?: number }
  /** never answer (the client times out); the request is NOT processed */
  | { kind: 'timeout' }
  /** process the request (the order is accepted), then drop the connection without an answer */
  | { kind: 'drop-after-accept' };

/** `path`: the method name (`AddOrder`) or the full path; `params` e.g. { ordertype: 'market' } spares stops */
export interface KrakenSpotFault extends InjectedFault {
  fault: KrakenSpotFaultKind;
}

export interface KrakenSpotEmulatorOptions {
  apiKey?: string;
  /** base64, as Kraken issues secrets */
  secret?: string;
  pairs?: KrakenPair[];
  now?: () => number;
}

export interface KrakenSpotEmulator extends ExchangeEmulatorBase<KrakenBook, KrakenSpotRequest, KrakenSpotFault, { public: string; private: string; ws: { publicV2: string } }> {
  /** every refusal answered, in order (method name and Kraken's text) */
  readonly refusals: Array<{ name: string; text: string }>;
  /** what the key may do (Kraken's key permissions); remove one to see `EGeneral:Permission denied` */
  readonly permissions: Set<KrakenPermission>;
  /** the public websocket v2's ticker channel on ws://…/v2 */
  readonly streams: KrakenStreams;
  /** candles OHLC serves for a pair id (any interval), oldest first */
  setCandles(pairId: string, candles: readonly Candle[]): void;
  /** a new last price: stops trigger, resting limits fill, margin below 40 % is liquidated */
  setPrice(pairId: string, price: number): void;
  /** runs `action` when the next request to the method (`AddOrder`) arrives, before it is answered */
  onNext(name: string, action: () => void): void;
  /** requests of a method (`AddOrder`) */
  count(name: string): number;
}

const ALL_PERMISSIONS: KrakenPermission[] = ['query-funds', 'query-orders', 'create-orders', 'cancel-orders'];

export async function startKrakenSpotEmulator(options: KrakenSpotEmulatorOptions = {}): Promise<KrakenSpotEmulator> {
  const apiKey = options.apiKey ?? 'kraken-spot-emulator-key';
  const secret = options.secret ?? Buffer.from('kraken-spot-emulator-secret-0123456789abcdef').toString('base64');
  const now = options.now ?? Date.now;
  const book = new KrakenBook(options.pairs ?? KRAKEN_PAIRS, now);
  const requests: KrakenSpotRequest[] = [];
  const refusals: Array<{ name: string; text: string }> = [];
  const faults = new FaultQueue<KrakenSpotFault>();
  const hooks: Array<{ name: string; action: () => void }> = [];
  const candles = new Map<string, readonly Candle[]>();
  const permissions = new Set<KrakenPermission>(ALL_PERMISSIONS);
  const context: KrakenRouteContext = { book, now, candles, permissions };
  let lastNonce = 0n;

  const http = createEmulatorServer(handle, (res, error) => send(res, 500, { error: [`EGeneral:Internal error:${String(error)}`] }));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const signed = url.pathname.startsWith('/0/private/');
    const raw = signed ? body : url.search.slice(1);
    const params = Object.fromEntries(new URLSearchParams(raw));
    requests.push({ method, path: url.pathname, params, signed, at: Date.now() });
    const name = url.pathname.replace(/^\/0\/(public|private)\//, '');
    const refuse = (text: string, status = 200) => {
      refusals.push({ name, text });
      send(res, status, { error: [text], result: {} });
    };

    const hook = hooks.findIndex((h) => h.name === name);
    if (hook >= 0) hooks.splice(hook, 1)[0]!.action();
    // Kraken's calls are named by method: a fault names the method or the whole path
    const fault = faults.take((f) => (f.path === name || f.path === url.pathname) && Object.entries(f.params ?? {}).every(([k, v]) => params[k] === v))?.fault;
    if (fault?.kind === 'rate-limit') return refuse('EAPI:Rate limit exceeded');
    if (fault?.kind === 'server-error') return refuse('EService:Unavailable', fault.status ?? 503);
    if (fault?.kind === 'timeout') return;

    if (signed) {
      if (method !== 'POST') return refuse('EGeneral:Invalid arguments');
      const problem = checkAuth(req, url.pathname, body, params.nonce);
      if (problem) return refuse(problem);
    }
    let result: unknown;
    try {
      result = route(context, url.pathname, params);
    } catch (error) {
      if (!(error instanceof KrakenReject)) throw error;
      return refuse(error.text);
    }
    if (fault?.kind === 'drop-after-accept') {
      res.socket?.destroy();
      return;
    }
    send(res, 200, { error: [], result });
  }

  /** Kraken's checks in its order: key, signature, then the nonce (which must exceed the key's last) */
  function checkAuth(req: IncomingMessage, path: string, body: string, nonceText: string | undefined): string | undefined {
    const key = req.headers['api-key'];
    const sign = req.headers['api-sign'];
    if (typeof key !== 'string' || key === '') return 'EAPI:Invalid key';
    if (key !== apiKey) return 'EAPI:Invalid key';
    if (typeof sign !== 'string' || nonceText === undefined || !/^\d+$/.test(nonceText)) return 'EAPI:Invalid signature';
    const digest = createHash('sha256').update(nonceText + body).digest();
    const expected = createHmac('sha512', Buffer.from(secret, 'base64')).update(Buffer.concat([Buffer.from(path), digest])).digest('base64');
    if (sign !== expected) return 'EAPI:Invalid signature';
    const nonce = BigInt(nonceText);
    if (nonce <= lastNonce) return 'EAPI:Invalid nonce';
    lastNonce = nonce;
    return undefined;
  }

  const streams = attachKrakenStreams(http.server, book, now);
  const url = await http.listen();

  return {
    url,
    book,
    requests,
    refusals,
    streams,
    apiKey,
    secret,
    permissions,
    setCandles(pairId, list) {
      candles.set(book.pair(pairId).id, [...list]);
    },
    setPrice(pairId, price) {
      const pair = book.pair(pairId);
      book.prices.set(pair.id, price);
      book.onPrice(pair);
      streams.push(pair.id);
    },
    inject: (fault) => faults.inject(fault),
    onNext(name, action) {
      hooks.push({ name, action });
    },
    ccxtApiUrls: () => ({ public: url, private: url, ws: { publicV2: `${url.replace('http://', 'ws://')}/v2` } }),
    count(name) {
      return requests.filter((r) => r.path.endsWith(`/${name}`)).length;
    },
    close: () => http.close(streams),
  };
}
