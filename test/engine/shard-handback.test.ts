/**
 * A hand-back in the middle of an entry (SPEC §12, a process joining during a burst of signals):
 * the process that hands the trader's shard back lets the entry in flight finish under its lease
 * first, so the next owner restores the position instead of finding an unfinished claim (which
 * it would count as interrupted, and the trader would miss the signal). Two engines with their own
 * lease managers on the PostgreSQL server, real ccxt against the Binance emulator, whose answer to
 * the entry is slow.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { positions, signalExecutions } from '../../src/db/schema.ts';
import { SHARD_COUNT, shardOf } from '../../src/domain/shards.ts';
import { databaseKinds } from '../support/databases.ts';
import { openLeaseWorld, type LeaseWorld } from './lease-world.ts';
import { createHarness, drain } from './harness.ts';

const TIMINGS = { ttlMs: 10_000, renewMs: 500, marginMs: 2_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(databaseKinds().filter((k) => k === 'postgres'))('a shard handed back during an entry on %s', (kind) => {
  let w: LeaseWorld | undefined;
  afterEach(async () => {
    await w?.cleanup();
    w = undefined;
  });

  it('the entry in flight finishes first; the next owner monitors the position, the execution is not counted as interrupted', { timeout: 120_000 }, async () => {
    const { db, emulator, factory, manager, defer } = (w = await openLeaseWorld(kind, TIMINGS));
    emulator.setPrice('BTCUSDT', 100);
    const first = manager('first');
    await first.start();
    const h = await createHarness(db, {}, { createExchange: (account) => factory.create(account), leases: first });
    h.feed.push('BTC/USDT', 100);
    const a = h.engine;
    defer(() => a.stop());

    // a trader on a shard the first process will hand back (the highest half goes)
    const users = createUsersRepo(db.db);
    let trader = '';
    for (let j = 0; !trader; j++) {
      const { user } = await users.upsertFromTelegram({ telegramId: 76_000 + j, chatId: 76_000 + j });
      if (shardOf(user.id) >= SHARD_COUNT / 2) trader = user.id;
    }
    const book = emulator.addAccount('handback-key', 'handback-secret');
    book.spot('USDT').free = 100_000;
    await h.accounts.create({ userId: trader, exchange: 'binance', mode: 'spot', credentials: { apiKey: 'handback-key', secret: 'handback-secret' } });
    await a.start();

    // the entry's answer takes 1.5 s; meanwhile a second process joins and the first hands back half
    emulator.inject({ method: 'POST', path: '/api/v3/order', fault: { kind: 'slow', delayMs: 1_500 } });
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY' });
    const entries = () => emulator.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order' && r.params.side === 'BUY');
    for (let i = 0; i < 200 && entries().length === 0; i++) await sleep(25);
    expect(entries()).toHaveLength(1);
    const second = manager('second');
    await second.start();
    const b = h.newEngine({ leases: second });
    defer(() => b.stop());
    await b.start();
    await first.tick();
    expect(first.owns(shardOf(trader))).toBe(false);
    await second.tick();
    expect(second.owns(shardOf(trader))).toBe(true);
    for (let i = 0; i < 200 && b.openPositionCount() === 0; i++) await drain(b);

    expect([a.openPositionCount(), b.openPositionCount()]).toEqual([0, 1]);
    const [execution] = await db.db.select().from(signalExecutions).where(eq(signalExecutions.userId, trader));
    expect(execution).toMatchObject({ status: 'executed' });
    const [position] = await db.db.select().from(positions).where(eq(positions.userId, trader));
    expect(position).toMatchObject({ status: 'open' });
    expect(entries()).toHaveLength(1);
  });
});
