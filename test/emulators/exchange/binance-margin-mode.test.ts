/**
 * Margin modes as Binance keeps them. USDⓈ-M: cross or isolated per symbol (marginType), the
 * liquidation price by Binance's formula (cross: the whole cross wallet; isolated: the margin put
 * in). Spot margin: the cross account and each isolated pair are separate wallets. Real ccxt.
 */
import { MarginModeAlreadySet, type Exchange } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asset } from './binance-margin.ts';
import { startBinanceEmulator, type BinanceEmulator } from './binance-server.ts';
import { ccxtClient } from './ccxt-client.ts';

const BTC = 'BTC/USDT:USDT';
const ETH = 'ETH/USDT:USDT';

describe('Binance emulator: USD-M margin type and liquidation price (real ccxt)', () => {
  let emulator: BinanceEmulator;
  let client: Exchange;
  beforeEach(async () => {
    emulator = await startBinanceEmulator();
    emulator.book.futuresWallet = 1_000;
    emulator.setPrice('BTCUSDT', 50_000);
    emulator.setPrice('ETHUSDT', 2_000);
    client = ccxtClient(emulator, 'futures');
    await client.loadMarkets();
    await client.setLeverage(10, BTC);
    await client.setLeverage(10, ETH);
  });
  afterEach(() => emulator.close());

  const position = async (symbol: string) => (await client.fetchPositions([symbol]))[0];

  it('cross: a 10× long of 0.1 BTC at 50 000 is backed by the whole wallet (998 after the 2 USDT fee): liquidation 40 180.72', async () => {
    await client.createOrder(BTC, 'market', 'buy', 0.1);
    const long = await position(BTC);
    expect(long).toMatchObject({ marginMode: 'cross', side: 'long', contracts: 0.1, leverage: 10 });
    // (998 − 5 000) / (0.1 × 0.004 − 0.1)
    expect(long?.liquidationPrice).toBe(40_180.72289157);
    // more money in the wallet moves it away: (1 998 − 5 000) / −0.0996
    emulator.book.futuresWallet += 1_000;
    expect((await position(BTC))?.liquidationPrice).toBe(30_140.562249);
  });

  it('isolated: the same long risks only its 500 USDT margin: liquidation 45 180.72, whatever the wallet holds', async () => {
    await client.setMarginMode('isolated', BTC);
    expect(emulator.requests.at(-1)?.params.marginType).toBe('ISOLATED');
    await client.createOrder(BTC, 'market', 'buy', 0.1);
    const long = await position(BTC);
    expect(long).toMatchObject({ marginMode: 'isolated', side: 'long', contracts: 0.1 });
    expect((long?.info as Record<string, string>).isolatedWallet).toBe('500');
    expect(long?.liquidationPrice).toBe(45_180.72289157); // (500 − 5 000) / −0.0996
    emulator.book.futuresWallet += 1_000;
    expect((await position(BTC))?.liquidationPrice).toBe(45_180.72289157);
  });

  it("an isolated position's margin is not in the cross wallet that backs a cross position", async () => {
    await client.setMarginMode('isolated', ETH);
    await client.createOrder(ETH, 'market', 'buy', 1); // 200 USDT isolated, 0.8 fee
    await client.createOrder(BTC, 'market', 'buy', 0.1); // cross, 2 fee
    // cross wallet 1 000 − 0.8 − 2 − 200 = 797.2: (797.2 − 5 000) / −0.0996
    expect((await position(BTC))?.liquidationPrice).toBe(42_196.78714859);
  });

  it('the same margin type again is -4046 (ccxt: MarginModeAlreadySet); a change with a position is -4048, with an open order -4047', async () => {
    await expect(client.setMarginMode('cross', BTC)).rejects.toThrow(MarginModeAlreadySet);
    expect(emulator.requests.at(-1)?.params.marginType).toBe('CROSSED');
    await client.createOrder(BTC, 'market', 'buy', 0.01);
    await expect(client.setMarginMode('isolated', BTC)).rejects.toThrow(/-4048.*Margin type cannot be changed if there exists position/);
    await client.createOrder(ETH, 'limit', 'buy', 0.01, 1_500);
    await expect(client.setMarginMode('isolated', ETH)).rejects.toThrow(/-4047.*Margin type cannot be changed if there exists open orders/);
    expect((await position(BTC))?.marginMode).toBe('cross');
  });
});

describe('Binance emulator: spot margin, cross and isolated wallets apart (real ccxt)', () => {
  let emulator: BinanceEmulator;
  let client: Exchange;
  beforeEach(async () => {
    emulator = await startBinanceEmulator();
    emulator.setPrice('BTCUSDT', 50_000);
    asset(emulator.book.marginCross, 'USDT').free = 1_000;
    asset(emulator.book.marginWallet('BTCUSDT'), 'USDT').free = 300;
    client = ccxtClient(emulator, 'margin');
    await client.loadMarkets();
  });
  afterEach(() => emulator.close());

  it('an isolated order (isIsolated TRUE) spends the pair wallet only; the cross account is untouched', async () => {
    const order = await client.createOrder('BTC/USDT', 'market', 'buy', 0.005, undefined, { marginMode: 'isolated' });
    expect(emulator.requests.at(-1)?.params.isIsolated).toBe('true');
    const cross = await client.fetchBalance({ marginMode: 'cross' });
    expect(cross.USDT?.free).toBe(1_000);
    expect(cross.BTC?.total ?? 0).toBe(0);
    const isolated = await client.fetchBalance({ marginMode: 'isolated' });
    expect(isolated.USDT?.free).toBe(50);
    expect(isolated.BTC?.free).toBe(0.004995);
    // each wallet finds its own orders only
    expect((await client.fetchOrder(String(order.id), 'BTC/USDT', { marginMode: 'isolated' })).filled).toBe(0.005);
    await expect(client.fetchOrder(String(order.id), 'BTC/USDT', { marginMode: 'cross' })).rejects.toThrow(/-2013/);
  });

  it('the cross balance does not pay for an isolated order (-2010 without borrowing)', async () => {
    await expect(client.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { marginMode: 'isolated' })).rejects.toThrow(/Account has insufficient balance for requested action/);
    await client.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { marginMode: 'cross' });
    expect(emulator.book.marginCross.get('BTC')?.free).toBe(0.00999);
  });

  it('an isolated pair that borrowed reports its liquidation price (margin level 1.1)', async () => {
    await client.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { marginMode: 'isolated', sideEffectType: 'MARGIN_BUY' });
    const raw = (await client.sapiGetMarginIsolatedAccount({ symbols: 'BTCUSDT' })) as { assets: Array<Record<string, unknown>> };
    const pair = raw.assets[0]!;
    expect(pair.quoteAsset).toMatchObject({ asset: 'USDT', borrowed: '200', free: '0' });
    expect(pair.baseAsset).toMatchObject({ asset: 'BTC', free: '0.00999' });
    // 0.00999 × p = 1.1 × 200
    expect(pair.liquidatePrice).toBe('22022.02202202');
  });
});
