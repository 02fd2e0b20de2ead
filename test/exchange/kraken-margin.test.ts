/**
 * Kraken spot-margin positions through real ccxt, with Kraken's answers served at ccxt's HTTP
 * edge (the instance's `fetch`): ccxt leaves the entry price out and counts closed volume as
 * open; the Kraken quirk fixes both and adds the account's margin level.
 */
import type { Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { CcxtExchange } from '../../src/exchange/ccxt-adapter.ts';
import { createCcxtClient } from '../../src/exchange/factory.ts';
import { quirksFor } from '../../src/exchange/quirks/index.ts';

function krakenMargin(answers: Record<string, unknown>): { client: Exchange; paths: string[] } {
  const client = createCcxtClient({ exchange: 'kraken', mode: 'margin', options: { kraken: { enableRateLimit: false } }, credentials: { apiKey: 'key', secret: 'c2VjcmV0' } });
  client.setMarkets([
    client.safeMarketStructure({ id: 'XXBTZUSD', symbol: 'BTC/USD', base: 'BTC', quote: 'USD', baseId: 'XXBT', quoteId: 'ZUSD', type: 'spot', spot: true, margin: true, active: true, precision: { amount: 0.00000001, price: 0.1 }, limits: { amount: { min: 0.0001 }, cost: { min: 0.5 }, price: {}, leverage: {} }, info: { altname: 'XBTUSD' } }),
  ]);
  const paths: string[] = [];
  (client as unknown as { fetch: (url: string) => Promise<unknown> }).fetch = async (url) => {
    const path = new URL(url).pathname;
    paths.push(path);
    const answer = Object.entries(answers).find(([suffix]) => path.endsWith(suffix))?.[1];
    if (answer === undefined) throw new Error(`unexpected request ${path}`);
    return { error: [], result: answer };
  };
  return { client, paths };
}

describe('Kraken margin positions', () => {
  it('entry = cost / volume, open = volume − closed, margin level from the account', async () => {
    const { client, paths } = krakenMargin({
      OpenPositions: [{ pair: 'XXBTZUSD', positions: '2', type: 'sell', leverage: '5.00000', cost: '25000.00000', fee: '40.00000', vol: '0.50000000', vol_closed: '0.10000000', margin: '5000.00000', net: '+120.0000' }],
      TradeBalance: { eb: '20000.0000', tb: '20000.0000', m: '4000.0000', n: '120.0000', e: '20120.0000', mf: '16120.0000', ml: '503.0000' },
    });
    const port = new CcxtExchange({ account: { exchange: 'kraken', mode: 'margin' }, exchange: client, quirks: quirksFor('kraken') });
    const [position] = await port.fetchPositions();
    expect(position).toMatchObject({ symbol: 'BTC/USD', side: 'short', qty: 0.4, entryPrice: 50_000, leverage: 5, marginLevel: 503, unrealizedPnl: 120 });
    expect(paths).toEqual(['/0/private/OpenPositions', '/0/private/TradeBalance']);
  });

  it('the margin level becomes a liquidation price (Kraken liquidates at 40 %): the position loses its margin\'s share of the cushion', async () => {
    const { client } = krakenMargin({
      // the short of the case above: price now 50 000 − 120 / 0.4 = 49 700; its margin for the open 0.4 = 5 000 × 0.4 / 0.5 = 4 000
      OpenPositions: [{ pair: 'XXBTZUSD', type: 'sell', leverage: '5.00000', cost: '25000.00000', fee: '40.00000', vol: '0.50000000', vol_closed: '0.10000000', margin: '5000.00000', net: '+120.0000' }],
      TradeBalance: { e: '20120.0000', m: '4000.0000', ml: '503.0000' },
    });
    const port = new CcxtExchange({ account: { exchange: 'kraken', mode: 'margin' }, exchange: client, quirks: quirksFor('kraken') });
    const [short] = await port.fetchPositions();
    // cushion share 4 000 × (503 − 40) / 100 = 18 520 over 0.4 BTC = 46 300 above 49 700
    expect(short?.liquidationPrice).toBeCloseTo(96_000, 6);
  });

  it('a long with docalcs value: priced at value / volume, liquidated below by its share of the cushion', async () => {
    const { client } = krakenMargin({
      OpenPositions: [{ pair: 'XXBTZUSD', type: 'buy', leverage: '3.00000', cost: '30000.00000', fee: '48.00000', vol: '0.60000000', vol_closed: '0', margin: '10000.00000', value: '29400.0000', net: '-600.0000' }],
      TradeBalance: { e: '12000.0000', m: '10000.0000', ml: '120.0000' },
    });
    const port = new CcxtExchange({ account: { exchange: 'kraken', mode: 'margin' }, exchange: client, quirks: quirksFor('kraken') });
    const [long] = await port.fetchPositions();
    // price 29 400 / 0.6 = 49 000; cushion 10 000 × (120 − 40) / 100 = 8 000 → 13 333.33 per BTC below
    expect(long).toMatchObject({ side: 'long', qty: 0.6, entryPrice: 50_000, markPrice: 49_000, margin: 10_000, marginLevel: 120 });
    expect(long?.liquidationPrice).toBeCloseTo(49_000 - 8_000 / 0.6, 6);
  });

  it('no open position asks for no margin level', async () => {
    const { client, paths } = krakenMargin({ OpenPositions: [] });
    const port = new CcxtExchange({ account: { exchange: 'kraken', mode: 'margin' }, exchange: client, quirks: quirksFor('kraken') });
    expect(await port.fetchPositions()).toEqual([]);
    expect(paths).toEqual(['/0/private/OpenPositions']);
  });
});
