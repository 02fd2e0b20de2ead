/**
 * One trader with one OKX account (spot, spot margin, or USDT swaps; cross or isolated) on the OKX
 * emulator, real ccxt through the production factory, the engine on a real database (PGlite or
 * PostgreSQL): the world of the OKX story tests.
 */
import { sql } from 'drizzle-orm';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { tradingSettings } from '../../src/db/schema.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import type { ExchangeAccount } from '../../src/exchange/port.ts';
import type { PositionView } from '../../src/engine/facade.ts';
import { startOkxEmulator, type OkxEmulator } from '../emulators/exchange/okx-server.ts';
import { fastRetry, okxCredentials, okxOptions } from '../exchange/okx-support.ts';
import type { ManualFeed } from '../fakes/manual-feed.ts';
import { openTestDatabase, type TestDatabase, type TestDatabaseKind } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

export const SPOT = 'BTC/USDT';
export const SWAP = 'BTC/USDT:USDT';
export const TELEGRAM_ID = 79_001;
export const START_USDT = 10_000;

export interface OkxWorld {
  db: TestDatabase;
  h: Harness;
  ex: OkxEmulator;
  mode: 'spot' | 'margin' | 'futures';
  userId: string;
  accountId: string;
}

export async function createOkxWorld(
  kind: TestDatabaseKind,
  mode: 'spot' | 'margin' | 'futures',
  options: { marginMode?: 'cross' | 'isolated'; settings?: Partial<typeof tradingSettings.$inferInsert> } = {},
): Promise<OkxWorld> {
  const db = await openTestDatabase(kind);
  const ex = await startOkxEmulator();
  ex.book.balances.set('USDT', START_USDT);
  const factory = createExchangeFactory({ options: okxOptions(ex), ...fastRetry });
  let feed: ManualFeed | undefined;
  const h = await createHarness(db, {}, { createExchange: (account: ExchangeAccount) => factory.create(account), feeds: (exchange) => (exchange === 'okx' ? feed : undefined) });
  feed = h.feed;
  const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: TELEGRAM_ID, chatId: TELEGRAM_ID });
  await db.db.update(tradingSettings).set({ mode, ...options.settings }).where(sql`${tradingSettings.userId} = ${user.id}`);
  const account = await h.accounts.create({
    userId: user.id,
    exchange: 'okx',
    mode,
    ...(mode !== 'spot' ? { marginMode: options.marginMode ?? 'cross' } : {}),
    credentials: okxCredentials(ex),
  });
  const w: OkxWorld = { db, h, ex, mode, userId: user.id, accountId: account.id };
  setPrice(w, 50_000);
  await h.engine.start();
  return w;
}

/** the price on the exchange (both instruments) and on the bot's feed */
export function setPrice(w: OkxWorld, price: number): void {
  w.ex.setPrice('BTC-USDT', price);
  w.ex.setPrice('BTC-USDT-SWAP', price);
  w.h.feed.push(SPOT, price);
  w.h.feed.push(SWAP, price);
}

export async function openLong(w: OkxWorld): Promise<PositionView> {
  await w.h.insertSignal({ symbol: SPOT, action: 'BUY', confidence: 0.9, userId: w.userId });
  let [p] = [] as PositionView[];
  for (const start = Date.now(); !p && Date.now() - start < 10_000; ) {
    await drain(w.h.engine);
    [p] = await w.h.engine.facade.listPositions(w.userId);
  }
  if (!p) throw new Error('no position opened');
  return p;
}

export async function restart(w: OkxWorld): Promise<void> {
  await w.h.engine.stop();
  w.h.engine = w.h.newEngine();
  await w.h.engine.start();
}

export const liveAlgos = (w: OkxWorld) => w.ex.book.algos.filter((a) => a.state === 'live');

export async function closeOkxWorld(w: OkxWorld): Promise<void> {
  await w.h.engine.stop();
  await w.ex.close();
  await w.db.destroy();
}
