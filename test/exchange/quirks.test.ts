/**
 * Each exchange's order parameters, checked on the wire: the quirk's params go through real
 * ccxt createOrder and the request ccxt would send is captured at its HTTP edge (the instance's
 * `fetch`), so a test fails if ccxt would not translate a param the way the quirk expects.
 */
import type { Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { createCcxtClient } from '../../src/exchange/factory.ts';
import type { ExchangeId, TradingMode } from '../../src/exchange/port.ts';
import { quirksFor } from '../../src/exchange/quirks/index.ts';

interface Captured {
  method: string;
  url: string;
  body: string;
}

const MARKET_IDS: Record<ExchangeId, { spot: string; futures: string; quote: string; contractSize?: number }> = {
  binance: { spot: 'BTCUSDT', futures: 'BTCUSDT', quote: 'USDT' },
  kraken: { spot: 'XXBTZUSD', futures: 'PF_XBTUSD', quote: 'USD' },
  bybit: { spot: 'BTCUSDT', futures: 'BTCUSDT', quote: 'USDT' },
  okx: { spot: 'BTC-USDT', futures: 'BTC-USDT-SWAP', quote: 'USDT', contractSize: 0.01 },
  bitget: { spot: 'BTCUSDT', futures: 'BTCUSDT', quote: 'USDT' },
};

/** options that skip account-type probes so only the order request is captured */
const OPTIONS = { bybit: { options: { enableUnifiedAccount: true, enableUnifiedMargin: false } }, bitget: { options: { uta: false } } };

function offlineClient(exchange: ExchangeId, mode: TradingMode): { client: Exchange; symbol: string; sent: Captured[] } {
  const ids = MARKET_IDS[exchange];
  const futures = mode === 'futures';
  const quote = ids.quote;
  const symbol = futures ? `BTC/${quote}:${quote}` : `BTC/${quote}`;
  const client = createCcxtClient({ exchange, mode, options: OPTIONS, credentials: { apiKey: 'key', secret: 'c2VjcmV0', password: 'pass' } });
  const market = client.safeMarketStructure({
    id: futures ? ids.futures : ids.spot,
    symbol,
    base: 'BTC',
    quote,
    baseId: 'BTC',
    quoteId: quote,
    settle: futures ? quote : undefined,
    settleId: futures ? quote : undefined,
    type: futures ? 'swap' : 'spot',
    spot: !futures,
    margin: !futures,
    swap: futures,
    contract: futures,
    linear: futures ? true : undefined,
    inverse: futures ? false : undefined,
    contractSize: futures ? (ids.contractSize ?? 1) : undefined,
    active: true,
    precision: { amount: 0.0001, price: 0.1 },
    limits: { amount: { min: 0.0001 }, cost: { min: 5 }, price: {}, leverage: {} },
    info: { orderTypes: ['LIMIT', 'MARKET'] },
  });
  client.setMarkets([market]);
  const sent: Captured[] = [];
  (client as unknown as { fetch: (url: string, method: string, headers: unknown, body: unknown) => Promise<never> }).fetch = async (url, method, _headers, body) => {
    sent.push({ method, url, body: typeof body === 'string' ? body : '' });
    throw new Error('captured');
  };
  return { client, symbol, sent };
}

async function wire(exchange: ExchangeId, mode: TradingMode, reduceOnly: boolean): Promise<string> {
  const { client, symbol, sent } = offlineClient(exchange, mode);
  const params = quirksFor(exchange).orderParams({ mode, marginMode: 'isolated', side: 'sell', clientOrderId: 'cid42', reduceOnly, leverage: 3 });
  await client.createOrder(symbol, 'market', 'sell', 0.5, undefined, params).catch((error: unknown) => {
    if ((error as Error).message !== 'captured') throw error;
  });
  const order = sent.at(-1);
  if (!order) throw new Error('no request was built');
  return decodeURIComponent(`${order.method} ${order.url} ${order.body}`);
}

describe('order parameters per exchange, on the wire', () => {
  it.each([
    // exchange, mode, reduceOnly, must contain, must not contain
    ['binance', 'spot', false, ['POST', '/api/v3/order', 'newClientOrderId=cid42'], ['reduceOnly', 'sideEffectType']],
    ['binance', 'margin', false, ['/sapi/v1/margin/order', 'isIsolated=true', 'sideEffectType=MARGIN_BUY', 'newClientOrderId=cid42'], ['reduceOnly']],
    ['binance', 'margin', true, ['/sapi/v1/margin/order', 'sideEffectType=AUTO_REPAY'], ['reduceOnly']],
    ['binance', 'futures', true, ['/fapi/v1/order', 'reduceOnly=true', 'newClientOrderId=cid42'], []],
    ['kraken', 'spot', false, ['AddOrder', 'cl_ord_id=cid42'], ['reduce_only', 'leverage']],
    ['kraken', 'margin', true, ['AddOrder', 'leverage=3', 'reduce_only=true', 'cl_ord_id=cid42'], []],
    ['kraken', 'futures', true, ['futures.kraken.com', 'sendorder', 'cliOrdId=cid42', 'reduceOnly=true'], ['leverage']],
    ['bybit', 'spot', false, ['/v5/order/create', '"orderLinkId":"cid42"', '"category":"spot"'], ['reduceOnly', 'isLeverage']],
    ['bybit', 'margin', false, ['/v5/order/create', '"isLeverage":1'], ['reduceOnly']],
    ['bybit', 'futures', true, ['/v5/order/create', '"category":"linear"', '"reduceOnly":true', '"orderLinkId":"cid42"'], []],
    ['okx', 'spot', false, ['/api/v5/trade/', '"tdMode":"cash"', '"clOrdId":"cid42"'], ['reduceOnly']],
    ['okx', 'margin', true, ['"tdMode":"isolated"', '"reduceOnly":true'], []],
    ['okx', 'futures', true, ['"instId":"BTC-USDT-SWAP"', '"tdMode":"isolated"', '"reduceOnly":true', '"sz":"0.5"'], []],
    ['bitget', 'spot', false, ['/api/v2/spot/trade/place-order', '"clientOid":"cid42"'], ['reduceOnly', 'loanType']],
    ['bitget', 'futures', true, ['/api/v2/mix/order/place-order', '"productType":"USDT-FUTURES"', '"marginMode":"isolated"', '"reduceOnly":"YES"'], []],
  ] as const)('%s %s reduceOnly=%s', async (exchange, mode, reduceOnly, present, absent) => {
    const request = await wire(exchange, mode, reduceOnly);
    for (const text of present) expect(request, request).toContain(text);
    for (const text of absent) expect(request).not.toContain(text);
  });
});

describe('capabilities per exchange', () => {
  it('reduce-only exists only where the mode allows it', () => {
    const table = (['binance', 'kraken', 'bybit', 'okx', 'bitget'] as const).map((id) => [id, ...(['spot', 'margin', 'futures'] as const).map((m) => quirksFor(id).supportsReduceOnly(m))]);
    expect(table).toEqual([
      ['binance', false, true, true],
      ['kraken', false, true, true],
      ['bybit', false, false, true],
      ['okx', false, true, true],
      ['bitget', false, true, true],
    ]);
  });

  it('okx and bitget need a passphrase, the others do not', () => {
    expect((['binance', 'kraken', 'bybit', 'okx', 'bitget'] as const).filter((id) => quirksFor(id).needsPassword)).toEqual(['okx', 'bitget']);
  });

  it('leverage: set by a call on futures; kraken margin takes it in the order', () => {
    expect(quirksFor('binance').leverageVia('futures')).toBe('call');
    expect(quirksFor('kraken').leverageVia('margin')).toBe('order-param');
    expect(quirksFor('kraken').leverageVia('futures')).toBe('call');
    expect(quirksFor('binance').leverageVia('spot')).toBe('none');
  });

  it('okx client ids keep letters and digits only, at most 32 (a UUID fits without dashes)', () => {
    expect(quirksFor('okx').normalizeClientOrderId('0b9f4c1e-7d2a-4f3b-9a8c-1e2d3c4b5a69')).toBe('0b9f4c1e7d2a4f3b9a8c1e2d3c4b5a69');
  });

  it('kraken futures is another ccxt class; the others keep their id', () => {
    expect(quirksFor('kraken').ccxtClass('futures')).toBe('krakenfutures');
    expect(quirksFor('kraken').ccxtClass('spot')).toBe('kraken');
    expect(quirksFor('okx').ccxtClass('futures')).toBe('okx');
  });
});
