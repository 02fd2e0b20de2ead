/**
 * The adapter on Kraken spot through real ccxt `kraken` against the Kraken spot emulator: our
 * client ids sent as Kraken takes them (a short UUID derived from ours), and an order or stop
 * whose answer was lost found by that id in OpenOrders / ClosedOrders (QueryOrders needs Kraken's
 * txid; ccxt would send our id as the integer userref), never sent twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCcxtClient, createExchangeFactory } from '../../src/exchange/factory.ts';
import type { ExchangePort } from '../../src/exchange/port.ts';
import { krakenSpotClientId } from '../../src/exchange/quirks/kraken.ts';
import { startKrakenSpotEmulator, type KrakenSpotEmulator } from '../emulators/exchange/kraken-server.ts';
import { krakenSpotCredentials, krakenSpotOptions } from './kraken-spot-support.ts';
import { fastRetry } from './okx-support.ts';

let e: KrakenSpotEmulator;
let port: ExchangePort;
afterEach(async () => {
  await port?.close();
  await e?.close();
});

async function start(mode: 'spot' | 'margin' = 'spot') {
  e = await startKrakenSpotEmulator();
  e.book.setCash('USDT', 10_000);
  e.setPrice('XBTUSDT', 50_000);
  port = createExchangeFactory({ options: krakenSpotOptions(e), ...fastRetry }).create({ exchange: 'kraken', mode, ...(mode === 'margin' ? { marginMode: 'cross' as const } : {}), credentials: krakenSpotCredentials(e) });
}

describe('Kraken spot adapter', () => {
  it('client ids: ours (31 characters) go as the short UUID derived from it; a UUID or a short text goes as it is', () => {
    expect(krakenSpotClientId('ase0123456789abcdef01234567n1')).toMatch(/^[0-9a-f]{32}$/);
    expect(krakenSpotClientId('ase0123456789abcdef01234567n1')).toBe(krakenSpotClientId('ase0123456789abcdef01234567n1'));
    expect(krakenSpotClientId('ase0123456789abcdef01234567n2')).not.toBe(krakenSpotClientId('ase0123456789abcdef01234567n1'));
    expect(krakenSpotClientId('d15708c1-dbb6-465d-b77d-47258319cc90')).toBe('d15708c1-dbb6-465d-b77d-47258319cc90');
    expect(krakenSpotClientId('tp-1')).toBe('tp-1');
  });

  it('one key\'s signed calls from two clients at once all pass Kraken\'s nonce check (the nonce grows per key, calls go out in nonce order)', async () => {
    await start();
    // the production ccxt clients (as the factory builds them), many calls in flight together: ccxt alone would reuse a millisecond nonce
    const clients = [0, 1].map(() => createCcxtClient({ exchange: 'kraken', mode: 'spot', options: krakenSpotOptions(e), credentials: krakenSpotCredentials(e) }));
    const answers = await Promise.all(clients.flatMap((c) => Array.from({ length: 8 }, () => c.fetchBalance())));
    expect(answers.every((b) => (b['USDT'] as { total?: number }).total === 10_000)).toBe(true);
    const nonces = e.requests.filter((r) => r.signed).map((r) => Number(r.params.nonce));
    expect(nonces).toHaveLength(16);
    expect(nonces.every((n, i) => i === 0 || n > nonces[i - 1]!)).toBe(true);
    expect(e.refusals).toEqual([]);
  });

  it('an entry whose answer was dropped is found by its client id in the closed orders, filled, priced and charged in USDT; sent once', async () => {
    await start();
    e.inject({ path: 'AddOrder', fault: { kind: 'drop-after-accept' } });
    const id = 'ase0123456789abcdef01234567n1';
    const order = await port.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.01, clientOrderId: id });
    expect(order).toMatchObject({ status: 'closed', filledQty: 0.01, avgPrice: 50_000, fee: 2, feeCurrency: 'USDT', clientOrderId: id });
    expect(e.count('AddOrder')).toBe(1);
    expect(e.book.orders).toHaveLength(1);
    expect(e.requests.filter((r) => r.path.endsWith('/ClosedOrders')).map((r) => r.params.cl_ord_id)).toEqual([krakenSpotClientId(id)]);
    expect(e.requests.some((r) => r.path.endsWith('/QueryOrders') && r.params.txid === '')).toBe(false);
    expect(e.refusals).toEqual([]);
  });

  it('a backstop whose answer was dropped is found open by its client id, holding the coins; cancelled by the id Kraken gave it', async () => {
    await start();
    await port.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.01, clientOrderId: 'entry' });
    e.inject({ path: 'AddOrder', fault: { kind: 'drop-after-accept' } });
    const clientOrderId = 'bs0123456789abcdef0123456789001';
    const stop = await port.placeStop!({ symbol: 'BTC/USDT', side: 'long', qty: 0.01, stopPrice: 49_000.06, clientOrderId });
    expect(stop).toMatchObject({ status: 'open', stopPrice: 49_000, qty: 0.01 });
    expect(e.count('AddOrder')).toBe(2);
    const [resting] = e.book.orders.filter((o) => o.ordertype === 'stop-loss-limit');
    expect(resting).toMatchObject({ price: 49_000, price2: 48_510, clOrdId: krakenSpotClientId(clientOrderId), txid: stop.id });
    expect((await port.fetchBalance()).BTC).toEqual({ free: 0, used: 0.01, total: 0.01 });
    expect(await port.fetchStop!('BTC/USDT', { clientOrderId })).toMatchObject({ id: stop.id, status: 'open' });
    await port.cancelStop!('BTC/USDT', { id: stop.id });
    expect(resting!.status).toBe('canceled');
    expect(await port.cancelStop!('BTC/USDT', { id: stop.id })).toBeUndefined();
  });

  it('below Kraken\'s ordermin is refused before sending (from AssetPairs); Kraken\'s "EOrder:Margin level too low" reaches the bot as its code', async () => {
    await start('margin');
    const code = (p: Promise<unknown>) => p.then(() => 'none', (error: { code?: string }) => error.code);
    expect(await code(port.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.00004, clientOrderId: 'small', leverage: 2 }))).toBe('ORDER_BELOW_MINIMUM');
    expect(await code(port.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 2, clientOrderId: 'big', leverage: 2 }))).toBe('MARGIN_LEVEL_TOO_LOW');
    expect(e.refusals.map((r) => r.text)).toEqual(['EOrder:Margin level too low']);
  });
});
