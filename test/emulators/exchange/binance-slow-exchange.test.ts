/**
 * A slow or flaky Binance as a restarting bot meets it: an order request that gets no answer and
 * executes seconds later (until then the lookup says -2013), an answer dropped after the order
 * executed, and client order ids that are unique among OPEN orders only (a filled order's id
 * can be sent again and fills again). Real ccxt against the emulator.
 */
import { NetworkError, OrderNotFound, RequestTimeout, type Exchange } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBinanceEmulator, type BinanceEmulator } from './binance-server.ts';
import { ccxtClient } from './ccxt-client.ts';

/** the held order's request gives up after 300 ms; the exchange executes it 2 s after it arrived */
const HELD_MS = 2_000;
const GIVE_UP_MS = 300;

/** `call` with a client that gives up after GIVE_UP_MS */
async function impatient<T>(client: Exchange, call: () => Promise<T>): Promise<T> {
  const patience = client.timeout;
  client.timeout = GIVE_UP_MS;
  try {
    return await call();
  } finally {
    client.timeout = patience;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** asks again every 50 ms while the order is unknown: on a loaded machine the held order executes late */
async function foundEventually<T>(lookup: () => Promise<T>, withinMs = 3_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await lookup();
    } catch (error) {
      if (!(error instanceof OrderNotFound) || Date.now() > deadline) throw error;
    }
    await sleep(50);
  }
}

describe('Binance emulator: held and dropped answers, reused client ids (real ccxt)', () => {
  let emulator: BinanceEmulator;
  let spot: Exchange;
  let futures: Exchange;
  beforeEach(async () => {
    emulator = await startBinanceEmulator();
    emulator.book.spot('USDT').free = 1_000;
    emulator.book.futuresWallet = 1_000;
    emulator.setPrice('BTCUSDT', 50_000);
    // a patient client for everything but the held order (a loaded machine answers slowly)
    spot = ccxtClient(emulator, 'spot', 5_000);
    futures = ccxtClient(emulator, 'futures', 5_000);
    await spot.loadMarkets();
    await futures.loadMarkets();
  });
  afterEach(() => emulator.close());

  const spotLookup = (clientOrderId: string) => spot.fetchOrder('', 'BTC/USDT', { origClientOrderId: clientOrderId });

  it('spot: a held order times out, is unknown (-2013) for a while, then found FILLED', async () => {
    emulator.inject({ method: 'POST', path: '/api/v3/order', fault: { kind: 'hold-then-execute', delayMs: HELD_MS } });
    const started = Date.now();
    await expect(impatient(spot, () => spot.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'slow-1' }))).rejects.toThrow(RequestTimeout);
    await expect(spotLookup('slow-1')).rejects.toThrow(OrderNotFound);
    expect((await spot.fetchBalance()).BTC?.free ?? 0).toBe(0);
    await sleep(HELD_MS - (Date.now() - started));
    const found = await foundEventually(() => spotLookup('slow-1'));
    expect(found).toMatchObject({ status: 'closed', filled: 0.01, clientOrderId: 'slow-1' });
    expect((await spot.fetchBalance()).BTC?.free).toBe(0.00999);
  });

  it('futures: the same on /fapi/v1/order — the position appears only after the delay', async () => {
    emulator.inject({ method: 'POST', path: '/fapi/v1/order', fault: { kind: 'hold-then-execute', delayMs: HELD_MS } });
    const started = Date.now();
    await expect(impatient(futures, () => futures.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'slow-f' }))).rejects.toThrow(RequestTimeout);
    await expect(futures.fetchOrder('', 'BTC/USDT:USDT', { origClientOrderId: 'slow-f' })).rejects.toThrow(/-2013.*Order does not exist/);
    expect(await futures.fetchPositions(['BTC/USDT:USDT'])).toEqual([]);
    await sleep(HELD_MS - (Date.now() - started));
    expect(await foundEventually(() => futures.fetchOrder('', 'BTC/USDT:USDT', { origClientOrderId: 'slow-f' }))).toMatchObject({ status: 'closed', filled: 0.01 });
    expect((await futures.fetchPositions(['BTC/USDT:USDT']))[0]).toMatchObject({ side: 'long', contracts: 0.01 });
  });

  it('an answer dropped after executing: the client sees a network error, the lookup finds the order FILLED at once', async () => {
    emulator.inject({ method: 'POST', path: '/api/v3/order', fault: { kind: 'drop-after-accept' } });
    await expect(spot.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'drop-1' })).rejects.toThrow(NetworkError);
    expect(await spotLookup('drop-1')).toMatchObject({ status: 'closed', filled: 0.01 });
  });

  it('a filled market order’s client id is accepted again and fills a second time (twice the coins)', async () => {
    const first = await spot.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'same' });
    const second = await spot.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'same' });
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ status: 'closed', filled: 0.01, clientOrderId: 'same' });
    expect((await spot.fetchBalance()).BTC?.free).toBe(0.01998);
    expect((await spotLookup('same')).id).toBe(second.id); // the lookup answers the latest
    // the order history (allOrders) shows both, as a restarted bot reading it would see
    const history = await spot.fetchOrders('BTC/USDT');
    expect(history.map((o) => [o.id, o.clientOrderId, o.status, o.filled])).toEqual([
      [first.id, 'same', 'closed', 0.01],
      [second.id, 'same', 'closed', 0.01],
    ]);
  });

  it('a client id of an OPEN order is refused: spot -2010 "Duplicate order sent.", futures -4116; free again once cancelled', async () => {
    const resting = await spot.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 40_000, { clientOrderId: 'rest' });
    await expect(spot.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'rest' })).rejects.toThrow(/Duplicate order sent/);
    await spot.cancelOrder(String(resting.id), 'BTC/USDT');
    expect((await spot.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'rest' })).status).toBe('closed');

    await futures.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.01, 40_000, { clientOrderId: 'f-rest' });
    await expect(futures.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'f-rest' })).rejects.toThrow(/-4116.*ClientOrderId is duplicated/);
  });
});
