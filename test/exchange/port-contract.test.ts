/**
 * Live and paper are the same ExchangePort: the same story runs against the ccxt adapter (real
 * ccxt → Binance emulator) and against the paper exchange (trading on the emulator's public
 * prices and markets), with paper's fee and maintenance rate set to the emulator's and no
 * slippage — and must give the same fills, positions, balances and refusals.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPaperStore } from '../../src/exchange/paper-store.ts';
import type { ExchangeError, ExchangePort, TradingMode } from '../../src/exchange/port.ts';
import { createExchangeRuntime, type ExchangeRuntime } from '../../src/exchange/runtime.ts';
import { FUTURES_FEE, MAINT_RATE, SPOT_FEE } from '../emulators/exchange/binance-book.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';

interface Subject {
  exchange: ExchangePort;
  emulator: BinanceEmulator;
  /** sets the market price and waits until this port sees it */
  setPrice(price: number): Promise<void>;
  close(): Promise<void>;
}

async function subject(kind: 'live' | 'paper', mode: TradingMode): Promise<Subject> {
  const emulator = await startBinanceEmulator();
  emulator.book.spot('USDT').free = 10_000;
  emulator.book.futuresWallet = 10_000;
  const runtime: ExchangeRuntime = createExchangeRuntime({
    options: { binance: { timeout: 5_000, enableRateLimit: false, urls: { api: emulator.ccxtApiUrls() } } },
    feed: { websocket: false, pollIntervalMs: 10 },
    paper: { store: createMemoryPaperStore(), settings: { slippage: 0, feeRate: mode === 'futures' ? FUTURES_FEE : SPOT_FEE, maintenanceRate: MAINT_RATE, startBalance: 10_000 } },
    retryPolicy: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 100 },
  });
  const exchange =
    kind === 'live'
      ? runtime.create({ exchange: 'binance', mode, marginMode: 'isolated', credentials: { apiKey: emulator.apiKey, secret: emulator.secret } })
      : runtime.create({ exchange: 'binance', mode, marginMode: 'isolated', paper: true, accountId: `paper-${mode}` });
  const symbol = mode === 'futures' ? 'BTC/USDT:USDT' : 'BTC/USDT';
  return {
    exchange,
    emulator,
    async setPrice(price) {
      emulator.setPrice('BTCUSDT', price);
      if (kind === 'paper') {
        const feed = runtime.feedFor('binance', mode);
        const stop = feed.subscribe(symbol, () => {});
        await vi.waitFor(() => expect(feed.lastTick(symbol)?.price).toBe(price), { timeout: 5_000, interval: 5 });
        stop();
      }
    },
    async close() {
      await exchange.close();
      await runtime.close();
      await emulator.close();
    },
  };
}

const refusal = (p: Promise<unknown>) => p.then(() => 'placed', (e: ExchangeError) => `${e.code}: ${e.message}`);

