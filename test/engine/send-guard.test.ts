/**
 * SPEC §12: a process that loses a trader's shard while an order of that trader waits to leave
 * (in ccxt's request throttle, or frozen mid-call) sends nothing: the ownership is checked again
 * right before each request of an order, stop or cancel leaves, not only when the call began.
 * Real ccxt against the Binance emulator; the lease is a plain ShardOwnership whose answer the
 * test turns, as the lease manager's local deadline would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { shardOf } from '../../src/domain/shards.ts';
import { guardOwnership, type ShardOwnership } from '../../src/engine/shard-leases.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';

const TRADER = '9f1c2b3a-0000-4000-8000-000000000001';
/** ccxt spaces this account's requests this far apart: an order waits in the throttle */
const RATE_LIMIT_MS = 1_500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the last check before an order leaves', () => {
  let emulator: BinanceEmulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  async function world() {
    emulator = await startBinanceEmulator();
    emulator.setPrice('BTCUSDT', 100);
    const book = emulator.addAccount('guard-key', 'guard-secret');
    book.spot('USDT').free = 10_000;
    const factory = createExchangeFactory({ options: { binance: { timeout: 10_000, rateLimit: RATE_LIMIT_MS, urls: { api: emulator.ccxtApiUrls() } } } });
    const port = factory.create({ exchange: 'binance', mode: 'spot', credentials: { apiKey: 'guard-key', secret: 'guard-secret' } });
    await port.loadMarkets();
    let owned = true;
    const ownership: ShardOwnership = { owns: (shard) => owned && shard === shardOf(TRADER), fence: () => undefined };
    const guarded = guardOwnership(port, ownership, TRADER);
    const orders = () => emulator!.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order');
    return { guarded, orders, lose: () => (owned = false) };
  }

  it('an order waiting in the throttle when the shard is lost is never sent; a read still goes', { timeout: 30_000 }, async () => {
    const w = await world();
    const sent = w.guarded.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.5, clientOrderId: 'guard-1' }).catch((e: unknown) => e);
    await sleep(200); // the call began while owned; its request still waits for its turn
    expect(w.orders()).toHaveLength(0);
    w.lose();
    const error = await sent;
    expect(error).toMatchObject({ code: 'NOT_SUPPORTED', message: expect.stringContaining('no longer holds this trader') });
    await sleep(RATE_LIMIT_MS);
    expect(w.orders()).toHaveLength(0);
    // a read is not an act: it goes whoever owns the trader
    expect((await w.guarded.fetchBalance())['USDT']?.free).toBe(10_000);
  });

  it('owned throughout, the same order is sent once the throttle lets it', { timeout: 30_000 }, async () => {
    const w = await world();
    const result = await w.guarded.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.5, clientOrderId: 'guard-2' });
    expect(result).toMatchObject({ status: 'closed', filledQty: 0.5 });
    expect(w.orders()).toHaveLength(1);
  });
});
