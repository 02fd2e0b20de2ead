/**
 * One trader with one Kraken Futures account on the Kraken Futures emulator, real ccxt
 * `krakenfutures`, the engine on a real database: the world of the Kraken Futures story tests.
 * The account's collateral is USDT only (as many Kraken Futures traders hold it), so sizing must
 * read the multi-collateral account's USD available margin.
 */
import { sql } from 'drizzle-orm';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { tradingSettings } from '../../src/db/schema.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import type { ExchangeAccount } from '../../src/exchange/port.ts';
import type { PositionView } from '../../src/engine/facade.ts';
import { startKrakenFuturesEmulator, type KrakenFuturesEmulator } from '../emulators/exchange/krakenfutures-server.ts';
import { fastRetry, krakenFuturesOptions } from '../exchange/krakenfutures-support.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

export const KF = 'BTC/USD:USD';
export const KF_ID = 'PF_XBTUSD';
export const KRAKEN_TELEGRAM_ID = 79_001;

export interface KrakenWorld {
  db: TestDatabase;
  h: Harness;
  ex: KrakenFuturesEmulator;
  userId: string;
  accountId: string;
}

export async function createKrakenWorld(kind: 'pglite' | 'postgres', settings: Partial<typeof tradingSettings.$inferInsert> = {}): Promise<KrakenWorld> {
  const db = await openTestDatabase(kind);
  const ex = await startKrakenFuturesEmulator();
  ex.book.collateral.clear();
  ex.book.collateral.set('USDT', 10_000);
  ex.book.collateral.set('USD', 0);
  const factory = createExchangeFactory({ options: krakenFuturesOptions(ex, 2_000), retryDeps: fastRetry(), retryPolicy: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 100 } });
  // the hand-driven feed stands in for Kraken's: every exchange reads it
  let feed: Harness['feed'] | undefined;
  const h = await createHarness(db, {}, { createExchange: (account: ExchangeAccount) => factory.create(account), feeds: () => feed });
  feed = h.feed;
  const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: KRAKEN_TELEGRAM_ID, chatId: KRAKEN_TELEGRAM_ID });
  await db.db.update(tradingSettings).set({ mode: 'futures', leverage: 5, ...settings }).where(sql`${tradingSettings.userId} = ${user.id}`);
  const account = await h.accounts.create({ userId: user.id, exchange: 'kraken', mode: 'futures', marginMode: 'isolated', credentials: { apiKey: ex.apiKey, secret: ex.secret } });
  const w: KrakenWorld = { db, h, ex, userId: user.id, accountId: account.id };
  setKrakenPrice(w, 50_000);
  await h.engine.start();
  return w;
}

/** the venue's last price and the bot's feed move together */
export function setKrakenPrice(w: KrakenWorld, price: number): void {
  w.ex.setPrice(KF_ID, price);
  w.h.feed.push(KF, price);
}

/** a BTC/USDT BUY signal (as producers write it) → the position it opened on Kraken Futures */
export async function openKraken(w: KrakenWorld, action: 'BUY' | 'SELL' = 'BUY'): Promise<PositionView> {
  await w.h.insertSignal({ symbol: 'BTC/USDT', action, confidence: 0.9, userId: w.userId });
  for (const start = Date.now(); Date.now() - start < 10_000; ) {
    await drain(w.h.engine);
    const [p] = await w.h.engine.facade.listPositions(w.userId);
    if (p) return p;
  }
  throw new Error('no position opened');
}

/** USD the account gained or lost in collateral (realized P&L minus fees), from the venue's own books */
export function usdChange(w: KrakenWorld): number {
  return w.ex.book.collateral.get('USD') ?? 0;
}

export async function closeKrakenWorld(w: KrakenWorld): Promise<void> {
  await w.h.engine.stop();
  await w.ex.close();
  await w.db.destroy();
}
