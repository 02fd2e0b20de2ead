import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { signalExecutions, tradingSignals, users, SIGNAL_CHANNEL } from '../../src/db/schema.ts';
import { migrateDatabase } from '../../src/db/client.ts';

describe.each(databaseKinds())('database on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.destroy();
  });

  it('applies migrations idempotently at every start', async () => {
    await migrateDatabase(database);
    const rows = await database.db.select().from(users);
    expect(rows).toEqual([]);
  });

  it('notifies listeners of every inserted signal with its id', async () => {
    const seen: string[] = [];
    const unlisten = await database.listen(SIGNAL_CHANNEL, (id) => seen.push(id));
    const [row] = await database.db
      .insert(tradingSignals)
      .values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.7, source: 'titan_v3' })
      .returning({ id: tradingSignals.id });
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await unlisten();
    expect(seen).toEqual([row!.id]);
  });

  it('keeps a signal from being executed twice for one user', async () => {
    const [user] = await database.db.insert(users).values({ telegramId: 42, chatId: 42 }).returning();
    const [signal] = await database.db
      .insert(tradingSignals)
      .values({ symbol: 'ETH/USDT', action: 'SELL', confidence: 0.5, source: 'COUNCIL_V2.0_FALLBACK' })
      .returning();
    const claim = () =>
      database.db
        .insert(signalExecutions)
        .values({ signalId: signal!.id, userId: user!.id, status: 'claimed' })
        .onConflictDoNothing()
        .returning({ id: signalExecutions.id });
    expect(await claim()).toHaveLength(1);
    expect(await claim()).toHaveLength(0);
    const all = await database.db.select().from(signalExecutions).where(eq(signalExecutions.userId, user!.id));
    expect(all).toHaveLength(1);
  });

  it('stores money as exact numeric', async () => {
    const result = await database.db.execute(sql`select '0.1'::numeric(38,18) + '0.2'::numeric(38,18) as s`);
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ s: string }>;
    expect(Number(rows[0]!.s)).toBe(0.3);
  });
});
