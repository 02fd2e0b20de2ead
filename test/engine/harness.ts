/**
 * One engine on a real database (PGlite or PostgreSQL) with the fake venue, a hand-driven feed,
 * a hand-moved clock and an in-memory notifier. Users get a paper account each.
 */
import { sql } from 'drizzle-orm';
import { createAccountsRepo } from '../../src/db/repos/accounts.ts';
import { createRepos } from '../../src/db/repos/index.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { tradingSettings, tradingSignals } from '../../src/db/schema.ts';
import { createEngine, type Engine, type EngineDeps } from '../../src/engine/create-engine.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import type { Database } from '../../src/db/client.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { FakeVenue, type VenueOptions } from '../fakes/fake-venue.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';
import { MemoryNotifier } from '../fakes/memory-notifier.ts';

/** Wednesday 2026-01-07 12:00 UTC: not the thin session, so the neutral threshold is 0.45 */
export const T0 = Date.UTC(2026, 0, 7, 12, 0, 0);

export interface Harness {
  database: Database;
  clock: FakeClock;
  feed: ManualFeed;
  venue: FakeVenue;
  notifier: MemoryNotifier;
  engine: Engine;
  accounts: ReturnType<typeof createAccountsRepo>;
  addTrader(telegramId: number, options?: { mode?: 'spot' | 'margin' | 'futures'; settings?: Partial<typeof tradingSettings.$inferInsert> }): Promise<{ userId: string; accountId: string }>;
  insertSignal(row: Partial<typeof tradingSignals.$inferInsert> & { symbol: string; action: string }): Promise<string>;
  newEngine(overrides?: Partial<EngineDeps>): Engine;
}

export function secretBox() {
  return createSecretBox('engine-test-secret-key-0123456789');
}

export async function createHarness(database: Database, venueOptions: Partial<VenueOptions> = {}, engineOverrides: Partial<EngineDeps> = {}): Promise<Harness> {
  const clock = new FakeClock(T0);
  const feed = new ManualFeed('binance', clock);
  const venue = new FakeVenue({ price: (s) => feed.lastTick(s)?.price, feeRate: 0.001, now: () => clock.now(), ...venueOptions });
  const notifier = new MemoryNotifier();
  const repos = createRepos(database.db, secretBox());
  const accounts = repos.accounts;
  const users = createUsersRepo(database.db);

  const newEngine = (overrides: Partial<EngineDeps> = {}) =>
    createEngine({
      database,
      repos,
      notifier,
      clock,
      createExchange: (account) => venue.port(account),
      feeds: (exchange) => (exchange === 'binance' ? feed : undefined),
      // Telegram id 1 is the administrator (ADMIN_TELEGRAM_IDS)
      config: { trustedSources: ['titan_v3', 'COUNCIL_V2.0_FALLBACK'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 }, adminTelegramIds: [1] },
      options: { schedule: false },
      ...engineOverrides,
      ...overrides,
    });

  return {
    database,
    clock,
    feed,
    venue,
    notifier,
    accounts,
    engine: newEngine(),
    newEngine,
    async addTrader(telegramId, options = {}) {
      const { user } = await users.upsertFromTelegram({ telegramId, chatId: telegramId });
      const mode = options.mode ?? 'spot';
      if (options.settings || mode !== 'spot') {
        await database.db.update(tradingSettings).set({ mode, ...options.settings }).where(sql`${tradingSettings.userId} = ${user.id}`);
      }
      const account = await accounts.create({ userId: user.id, exchange: 'binance', mode, label: `paper ${telegramId}` });
      return { userId: user.id, accountId: account.id };
    },
    async insertSignal(row) {
      const [inserted] = await database.db
        .insert(tradingSignals)
        .values({ source: 'titan_v3', confidence: 0.8, createdAt: new Date(clock.now()), ...row })
        .returning({ id: tradingSignals.id });
      return inserted!.id;
    },
  };
}

/** Lets NOTIFY deliveries and the work they start run. */
export async function drain(engine: Engine, rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setTimeout(r, 20));
    await engine.settle();
  }
}

/**
 * The signals inserted so far are worked on: the NOTIFY delivery, or the sweep where it is late (a
 * loaded machine's PostgreSQL connection). For tests about decisions, not about delivery.
 */
export async function signalsDone(h: Pick<Harness, 'engine'>): Promise<void> {
  await drain(h.engine);
  await h.engine.sweepSignals();
  await h.engine.settle();
}

/** A trader with one open position on `symbol` (opened through a real signal). */
export async function openPositionFor(h: Harness, telegramId: number, symbol: string, options: { mode?: 'spot' | 'margin' | 'futures'; action?: 'BUY' | 'SELL'; settings?: Partial<typeof tradingSettings.$inferInsert> } = {}) {
  const trader = await h.addTrader(telegramId, { ...(options.mode ? { mode: options.mode } : {}), ...(options.settings ? { settings: options.settings } : {}) });
  await h.insertSignal({ symbol, action: options.action ?? 'BUY', userId: trader.userId });
  // the NOTIFY can take longer than one drain on a busy machine (a fresh PostgreSQL connection
  // most of all): look again for up to 10 s
  let [position] = [] as Awaited<ReturnType<typeof h.engine.facade.listPositions>>;
  for (const start = Date.now(); !position && Date.now() - start < 10_000; ) {
    await drain(h.engine);
    [position] = await h.engine.facade.listPositions(trader.userId);
  }
  if (!position) throw new Error('no position opened');
  return { ...trader, position };
}
