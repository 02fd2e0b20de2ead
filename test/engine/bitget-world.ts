/**
 * One trader with one Bitget account (spot or USDT-M) on the Bitget v2 emulator, real ccxt, the
 * engine on a real database, a hand-driven price feed: the world of the Bitget engine tests.
 */
import { sql } from 'drizzle-orm';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { tradingSettings } from '../../src/db/schema.ts';
import type { PositionView } from '../../src/engine/facade.ts';
import type { ExchangeAccount, MarketDataFeed } from '../../src/exchange/port.ts';
import { startBitgetEmulator, type BitgetEmulator } from '../emulators/exchange/bitget-server.ts';
import { bitgetCredentials, bitgetFactory } from '../exchange/bitget-support.ts';
import { openTestDatabase, type TestDatabaseKind, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

export const SPOT = 'BTC/USDT';
export const PERP = 'BTC/USDT:USDT';
export const BITGET_TELEGRAM_ID = 79_001;

export interface BitgetWorld {
  db: TestDatabase;
  h: Harness;
  ex: BitgetEmulator;
  mode: 'spot' | 'futures';
  userId: string;
  accountId: string;
  /** the unified symbol the account trades */
  symbol: string;
}

export async function createBitgetWorld(
  mode: 'spot' | 'futures',
  options: { kind?: TestDatabaseKind; settings?: Partial<typeof tradingSettings.$inferInsert>; marginMode?: 'cross' | 'isolated' } = {},
): Promise<BitgetWorld> {
  const db = await openTestDatabase(options.kind ?? 'pglite');
  const ex = await startBitgetEmulator();
  ex.book.spot('USDT').available = 10_000;
  ex.book.mixWallet = 10_000;
  const factory = bitgetFactory(ex);
  const feed: { current?: MarketDataFeed } = {};
  const h = await createHarness(db, {}, { createExchange: (account: ExchangeAccount) => factory.create(account), feeds: () => feed.current });
  feed.current = h.feed;
  const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: BITGET_TELEGRAM_ID, chatId: BITGET_TELEGRAM_ID });
  await db.db.update(tradingSettings).set({ mode, ...options.settings }).where(sql`${tradingSettings.userId} = ${user.id}`);
  const account = await h.accounts.create({ userId: user.id, exchange: 'bitget', mode, ...(mode === 'futures' ? { marginMode: options.marginMode ?? 'cross' } : {}), credentials: bitgetCredentials(ex) });
  const w: BitgetWorld = { db, h, ex, mode, userId: user.id, accountId: account.id, symbol: mode === 'futures' ? PERP : SPOT };
  setPrice(w, 50_000);
  await h.engine.start();
  return w;
}

/** the exchange's price (firing its trigger orders) and the feed's tick, spot and perpetual alike */
export function setPrice(w: BitgetWorld, price: number): void {
  w.ex.setPrice('BTCUSDT', price);
  w.h.feed.push(SPOT, price);
  w.h.feed.push(PERP, price);
}

export async function open(w: BitgetWorld): Promise<PositionView> {
  await w.h.insertSignal({ symbol: SPOT, action: 'BUY', confidence: 0.9, userId: w.userId });
  let position: PositionView | undefined;
  for (const start = Date.now(); !position && Date.now() - start < 10_000; ) {
    await drain(w.h.engine);
    [position] = await w.h.engine.facade.listPositions(w.userId);
  }
  if (!position) throw new Error('no position opened');
  return position;
}

/** stops the engine and starts a new one on the same database and exchange (a restart) */
export async function restart(w: BitgetWorld): Promise<void> {
  await w.h.engine.stop();
  w.h.engine = w.h.newEngine();
  await w.h.engine.start();
}

export async function closeBitgetWorld(w: BitgetWorld): Promise<void> {
  await w.h.engine.stop();
  await w.ex.close();
  await w.db.destroy();
}
