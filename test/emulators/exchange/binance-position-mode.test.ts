/**
 * USDⓈ-M position mode as Binance keeps it: one-way (BOTH; opposite orders net; a reduce-only that
 * would not reduce is refused) or hedge (LONG and SHORT side by side; every order names its side;
 * reduceOnly is refused; SELL+LONG and BUY+SHORT close). Real ccxt binanceusdm against the emulator.
 */
import type { Exchange } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBinanceEmulator, type BinanceEmulator } from './binance-server.ts';
import { ccxtClient } from './ccxt-client.ts';

const BTC = 'BTC/USDT:USDT';

describe('Binance emulator: USD-M position mode (real ccxt)', () => {
  let emulator: BinanceEmulator;
  let client: Exchange;
  beforeEach(async () => {
    emulator = await startBinanceEmulator();
    emulator.book.futuresWallet = 10_000;
    emulator.setPrice('BTCUSDT', 50_000);
    client = ccxtClient(emulator, 'futures');
    await client.loadMarkets();
  });
  afterEach(() => emulator.close());

  const rows = async () => (await client.fetchPositions([BTC])).map((p) => [p.side, p.contracts, p.entryPrice, (p.info as Record<string, string>).positionSide, p.hedged]);

  it('starts one-way; setPositionMode(true) turns hedge mode on, a second time is -4059', async () => {
    expect((await client.fetchPositionMode(BTC)).hedged).toBe(false);
    await client.setPositionMode(true, BTC);
    expect(emulator.requests.at(-1)?.params.dualSidePosition).toBe('true');
    expect((await client.fetchPositionMode(BTC)).hedged).toBe(true);
    await expect(client.setPositionMode(true, BTC)).rejects.toThrow(/-4059.*No need to change position side/);
  });

  it('hedge mode: a long and a short of one symbol live side by side, each closed on its own side', async () => {
    await client.setPositionMode(true, BTC);
    await client.createOrder(BTC, 'market', 'buy', 0.02, undefined, { positionSide: 'LONG' });
    emulator.setPrice('BTCUSDT', 51_000);
    await client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { positionSide: 'SHORT' });
    expect(await rows()).toEqual([
      ['long', 0.02, 50_000, 'LONG', true],
      ['short', 0.01, 51_000, 'SHORT', true],
    ]);
    // SELL on LONG closes part of the long (it does not open or add to the short)
    emulator.setPrice('BTCUSDT', 52_000);
    const close = await client.createOrder(BTC, 'market', 'sell', 0.015, undefined, { positionSide: 'LONG' });
    expect(close).toMatchObject({ status: 'closed', filled: 0.015, average: 52_000 });
    expect(await rows()).toEqual([
      ['long', 0.005, 50_000, 'LONG', true],
      ['short', 0.01, 51_000, 'SHORT', true],
    ]);
    const [trade] = await client.fetchMyTrades(BTC, undefined, undefined, { orderId: close.id });
    expect((trade?.info as Record<string, string>).realizedPnl).toBe('30'); // 0.015 × (52 000 − 50 000)
    // BUY on SHORT closes the short
    await client.createOrder(BTC, 'market', 'buy', 0.01, undefined, { positionSide: 'SHORT' });
    expect(await rows()).toEqual([['long', 0.005, 50_000, 'LONG', true]]);
  });

  it('hedge mode refuses an order without LONG/SHORT (-4061), reduceOnly (-1106) and closing more than held (-2022)', async () => {
    await client.setPositionMode(true, BTC);
    await expect(client.createOrder(BTC, 'market', 'buy', 0.01)).rejects.toThrow(/-4061.*Order's position side does not match user's setting/);
    await expect(client.createOrder(BTC, 'market', 'buy', 0.01, undefined, { positionSide: 'BOTH' })).rejects.toThrow(/-4061/);
    await client.createOrder(BTC, 'market', 'buy', 0.01, undefined, { positionSide: 'LONG' });
    await expect(client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { positionSide: 'LONG', reduceOnly: true })).rejects.toThrow(/-1106.*Parameter 'reduceOnly' sent when not required/);
    await expect(client.createOrder(BTC, 'market', 'sell', 0.02, undefined, { positionSide: 'LONG' })).rejects.toThrow(/-2022.*ReduceOnly Order is rejected/);
    await expect(client.createOrder(BTC, 'market', 'buy', 0.01, undefined, { positionSide: 'SHORT' })).rejects.toThrow(/-2022/);
    expect(await rows()).toEqual([['long', 0.01, 50_000, 'LONG', true]]);
  });

  it('ccxt hedged: true names the side for it (a reduceOnly close becomes SELL on LONG)', async () => {
    await client.setPositionMode(true, BTC);
    await client.createOrder(BTC, 'market', 'buy', 0.01, undefined, { hedged: true });
    expect(emulator.requests.at(-1)?.params.positionSide).toBe('LONG');
    await client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { hedged: true, reduceOnly: true });
    expect(emulator.requests.at(-1)?.params).toMatchObject({ positionSide: 'LONG', side: 'SELL' });
    expect(await client.fetchPositions([BTC])).toEqual([]);
  });

  it('the mode cannot change while a position (-4068) or an open order (-4067) exists', async () => {
    await client.createOrder(BTC, 'market', 'buy', 0.01);
    await expect(client.setPositionMode(true, BTC)).rejects.toThrow(/-4068.*Position side cannot be changed if there exists position/);
    await client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { reduceOnly: true });
    const resting = await client.createOrder(BTC, 'limit', 'buy', 0.01, 40_000);
    await expect(client.setPositionMode(true, BTC)).rejects.toThrow(/-4067.*Position side cannot be changed if there exists open orders/);
    await client.cancelOrder(String(resting.id), BTC);
    await client.setPositionMode(true, BTC);
    expect((await client.fetchPositionMode(BTC)).hedged).toBe(true);
  });

  it('one-way mode: opposite orders net into one BOTH position; LONG/SHORT is -4061; a reduce-only that would not reduce is -2022', async () => {
    await client.createOrder(BTC, 'market', 'buy', 0.03);
    await client.createOrder(BTC, 'market', 'sell', 0.01);
    expect(await rows()).toEqual([['long', 0.02, 50_000, 'BOTH', false]]);
    await client.createOrder(BTC, 'market', 'sell', 0.05); // flips: closes 0.02, opens a 0.03 short
    expect(await rows()).toEqual([['short', 0.03, 50_000, 'BOTH', false]]);
    await expect(client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { positionSide: 'SHORT' })).rejects.toThrow(/-4061/);
    await expect(client.createOrder(BTC, 'market', 'sell', 0.01, undefined, { reduceOnly: true })).rejects.toThrow(/-2022.*ReduceOnly Order is rejected/);
    await expect(client.createOrder(BTC, 'market', 'buy', 0.04, undefined, { reduceOnly: true })).rejects.toThrow(/-2022/);
    await client.createOrder(BTC, 'market', 'buy', 0.03, undefined, { reduceOnly: true });
    expect(await client.fetchPositions([BTC])).toEqual([]);
  });
});
