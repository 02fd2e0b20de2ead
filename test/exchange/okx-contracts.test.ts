/**
 * OKX swaps count in contracts (BTC-USDT-SWAP: 0.01 BTC each); the port counts in BTC. Real
 * ccxt, with OKX's answers served at ccxt's HTTP edge (the instance's `fetch`).
 */
import type { Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { CcxtExchange } from '../../src/exchange/ccxt-adapter.ts';
import { createCcxtClient } from '../../src/exchange/factory.ts';
import { quirksFor } from '../../src/exchange/quirks/index.ts';

interface Sent {
  method: string;
  path: string;
  body: string;
}

function okxSwap(): { client: Exchange; sent: Sent[] } {
  const client = createCcxtClient({ exchange: 'okx', mode: 'futures', options: { okx: { enableRateLimit: false } }, credentials: { apiKey: 'key', secret: 'secret', password: 'pass' } });
  client.setMarkets([
    client.safeMarketStructure({
      id: 'BTC-USDT-SWAP', symbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', baseId: 'BTC', quoteId: 'USDT', settleId: 'USDT',
      type: 'swap', swap: true, contract: true, linear: true, inverse: false, contractSize: 0.01, active: true,
      precision: { amount: 0.01, price: 0.1 }, limits: { amount: { min: 0.01 }, cost: {}, price: {}, leverage: {} }, info: { instId: 'BTC-USDT-SWAP', instType: 'SWAP' },
    }),
  ]);
  const sent: Sent[] = [];
  (client as unknown as { fetch: (url: string, method: string, headers: unknown, body: unknown) => Promise<unknown> }).fetch = async (url, method, _headers, body) => {
    const path = new URL(url).pathname;
    sent.push({ method, path, body: typeof body === 'string' ? body : '' });
    if (path.endsWith('/account/config')) return { code: '0', msg: '', data: [{ posMode: 'net_mode', acctLv: '2', uid: '1' }] };
    if (path.endsWith('/account/set-leverage')) return { code: '0', msg: '', data: [{ lever: '5', mgnMode: 'isolated', instId: 'BTC-USDT-SWAP', posSide: '' }] };
    if (path.endsWith('/trade/batch-orders') || path.endsWith('/trade/order') && method === 'POST') return { code: '0', msg: '', data: [{ ordId: '777', clOrdId: 'swap1', sCode: '0', sMsg: '' }] };
    if (path.endsWith('/trade/order')) {
      return { code: '0', msg: '', data: [{ ordId: '777', clOrdId: 'swap1', instId: 'BTC-USDT-SWAP', instType: 'SWAP', state: 'filled', side: 'buy', ordType: 'market', sz: '5.37', accFillSz: '5.37', avgPx: '50000', fee: '-1.074', feeCcy: 'USDT', cTime: '1700000000000', uTime: '1700000000100', tdMode: 'isolated', reduceOnly: 'false' }] };
    }
    throw new Error(`unexpected ${method} ${path}`);
  };
  return { client, sent };
}

describe('OKX swaps: base units on the port, contracts on the wire', () => {
  it('the market reports steps and minimums in BTC', async () => {
    const { client } = okxSwap();
    const port = new CcxtExchange({ account: { exchange: 'okx', mode: 'futures' }, exchange: client, quirks: quirksFor('okx') });
    expect(await port.market('BTC/USDT:USDT')).toMatchObject({ contractSize: 0.01, stepSize: 0.0001, minQty: 0.0001 });
  });

  it('0.0537 BTC goes out as 5.37 contracts and the fill comes back as 0.0537 BTC', async () => {
    const { client, sent } = okxSwap();
    const port = new CcxtExchange({ account: { exchange: 'okx', mode: 'futures', marginMode: 'isolated' }, exchange: client, quirks: quirksFor('okx') });
    const order = await port.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 0.05379, leverage: 5, clientOrderId: 'swap-1' });
    const placed = sent.find((r) => r.method === 'POST' && r.path.includes('/trade/') && r.path.includes('order'));
    expect(placed?.body).toContain('"sz":"5.37"');
    expect(placed?.body).toContain('"clOrdId":"swap1"');
    expect(placed?.body).toContain('"tdMode":"isolated"');
    expect(sent[0]?.path).toBe('/api/v5/account/set-leverage');
    expect(order).toMatchObject({ id: '777', clientOrderId: 'swap-1', status: 'closed', filledQty: 0.0537, avgPrice: 50_000, fee: 1.074, feeCurrency: 'USDT' });
  });
});
