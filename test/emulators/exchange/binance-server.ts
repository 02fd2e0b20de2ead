/**
 * An HTTP server speaking the part of Binance's spot (/api/v3) and USDⓈ-M futures (/fapi) REST
 * API that ccxt uses for markets, tickers, balance, positions, orders, leverage and margin type.
 * Signed endpoints check X-MBX-APIKEY and the HMAC-SHA256 signature. Every request is logged;
 * faults (429 with Retry-After, 5xx, a timeout, a response dropped after the order was accepted)
 * are injected per path. Start it on port 0 and point ccxt's urls.api at `ccxtApiUrls()`.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { BinanceBook, BinanceReject, DEFAULT_MARKETS, MAINT_RATE, type EmulatorMarket, type EmulatorOrder, type Venue } from './binance-book.ts';

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
  | { kind: 'drop-after-accept' };

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
  setPrice(symbolId: string, price: number): void;
  inject(fault: Fault): void;
  /** urls.api entries for ccxt binance pointing at this server */
  ccxtApiUrls(): Record<string, string>;
  /** requests whose path equals `path` */
  count(path: string, method?: string): number;
  close(): Promise<void>;
}

const PRIVATE_PREFIXES = ['/api/v3/account', '/api/v3/order', '/api/v3/openOrders', '/fapi/v1/order', '/fapi/v1/leverage', '/fapi/v1/marginType', '/fapi/v1/leverageBracket', '/fapi/v2/', '/fapi/v3/', '/sapi/'];

