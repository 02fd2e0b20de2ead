/**
 * One trader with one Kraken account (spot, or spot margin: cross, leverage per order) on the
 * Kraken spot emulator, real ccxt `kraken` through the production factory, the engine on a real
 * database (PGlite or PostgreSQL): the world of the Kraken spot story tests.
 */
import { sql } from 'drizzle-orm';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { tradingSettings } from '../../src/db/schema.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import type { ExchangeAccount } from '../../src/exchange/port.ts';
import type { PositionView } from '../../src/engine/facade.ts';
import { startKrakenSpotEmulator, type KrakenSpotEmulator } from '../emulators/exchange/kraken-server.ts';
import { fastRetry } from '../exchange/okx-support.ts';
import { krakenSpotCredentials, krakenSpotOptions } from '../exchange/kraken-spot-support.ts';
import type { ManualFeed } from '../fakes/manual-feed.ts';
import { openTestDatabase, type TestDatabase, type TestDatabaseKind } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

export const PAIR = 'XBTUSDT';
export const SYMBOL = 'BTC/USDT';
export const KRAKEN_SPOT_TELEGRAM_ID = 79_002;
export const START_USDT = 10_000;

export interface KrakenSpotWorld {
  db: TestDatabase;
  h: Harness;
  ex: KrakenSpotEmulator;
  mode: 'spot' | 'margin';
  userId: string;
  accountId: string;
}

export async function createKrakenSpotWorld(kind: TestDatabaseKind, mode: 'spot' | 'margin', settings: Partial<typeof tradingSettings.$inferInsert> = {}): Promise<KrakenSpotWorld> {
  const db = await openTestDatabase(kind);
  const ex = await startKrakenSpotEmulator();
  ex.book.setCash('USDT', START_USDT);
  const factory = createExchangeFactory({ options: krakenSpotOptions(ex), ...fastRetry });
  let feed: ManualFeed | undefined;
  const h = await createHarness(db, {}, { createExchange: (account: ExchangeAccount) => factory.create(account), feeds: (exchange) => (exchange === 'kraken' ? feed : undefined) });
  feed = h.feed;
  const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: KRAKEN_SPOT_TELEGRAM_ID, chatId: KRAKEN_SPOT_TELEGRAM_ID });
  await db.db.update(tradingSettings).set({ mode, ...settings }).where(sql`${tradingSettings.userId} = ${user.id}`);
  const account = await h.accounts.create({ userId: user.id, exchange: 'kraken', mode, ...(mode === 'margin' ? { marginMode: 'cross' as const } : {}), credentials: krakenSpotCredentials(ex) });
  const w: KrakenSpotWorld = { db, h, ex, mode, userId: user.id, accountId: account.id };
  setPrice(w, 50_000);
  await h.engine.start();
  return w;
}

/** the venue's last price and the bot's feed move together */
export function setPrice(w: KrakenSpotWorld, price: number): void {
  w.ex.setPrice(PAIR, price);
  w.h.feed.push(SYMBOL, price);
}

export async function openLong(w: KrakenSpotWorld): Promise<PositionView> {
  await w.h.insertSignal({ symbol: SYMBOL, action: 'BUY', confidence: 0.9, userId: w.userId });
  for (const start = Date.now(); Date.now() - start < 10_000; ) {
    await drain(w.h.engine);
    const [p] = await w.h.engine.facade.listPositions(w.userId);
    if (p) return p;
  }
  throw new Error('no position opened');
}

export async function restart(w: KrakenSpotWorld): Promise<void> {
  await w.h.engine.stop();
  w.h.engine = w.h.newEngine();
  await w.h.engine.start();
}

/** the account's holding in BTC: coins on spot, the open volume of margin lots */
export function held(w: KrakenSpotWorld): number {
  if (w.mode === 'margin') return w.ex.book.openLots().reduce((s, l) => s + l.vol - l.volClosed, 0);
  return w.ex.book.cash('BTC');
}

/** the resting stop-loss(-limit) orders */
export const liveStops = (w: KrakenSpotWorld) => w.ex.book.orders.filter((o) => o.ordertype.startsWith('stop') && o.status === 'open');

export async function closeKrakenSpotWorld(w: KrakenSpotWorld): Promise<void> {
  await w.h.engine.stop();
  await w.ex.close();
  await w.db.destroy();
}