describe.each(['live', 'paper'] as const)('ExchangePort contract: %s', (kind) => {
  let s: Subject;
  afterEach(() => s.close());

  it('spot: buy, partial sell, sell the rest — same fills, fees and balances', async () => {
    s = await subject(kind, 'spot');
    await s.setPrice(50_000);
    const buy = await s.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.1, clientOrderId: 'c-buy' });
    // the buy's fee is taken in the coin bought (Binance without BNB), the sells' in USDT
    expect(buy).toMatchObject({ clientOrderId: 'c-buy', side: 'buy', status: 'closed', qty: 0.1, filledQty: 0.1, avgPrice: 50_000, feeCurrency: 'BTC' });
    expect(buy.fee).toBeCloseTo(0.0001, 12);
    await s.setPrice(52_000);
    const part = await s.exchange.closePosition({ symbol: 'BTC/USDT', qty: 0.04, clientOrderId: 'c-part' });
    expect(part).toMatchObject({ side: 'sell', filledQty: 0.04, avgPrice: 52_000, feeCurrency: 'USDT' });
    expect(part.fee).toBeCloseTo(2.08, 9);
    const balance = await s.exchange.fetchBalance();
    expect(balance.BTC?.total).toBeCloseTo(0.0599, 12);
    expect(balance.USDT?.total).toBeCloseTo(10_000 - 5_000 + 2_080 - 2.08, 8);
    const rest = await s.exchange.closePosition({ symbol: 'BTC/USDT', clientOrderId: 'c-rest' });
    expect(rest.filledQty).toBeCloseTo(0.0599, 12);
    expect((await s.exchange.fetchBalance()).BTC).toBeUndefined();
    expect(await s.exchange.fetchPositions()).toEqual([]);
    expect((await s.exchange.fetchOrder('BTC/USDT', { clientOrderId: 'c-part' }))?.filledQty).toBe(0.04);
  });

  it('futures: leveraged short, partial close, full close — same position, liquidation price and wallet', async () => {
    s = await subject(kind, 'futures');
    await s.setPrice(50_000);
    await s.exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'sell', type: 'market', qty: 0.1, leverage: 5, clientOrderId: 'f-open' });
    const [open] = await s.exchange.fetchPositions();
    expect(open).toMatchObject({ symbol: 'BTC/USDT:USDT', side: 'short', qty: 0.1, entryPrice: 50_000, leverage: 5, marginMode: 'isolated' });
    // Binance's isolated formula: (margin 1 000 + 0.1 × 50 000) / (0.1 × (1 + 0.4 %))
    expect(open?.liquidationPrice).toBeCloseTo(6_000 / 0.1004, 6);
    expect((await s.exchange.fetchBalance()).USDT?.used).toBeCloseTo(1_000, 8);

    await s.setPrice(48_000);
    const part = await s.exchange.closePosition({ symbol: 'BTC/USDT:USDT', qty: 0.04, clientOrderId: 'f-part' });
    expect(part).toMatchObject({ side: 'buy', filledQty: 0.04, avgPrice: 48_000 });
    expect((await s.exchange.fetchPositions())[0]?.qty).toBeCloseTo(0.06, 12);
    await s.exchange.closePosition({ symbol: 'BTC/USDT:USDT', clientOrderId: 'f-rest' });
    expect(await s.exchange.fetchPositions()).toEqual([]);
    // PnL 0.1 × 2 000 = 200; fees 0.04 % of 5 000 + 1 920 + 2 880
    const balance = await s.exchange.fetchBalance();
    expect(balance.USDT?.total).toBeCloseTo(10_000 + 200 - 0.0004 * (5_000 + 1_920 + 2_880), 6);
    expect(balance.USDT?.used).toBeCloseTo(0, 9);
  });

  it('refuses the same orders with the same codes and messages', async () => {
    s = await subject(kind, 'spot');
    await s.setPrice(50_000);
    expect(await refusal(s.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.00005, clientOrderId: 'r1' }))).toBe(
      'ORDER_BELOW_MINIMUM: Order value 2.50 USDT is below the minimum 5 USDT for BTC/USDT.',
    );
    expect(await refusal(s.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: 0.01, reduceOnly: true, clientOrderId: 'r2' }))).toMatch(/^REDUCE_ONLY_INVALID/);
    expect(await refusal(s.exchange.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 1, clientOrderId: 'r3' }))).toMatch(/^INSUFFICIENT_FUNDS/);
    expect(await refusal(s.exchange.placeOrder({ symbol: 'NOPE/USDT', side: 'buy', type: 'market', qty: 1, clientOrderId: 'r4' }))).toMatch(/^UNKNOWN_SYMBOL/);
    expect(await s.exchange.fetchOrder('BTC/USDT', { clientOrderId: 'never' })).toBeUndefined();
  });

  it('futures: more margin than the wallet has is MARGIN_LEVEL_TOO_LOW; reduce-only with nothing to reduce is REDUCE_ONLY_INVALID', async () => {
    s = await subject(kind, 'futures');
    await s.setPrice(50_000);
    expect(await refusal(s.exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'buy', type: 'market', qty: 1, leverage: 2, clientOrderId: 'm1' }))).toMatch(/^MARGIN_LEVEL_TOO_LOW/);
    expect(await refusal(s.exchange.placeOrder({ symbol: 'BTC/USDT:USDT', side: 'sell', type: 'market', qty: 0.01, reduceOnly: true, clientOrderId: 'm2' }))).toMatch(/^REDUCE_ONLY_INVALID/);
  });
});
