import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, users } from '../../src/db/schema.ts';
import { PaperExchange, type PaperExchangeDeps } from '../../src/exchange/paper.ts';
import type { PaperStore } from '../../src/exchange/paper-store.ts';
import { createDrizzlePaperStore } from '../../src/db/repos/paper-store.ts';
import type { ExchangeError, Market, TradingMode } from '../../src/exchange/port.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';

const BTC_SPOT: Market = { symbol: 'BTC/USDT', id: 'BTCUSDT', base: 'BTC', quote: 'USDT', type: 'spot', tickSize: 0.01, stepSize: 0.00001, minQty: 0.00001, minCost: 5, contractSize: 1 };
const BTC_PERP: Market = { ...BTC_SPOT, symbol: 'BTC/USDT:USDT', type: 'swap', settle: 'USDT', stepSize: 0.001, minQty: 0.001, minCost: 100 };

describe.each(databaseKinds())('paper exchange on %s', (kind) => {
  let database: TestDatabase;
  let store: PaperStore;
  let userId: string;
  const prices = new Map<string, number>();

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    store = createDrizzlePaperStore(database.db);
    const [user] = await database.db.insert(users).values({ telegramId: 7, chatId: 7 }).returning();
    userId = user!.id;
  });
  afterAll(() => database?.destroy());

  async function paperAccount(mode: TradingMode, settings: PaperExchangeDeps['settings'] = {}) {
    const [row] = await database.db.insert(apiKeys).values({ userId, exchange: 'binance', mode, isPaper: true }).returning();
    const accountId = row!.id;
    const make = () =>
      new PaperExchange({
        account: { exchange: 'binance', mode, paper: true, accountId },
        store,
        price: async (symbol) => prices.get(symbol)!,
        markets: async () => ({ [BTC_SPOT.symbol]: BTC_SPOT, [BTC_PERP.symbol]: BTC_PERP }),
        settings: { slippage: 0.0005, feeRate: 0.001, ...settings },
        now: () => 1_700_000_000_000,
      });
    return { accountId, exchange: make(), restart: make };
  }

  it('protective stops survive a restart: a resting spot stop still holds the coins and fires later; a fired one keeps its fill', async () => {
    const { exchange, restart } = await paperAccount('spot');
    prices.set('BTC/USDT', 50_000);
    const buy = await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.01, clientOrderId: 'rb1' });
    const held = buy.filledQty - buy.fee;
    await exchange.placeStop({ symbol: 'BTC/USDT', side: 'long', qty: held, stopPrice: 48_000, clientOrderId: 'rbs1' });

    const after = restart();
    expect(await after.fetchStop('BTC/USDT', { clientOrderId: 'rbs1' })).toMatchObject({ status: 'open', stopPrice: 48_000, qty: held });
    expect((await after.fetchBalance()).BTC).toMatchObject({ free: 0, used: held });
    await expect(after.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: held, clientOrderId: 'rs1' })).rejects.toThrow(/a stop holds the rest/);
    // placed again under the same client id (a retried request): the resting stop, not a second one
    expect((await after.placeStop({ symbol: 'BTC/USDT', side: 'long', qty: held, stopPrice: 48_000, clientOrderId: 'rbs1' })).qty).toBe(held);
    expect((await after.fetchBalance()).BTC?.used).toBe(held);

    prices.set('BTC/USDT', 47_900);
    const fired = await after.fetchStop('BTC/USDT', { clientOrderId: 'rbs1' });
    expect(fired).toMatchObject({ status: 'closed', fill: { filledQty: held, side: 'sell' } });
    const third = restart();
    expect(await third.fetchStop('BTC/USDT', { clientOrderId: 'rbs1' })).toMatchObject({ status: 'closed', fill: { clientOrderId: 'rbs1f', filledQty: held } });
    expect((await third.fetchBalance()).BTC?.total ?? 0).toBe(0);
  });

  it('a new wallet holds the configured start balance (default 10 000 USDT)', async () => {
    expect((await (await paperAccount('spot')).exchange.fetchBalance()).USDT).toEqual({ free: 10_000, used: 0, total: 10_000 });
    expect((await (await paperAccount('spot', { startBalance: 2_500 })).exchange.fetchBalance()).USDT?.total).toBe(2_500);
  });

  it('spot: a market buy fills at the price plus slippage and pays the taker fee; partial sells follow', async () => {
    const { exchange } = await paperAccount('spot');
    prices.set('BTC/USDT', 50_000);
    const buy = await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.1, clientOrderId: 'b1' });
    // 50 000 × 1.0005 = 50 025; cost 5 002.5; fee 0.1 % of the coin bought = 0.0001 BTC, as Binance charges it
    expect(buy).toMatchObject({ status: 'closed', filledQty: 0.1, avgPrice: 50_025, feeCurrency: 'BTC' });
    expect(buy.fee).toBeCloseTo(0.0001, 12);
    let balance = await exchange.fetchBalance();
    expect(balance.USDT?.total).toBeCloseTo(4_997.5, 8);
    expect(balance.BTC?.total).toBeCloseTo(0.0999, 12);

    prices.set('BTC/USDT', 52_000);
    const part = await exchange.closePosition({ symbol: 'BTC/USDT', qty: 0.04, clientOrderId: 's1' });
    // 52 000 × 0.9995 = 51 974; proceeds 2 078.96 − fee 2.07896
    expect(part).toMatchObject({ side: 'sell', filledQty: 0.04, avgPrice: 51_974 });
    balance = await exchange.fetchBalance();
    expect(balance.BTC?.total).toBeCloseTo(0.0599, 12);
    expect(balance.USDT?.total).toBeCloseTo(4_997.5 + 2_078.96 - 2.07896, 8);
  });

  it('futures: a leveraged short has a liquidation price, closes in parts with realized PnL', async () => {
    const { exchange } = await paperAccount('futures');
    prices.set('BTC/USDT:USDT', 50_000);
    await exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'sell', type: 'market', qty: 0.1, leverage: 5, clientOrderId: 'short' });
    const [position] = await exchange.fetchPositions();
    // fill 50 000 × 0.9995 = 49 975; margin 0.1 × 49 975 / 5 = 999.5; Binance's liq = (4 997.5 + 999.5) / (0.1 × 1.005)
    expect(position).toMatchObject({ symbol: 'BTC/USDT:USDT', side: 'short', qty: 0.1, entryPrice: 49_975, leverage: 5 });
    expect(position?.liquidationPrice).toBeCloseTo(5_997 / 0.1005, 6);
    let balance = await exchange.fetchBalance();
    expect(balance.USDT?.used).toBeCloseTo(999.5, 8);
    expect(balance.USDT?.total).toBeCloseTo(10_000 - 4.9975, 8);

    prices.set('BTC/USDT:USDT', 48_000);
    const part = await exchange.closePosition({ symbol: 'BTC/USDT:USDT', qty: 0.04, clientOrderId: 'tp1' });
    // buy fill 48 024; PnL 0.04 × (49 975 − 48 024) = 78.04; fee 0.04 × 48 024 × 0.1 % = 1.92096
    expect(part).toMatchObject({ side: 'buy', filledQty: 0.04, avgPrice: 48_024, reduceOnly: true });
    balance = await exchange.fetchBalance();
    expect(balance.USDT?.total).toBeCloseTo(10_000 - 4.9975 + 78.04 - 1.92096, 8);
    expect(balance.USDT?.used).toBeCloseTo(999.5 * 0.6, 8);
    expect((await exchange.fetchPositions())[0]?.qty).toBeCloseTo(0.06, 12);

    const rest = await exchange.closePosition({ symbol: 'BTC/USDT:USDT', qty: 5, clientOrderId: 'all' });
    expect(rest.filledQty).toBeCloseTo(0.06, 12);
    expect(await exchange.fetchPositions()).toEqual([]);
  });

  it('a restart keeps balances, positions and orders', async () => {
    const { exchange, restart } = await paperAccount('futures');
    prices.set('BTC/USDT:USDT', 40_000);
    await exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 0.05, leverage: 3, clientOrderId: 'keep' });
    const before = { balance: await exchange.fetchBalance(), positions: await exchange.fetchPositions() };
    const again = restart();
    expect(await again.fetchBalance()).toEqual(before.balance);
    expect(await again.fetchPositions()).toEqual(before.positions);
    expect((await again.fetchOrder('BTC/USDT:USDT', { clientOrderId: 'keep' }))?.filledQty).toBe(0.05);
  });

  it('the same client order id never fills twice', async () => {
    const { exchange } = await paperAccount('spot');
    prices.set('BTC/USDT', 50_000);
    const first = await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.01, clientOrderId: 'once' });
    const second = await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.01, clientOrderId: 'once' });
    expect(second.id).toBe(first.id);
    expect((await exchange.fetchBalance()).BTC?.total).toBeCloseTo(0.00999, 12);
  });

  it('refuses what a real exchange refuses, with the same codes', async () => {
    const spot = (await paperAccount('spot')).exchange;
    const futures = (await paperAccount('futures')).exchange;
    prices.set('BTC/USDT', 50_000);
    prices.set('BTC/USDT:USDT', 50_000);
    const code = (p: Promise<unknown>) => p.then(() => 'placed', (e: ExchangeError) => e.code);
    expect(await code(spot.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 1, clientOrderId: 'x1' }))).toBe('INSUFFICIENT_FUNDS');
    expect(await code(spot.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: 0.01, clientOrderId: 'x2' }))).toBe('INSUFFICIENT_FUNDS');
    expect(await code(spot.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: 0.01, reduceOnly: true, clientOrderId: 'x3' }))).toBe('REDUCE_ONLY_INVALID');
    expect(await code(spot.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.00005, clientOrderId: 'x4' }))).toBe('ORDER_BELOW_MINIMUM');
    expect(await code(futures.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 1, leverage: 2, clientOrderId: 'x5' }))).toBe('MARGIN_LEVEL_TOO_LOW');
    expect(await code(futures.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'sell', type: 'market', qty: 0.01, reduceOnly: true, clientOrderId: 'x6' }))).toBe('REDUCE_ONLY_INVALID');
    expect(await code(futures.closePosition({ symbol: 'BTC/USDT:USDT', clientOrderId: 'x7' }))).toBe('POSITION_NOT_FOUND');
    expect(await code(spot.placeOrder({ symbol: 'DOGE/USDT', side: 'buy', type: 'market', qty: 1, clientOrderId: 'x8' }))).toBe('UNKNOWN_SYMBOL');
    expect((await spot.fetchBalance()).USDT?.total).toBe(10_000);
  });

  it('a position whose liquidation price is crossed is liquidated: its margin is lost', async () => {
    const { exchange } = await paperAccount('futures', { slippage: 0, feeRate: 0 });
    prices.set('BTC/USDT:USDT', 50_000);
    await exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 0.1, leverage: 10, clientOrderId: 'lev10' });
    // long 10×: margin 500; Binance's liq = (5 000 − 500) / (0.1 × 0.995) = 45 226.13
    expect((await exchange.fetchPositions())[0]?.liquidationPrice).toBeCloseTo(4_500 / 0.0995, 6);
    prices.set('BTC/USDT:USDT', 45_000);
    expect(await exchange.fetchPositions()).toEqual([]);
    expect((await exchange.fetchBalance()).USDT).toEqual({ free: 9_500, used: 0, total: 9_500 });
  });

  it('limit orders: marketable ones fill at once, others rest until cancelled', async () => {
    const { exchange } = await paperAccount('spot');
    prices.set('BTC/USDT', 50_000);
    const resting = await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: 45_000, qty: 0.01, clientOrderId: 'l1' });
    expect(resting.status).toBe('open');
    expect((await exchange.cancelOrder('BTC/USDT', { clientOrderId: 'l1' }))?.status).toBe('canceled');
    expect((await exchange.fetchOrder('BTC/USDT', { id: resting.id }))?.status).toBe('canceled');
    const filled = await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: 50_010, qty: 0.01, clientOrderId: 'l2' });
    // never worse than the limit: min(50 025 with slippage, 50 010)
    expect(filled).toMatchObject({ status: 'closed', avgPrice: 50_010 });
  });
});