export async function startBinanceEmulator(options: BinanceEmulatorOptions = {}): Promise<BinanceEmulator> {
  const apiKey = options.apiKey ?? 'emulator-key';
  const secret = options.secret ?? 'emulator-secret';
  const now = options.now ?? Date.now;
  const book = new BinanceBook(options.markets ?? DEFAULT_MARKETS, now);
  const requests: LoggedRequest[] = [];
  const faults: Array<Fault & { left: number }> = [];
  const sockets = new Set<Socket>();

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
        return { timezone: 'UTC', serverTime: now(), rateLimits: [], symbols: [...book.markets.values()].map(spotSymbol) };
      case 'GET /fapi/v1/exchangeInfo':
        return { timezone: 'UTC', serverTime: now(), rateLimits: [], assets: [], symbols: [...book.markets.values()].map(futuresSymbol) };
      case 'GET /api/v3/ticker/24hr':
      case 'GET /fapi/v1/ticker/24hr':
      case 'GET /api/v3/ticker/price':
      case 'GET /fapi/v1/ticker/price':
        return tickers(p, path.endsWith('price'));
      case 'GET /api/v3/account':
        return spotAccount();
      case 'GET /fapi/v2/account':
      case 'GET /fapi/v3/account':
        return futuresAccount();
      case 'GET /fapi/v1/leverageBracket':
        return [...book.markets.values()].map((m) => ({
          symbol: m.id,
          brackets: [{ bracket: 1, initialLeverage: 125, notionalCap: 1e9, notionalFloor: 0, maintMarginRatio: MAINT_RATE, cum: 0 }],
        }));
      case 'GET /fapi/v2/positionRisk':
      case 'GET /fapi/v3/positionRisk':
        return positionRisk(p.symbol);
      case 'POST /fapi/v1/leverage': {
        const position = book.position(book.market(p.symbol ?? '').id);
        position.leverage = Number(p.leverage);
        return { symbol: position.symbol, leverage: position.leverage, maxNotionalValue: '1000000000' };
      }
      case 'POST /fapi/v1/marginType': {
        const position = book.position(book.market(p.symbol ?? '').id);
        const wanted = p.marginType === 'ISOLATED' ? 'isolated' : 'cross';
        if (position.marginType === wanted) throw new BinanceReject(-4046, 'No need to change margin type.');
        position.marginType = wanted;
        return { code: 200, msg: 'success' };
      }
      case 'POST /api/v3/order':
        return orderJson(book.placeOrder('spot', p));
      case 'POST /fapi/v1/order':
        return orderJson(book.placeOrder('futures', p));
      case 'GET /api/v3/order':
      case 'GET /fapi/v1/order':
        return orderJson(book.findOrder(venueOf(path), p.symbol ?? '', orderRef(p)));
      case 'DELETE /api/v3/order':
      case 'DELETE /fapi/v1/order':
        return orderJson(book.cancel(book.findOrder(venueOf(path), p.symbol ?? '', orderRef(p))));
      default:
        throw new BinanceReject(-1, `emulator: no route ${key}`, 404);
    }
  }

  function tickers(p: Record<string, string>, priceOnly: boolean): unknown {
    const row = (id: string) => {
      const price = String(book.price(id));
      return priceOnly
        ? { symbol: id, price, time: now() }
        : { symbol: id, lastPrice: price, bidPrice: price, askPrice: price, openPrice: price, highPrice: price, lowPrice: price, volume: '1000', quoteVolume: '100000', openTime: now() - 86_400_000, closeTime: now(), count: 1 };
    };
    if (p.symbol) return row(book.market(p.symbol).id);
    const ids: string[] = p.symbols ? (JSON.parse(p.symbols) as string[]) : [...book.markets.keys()];
    return ids.map((id) => row(book.market(id).id));
  }

  function spotAccount(): unknown {
    return {
      makerCommission: 10,
      takerCommission: 10,
      canTrade: true,
      canWithdraw: false,
      canDeposit: true,
      updateTime: now(),
      accountType: 'SPOT',
      balances: [...book.spotBalances.entries()].map(([asset, b]) => ({ asset, free: String(b.free), locked: String(b.locked) })),
      permissions: ['SPOT'],
    };
  }

  function futuresAccount(): unknown {
    const used = book.usedMargin();
    let upnl = 0;
    for (const position of book.positions.values()) upnl += book.unrealizedPnl(position);
    const wallet = book.futuresWallet;
    return {
      totalWalletBalance: String(wallet),
      totalUnrealizedProfit: String(upnl),
      totalMarginBalance: String(wallet + upnl),
      availableBalance: String(wallet - used),
      assets: [
        { asset: 'USDT', walletBalance: String(wallet), unrealizedProfit: String(upnl), marginBalance: String(wallet + upnl), initialMargin: String(used), availableBalance: String(wallet - used), maxWithdrawAmount: String(wallet - used), updateTime: now() },
      ],
      positions: [],
    };
  }

  function positionRisk(symbol: string | undefined): unknown {
    return [...book.positions.values()]
      .filter((position) => position.amount !== 0 && (symbol === undefined || position.symbol === symbol))
      .map((position) => {
        const mark = book.price(position.symbol);
        const notional = position.amount * mark;
        const initial = (Math.abs(position.amount) * position.entryPrice) / position.leverage;
        return {
          symbol: position.symbol,
          positionSide: 'BOTH',
          positionAmt: String(position.amount),
          entryPrice: String(position.entryPrice),
          breakEvenPrice: String(position.entryPrice),
          markPrice: String(mark),
          unRealizedProfit: String(book.unrealizedPnl(position)),
          liquidationPrice: String(book.liquidationPrice(position)),
          isolatedMargin: position.marginType === 'isolated' ? String(initial) : '0',
          isolatedWallet: position.marginType === 'isolated' ? String(initial) : '0',
          notional: String(notional),
          marginAsset: 'USDT',
          initialMargin: String(initial),
          maintMargin: String(Math.abs(notional) * MAINT_RATE),
          positionInitialMargin: String(initial),
          openOrderInitialMargin: '0',
          leverage: String(position.leverage),
          marginType: position.marginType,
          adl: 0,
          updateTime: now(),
        };
      });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    book,
    requests,
    apiKey,
    secret,
    setPrice(symbolId, price) {
      book.market(symbolId);
      book.prices.set(symbolId, price);
    },
    inject(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    ccxtApiUrls() {
      const spot = `${url}/api/v3`;
      return {
        public: spot,
        private: spot,
        v1: `${url}/api/v1`,
        sapi: `${url}/sapi/v1`,
        sapiV2: `${url}/sapi/v2`,
        sapiV3: `${url}/sapi/v3`,
        sapiV4: `${url}/sapi/v4`,
        fapiPublic: `${url}/fapi/v1`,
        fapiPublicV2: `${url}/fapi/v2`,
        fapiPublicV3: `${url}/fapi/v3`,
        fapiPrivate: `${url}/fapi/v1`,
        fapiPrivateV2: `${url}/fapi/v2`,
        fapiPrivateV3: `${url}/fapi/v3`,
        fapiData: `${url}/futures/data`,
        dapiPublic: `${url}/dapi/v1`,
        dapiPrivate: `${url}/dapi/v1`,
        dapiPrivateV2: `${url}/dapi/v2`,
        dapiData: `${url}/dapi/data`,
        eapiPublic: `${url}/eapi/v1`,
        eapiPrivate: `${url}/eapi/v1`,
        papi: `${url}/papi/v1`,
        papiV2: `${url}/papi/v2`,
      };
    },
    count(path, method) {
      return requests.filter((r) => r.path === path && (method === undefined || r.method === method)).length;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function venueOf(path: string): Venue {
  return path.startsWith('/fapi') ? 'futures' : 'spot';
}

function orderRef(p: Record<string, string>): { orderId?: string; clientOrderId?: string } {
  return p.orderId !== undefined ? { orderId: p.orderId } : { clientOrderId: p.origClientOrderId ?? '' };
}

function spotSymbol(m: EmulatorMarket): unknown {
  return {
    symbol: m.id,
    status: 'TRADING',
    baseAsset: m.base,
    baseAssetPrecision: 8,
    quoteAsset: m.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: ['LIMIT', 'MARKET'],
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: true,
    permissions: ['SPOT', 'MARGIN'],
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: m.tickSize, maxPrice: '1000000', tickSize: m.tickSize },
      { filterType: 'LOT_SIZE', minQty: m.minQty, maxQty: '9000', stepSize: m.stepSize },
      { filterType: 'NOTIONAL', minNotional: m.minNotional, applyMinToMarket: true, maxNotional: '9000000', applyMaxToMarket: false },
    ],
  };
}

function futuresSymbol(m: EmulatorMarket): unknown {
  return {
    symbol: m.id,
    pair: m.id,
    contractType: 'PERPETUAL',
    deliveryDate: 4133404800000,
    onboardDate: 1569398400000,
    status: 'TRADING',
    baseAsset: m.base,
    quoteAsset: m.quote,
    marginAsset: m.quote,
    pricePrecision: BinanceBook.pricePrecision(m),
    quantityPrecision: BinanceBook.quantityPrecision(m),
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    orderTypes: ['LIMIT', 'MARKET'],
    timeInForce: ['GTC', 'IOC'],
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: m.tickSize, maxPrice: '1000000', tickSize: m.tickSize },
      { filterType: 'LOT_SIZE', minQty: m.minQty, maxQty: '1000', stepSize: m.stepSize },
      { filterType: 'MARKET_LOT_SIZE', minQty: m.minQty, maxQty: '1000', stepSize: m.stepSize },
      { filterType: 'MIN_NOTIONAL', notional: m.minNotional },
    ],
  };
}

function orderJson(o: EmulatorOrder): unknown {
  const status = o.status;
  const common = {
    symbol: o.symbol,
    orderId: o.orderId,
    clientOrderId: o.clientOrderId,
    price: String(o.price),
    origQty: String(o.origQty),
    executedQty: String(o.executedQty),
    status,
    timeInForce: o.type === 'LIMIT' ? 'GTC' : 'GTC',
    type: o.type,
    side: o.side,
  };
  if (o.venue === 'spot') {
    return {
      ...common,
      orderListId: -1,
      transactTime: o.time,
      time: o.time,
      updateTime: o.time,
      cummulativeQuoteQty: String(o.executedQty * o.avgPrice),
      fills: o.executedQty > 0 ? [{ price: String(o.avgPrice), qty: String(o.executedQty), commission: String(o.commission), commissionAsset: 'USDT', tradeId: o.orderId }] : [],
    };
  }
  return {
    ...common,
    avgPrice: String(o.avgPrice),
    cumQty: String(o.executedQty),
    cumQuote: String(o.executedQty * o.avgPrice),
    reduceOnly: o.reduceOnly,
    closePosition: false,
    positionSide: 'BOTH',
    origType: o.type,
    updateTime: o.time,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
