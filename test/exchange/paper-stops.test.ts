/**
 * The paper exchange keeps protective stops as the live venues do (SPEC §10), so paper and live
 * run one code path: a spot stop locks the coins, a crossed trigger is refused, a resting stop
 * fires at the price once it is reached, a futures stop closes reduce-only.
 */
import { describe, expect, it } from 'vitest';
import { PaperExchange } from '../../src/exchange/paper.ts';
import { createMemoryPaperStore } from '../../src/exchange/paper-store.ts';
import { isExchangeError, type Market, type TradingMode } from '../../src/exchange/port.ts';

const BTC_SPOT: Market = { symbol: 'BTC/USDT', id: 'BTCUSDT', base: 'BTC', quote: 'USDT', type: 'spot', tickSize: 0.01, stepSize: 0.00001, minQty: 0.00001, minCost: 5, contractSize: 1 };
const BTC_PERP: Market = { ...BTC_SPOT, symbol: 'BTC/USDT:USDT', type: 'swap', settle: 'USDT', stepSize: 0.001, minQty: 0.001, minCost: 100 };

function paper(mode: TradingMode) {
  const prices = new Map<string, number>([
    ['BTC/USDT', 50_000],
    ['BTC/USDT:USDT', 50_000],
  ]);
  const exchange = new PaperExchange({
    account: { exchange: 'binance', mode, paper: true, accountId: `acc-${mode}` },
    store: createMemoryPaperStore(),
    price: async (symbol) => prices.get(symbol)!,
    markets: async () => ({ [BTC_SPOT.symbol]: BTC_SPOT, [BTC_PERP.symbol]: BTC_PERP }),
    settings: { slippage: 0, feeRate: 0.001 },
  });
  return { exchange, setPrice: (p: number) => (prices.set('BTC/USDT', p), prices.set('BTC/USDT:USDT', p)) };
}

describe('paper exchange: protective stops', () => {
  it('spot: a stop locks the coins (a market sell of them is refused), cancel unlocks', async () => {
    const { exchange } = paper('spot');
    const buy = await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.01, clientOrderId: 'b1' });
    const held = buy.filledQty - buy.fee; // 0.00999: the fee was taken in BTC
    expect(held).toBeCloseTo(0.00999, 12);
    const stop = await exchange.placeStop({ symbol: 'BTC/USDT', side: 'long', qty: held, stopPrice: 48_000, clientOrderId: 'bs1' });
    expect(stop).toMatchObject({ status: 'open', stopPrice: 48_000, qty: 0.00999 });
    expect((await exchange.fetchBalance()).BTC).toMatchObject({ free: 0, used: 0.00999 });
    await expect(exchange.closePosition({ symbol: 'BTC/USDT', qty: held, clientOrderId: 's1' })).rejects.toSatisfy((e) => isExchangeError(e, 'POSITION_NOT_FOUND'));
    await expect(exchange.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: held, clientOrderId: 's2' })).rejects.toSatisfy((e) => isExchangeError(e, 'INSUFFICIENT_FUNDS'));
    expect(await exchange.cancelStop('BTC/USDT', { clientOrderId: 'bs1' })).toMatchObject({ status: 'canceled' });
    expect((await exchange.fetchBalance()).BTC).toMatchObject({ free: 0.00999, used: 0 });
    expect((await exchange.closePosition({ symbol: 'BTC/USDT', qty: held, clientOrderId: 's3' })).filledQty).toBeCloseTo(0.00999, 12);
  });

  it('a stop the price already crossed is refused; a resting one fires at the price once it is reached', async () => {
    const { exchange, setPrice } = paper('spot');
    await exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.01, clientOrderId: 'b1' });
    await expect(exchange.placeStop({ symbol: 'BTC/USDT', side: 'long', qty: 0.00999, stopPrice: 51_000, clientOrderId: 'bs0' })).rejects.toSatisfy((e) => isExchangeError(e, 'INVALID_ORDER'));
    await exchange.placeStop({ symbol: 'BTC/USDT', side: 'long', qty: 0.00999, stopPrice: 48_000, clientOrderId: 'bs1' });
    setPrice(48_500);
    expect((await exchange.fetchStop('BTC/USDT', { clientOrderId: 'bs1' }))?.status).toBe('open');
    setPrice(47_900);
    const fired = await exchange.fetchStop('BTC/USDT', { clientOrderId: 'bs1' });
    expect(fired).toMatchObject({ status: 'closed', fill: { filledQty: 0.00999, avgPrice: 47_900, side: 'sell' } });
    expect(fired?.fill?.fee).toBeCloseTo(0.00999 * 47_900 * 0.001, 9); // 0.478521 USDT
    const balance = await exchange.fetchBalance();
    expect(balance.BTC?.total ?? 0).toBe(0);
  });

  it('futures: a reduce-only stop closes the long when the price falls through it; it locks no margin', async () => {
    const { exchange, setPrice } = paper('futures');
    await exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 0.02, leverage: 5, clientOrderId: 'b1' });
    await exchange.placeStop({ symbol: 'BTC/USDT:USDT', side: 'long', qty: 0.02, stopPrice: 48_755, clientOrderId: 'bs1' });
    expect(await exchange.fetchPositions()).toHaveLength(1);
    setPrice(48_700);
    expect(await exchange.fetchPositions()).toEqual([]);
    expect((await exchange.fetchStop('BTC/USDT:USDT', { clientOrderId: 'bs1' }))?.fill).toMatchObject({ filledQty: 0.02, avgPrice: 48_700, reduceOnly: true });
  });
});
