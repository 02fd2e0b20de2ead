/**
 * One trader with one Bybit account (spot, spot margin, or USDT perpetuals cross / isolated) on the
 * Bybit v5 emulator, real ccxt through the production factory, the engine on a real database,
 * the hand-driven feed standing in for Bybit's ticker stream: the world of the Bybit story tests.
 */
import { sql } from 'drizzle-orm';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { tradingSettings } from '../../src/db/schema.ts';
import type { ExchangeAccount, MarginMode, TradingMode } from '../../src/exchange/port.ts';
import type { PositionView } from '../../src/engine/facade.ts';
import { startBybitEmulator, type BybitEmulator } from '../emulators/exchange/bybit-server.ts';
import { bybitFactory } from '../exchange/bybit-support.ts';
import { openTestDatabase, type TestDatabase, type TestDatabaseKind } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';
import { marketSymbol } from '../../src/engine/market-symbol.ts';

export const BYBIT_TELEGRAM_ID = 79_001;

export interface BybitWorld {
  db: TestDatabase;
  h: Harness;
  ex: BybitEmulator;
  mode: TradingMode;
  userId: string;
  accountId: string;
  /** the unified symbol of the account's market for ETH/USDT */
  symbol: string;
}

export interface BybitWorldOptions {
  mode: TradingMode;
  marginMode?: MarginMode;
  kind?: TestDatabaseKind;
  usdt?: number;
  settings?: Partial<typeof tradingSettings.$inferInsert>;
}

export async function createBybitWorld(options: BybitWorldOptions): Promise<BybitWorld> {
  const db = await openTestDatabase(options.kind ?? 'pglite');
  const ex = await startBybitEmulator();
  ex.book.addCoin('USDT', options.usdt ?? 10_000);
  const factory = bybitFactory(ex);
  let h: Harness | undefined;
  h = await createHarness(db, {}, { createExchange: (account: ExchangeAccount) => factory.create(account), feeds: () => h!.feed });
  const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: BYBIT_TELEGRAM_ID, chatId: BYBIT_TELEGRAM_ID });
  await db.db.update(tradingSettings).set({ mode: options.mode, ...options.settings }).where(sql`${tradingSettings.userId} = ${user.id}`);
  const account = await h.accounts.create({
    userId: user.id,
    exchange: 'bybit',
    mode: options.mode,
    ...(options.marginMode ? { marginMode: options.marginMode } : {}),
    credentials: { apiKey: ex.apiKey, secret: ex.secret },
  });
  const w: BybitWorld = { db, h, ex, mode: options.mode, userId: user.id, accountId: account.id, symbol: marketSymbol('ETH/USDT', options.mode) };
  setPrice(w, 100);
  await h.engine.start();
  return w;
}

/** the price on the exchange (conditional orders fire) and then on the bot's feed */
export function setPrice(w: BybitWorld, price: number): void {
  w.ex.setPrice('ETHUSDT', price);
  w.h.feed.push(w.symbol, price);
}

export async function openFromSignal(w: BybitWorld, action: 'BUY' | 'SELL' = 'BUY'): Promise<PositionView> {
  await w.h.insertSignal({ symbol: 'ETH/USDT', action, confidence: 0.8, userId: w.userId });
  for (const start = Date.now(); Date.now() - start < 10_000; ) {
    await drain(w.h.engine);
    const [p] = await w.h.engine.facade.listPositions(w.userId);
    if (p) return p;
  }
  throw new Error('no position opened');
}

/** a new engine on the same database and exchange, as after a restart */
export async function restart(w: BybitWorld): Promise<void> {
  await w.h.engine.stop();
  w.h.engine = w.h.newEngine();
  await w.h.engine.start();
}

export async function closeBybitWorld(w: BybitWorld): Promise<void> {
  await w.h.engine.stop();
  await w.ex.close();
  await w.db.destroy();
}
