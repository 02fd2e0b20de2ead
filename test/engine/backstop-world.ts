/**
 * One trader with one Binance account (spot or USD-M) on the Binance emulator, real ccxt, the
 * engine on PGlite: the world of the backstop tests and of bench/backstop.bench.ts.
 */
import { sql } from 'drizzle-orm';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { tradingSettings } from '../../src/db/schema.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import type { ExchangeAccount } from '../../src/exchange/port.ts';
import type { PositionView } from '../../src/engine/facade.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

export const FUT = 'BTC/USDT:USDT';
export const TELEGRAM_ID = 78_001;

export interface World {
  db: TestDatabase;
  h: Harness;
  ex: BinanceEmulator;
  userId: string;
  accountId: string;
}

export async function createWorld(mode: 'spot' | 'futures', settings: Partial<typeof tradingSettings.$inferInsert> = {}, marginMode: 'cross' | 'isolated' = 'cross', hedge = false): Promise<World> {
  const db = await openTestDatabase('pglite');
  const ex = await startBinanceEmulator();
  ex.book.dualSidePosition = hedge;
  ex.book.spot('USDT').free = 10_000;
  ex.book.futuresWallet = 10_000;
  const factory = createExchangeFactory({
    options: { binance: { timeout: 2_000, urls: { api: ex.ccxtApiUrls() } } },
    retryDeps: { sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))), random: () => 0.5 },
    retryPolicy: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 100 },
  });
  const h = await createHarness(db, {}, { createExchange: (account: ExchangeAccount) => factory.create(account) });
  const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: TELEGRAM_ID, chatId: TELEGRAM_ID });
  await db.db.update(tradingSettings).set({ mode, ...settings }).where(sql`${tradingSettings.userId} = ${user.id}`);
  const account = await h.accounts.create({ userId: user.id, exchange: 'binance', mode, ...(mode === 'futures' ? { marginMode } : {}), credentials: { apiKey: ex.apiKey, secret: ex.secret } });
  const w: World = { db, h, ex, userId: user.id, accountId: account.id };
  setPrice(w, 50_000);
  await h.engine.start();
  return w;
}

export function setPrice(w: World, price: number): void {
  w.ex.setPrice('BTCUSDT', price);
  w.h.feed.push('BTC/USDT', price);
  w.h.feed.push(FUT, price);
}

export async function open(w: World): Promise<PositionView> {
  await w.h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9, userId: w.userId });
  await drain(w.h.engine);
  const [p] = await w.h.engine.facade.listPositions(w.userId);
  if (!p) throw new Error('no position opened');
  return p;
}

export async function closeWorld(w: World): Promise<void> {
  await w.h.engine.stop();
  await w.ex.close();
  await w.db.destroy();
}

/**
 * A rally of `ticks` one-second ticks on an open long: from 50 000 up 2 % with a ±0.2 % wiggle
 * (never 1 % off its peak, so the trailing stop never closes it), the monitor sweep every 5 s.
 * Returns the exchange calls made on the backstop (algo order endpoints) during the ticks.
 */
export async function trailingTicks(w: World, ticks: number): Promise<{ backstopCalls: number; requests: number; lastPrice: number }> {
  const before = w.ex.requests.length;
  let price = 50_000;
  for (let i = 1; i <= ticks; i++) {
    price = Math.round(50_000 * (1 + (0.02 * i) / ticks + 0.002 * Math.sin(i / 7)) * 10) / 10;
    w.h.clock.advance(1_000);
    setPrice(w, price);
    if (i % 5 === 0) await w.h.engine.sweepPositions();
  }
  await w.h.engine.settle();
  const during = w.ex.requests.slice(before);
  return { backstopCalls: during.filter((r) => r.path === '/fapi/v1/algoOrder' || r.path === '/fapi/v1/openAlgoOrders').length, requests: during.length, lastPrice: price };
}
