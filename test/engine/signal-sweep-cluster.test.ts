/**
 * The signal sweep runs once per bot (SPEC §12): in the process that holds its shard. A signal
 * whose NOTIFY nobody heard (here: written with the table's triggers off, as a bulk load would)
 * is found by that one sweep, executed there for its own traders and announced again, so the
 * process that owns the other traders executes it for them without a sweep of its own. Two
 * engines with their own lease managers on the PostgreSQL server, real ccxt against the Binance
 * emulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { JOB_SHARDS, shardOf } from '../../src/domain/shards.ts';
import { runsJob } from '../../src/engine/shard-leases.ts';
import { databaseKinds } from '../support/databases.ts';
import { openLeaseWorld, type LeaseWorld } from './lease-world.ts';
import { createHarness, drain } from './harness.ts';

const TRADERS = 12;
const TIMINGS = { ttlMs: 8_000, renewMs: 500, marginMs: 2_000 };

describe.each(databaseKinds().filter((k) => k === 'postgres'))('the signal sweep of several processes on %s', (kind) => {
  let w: LeaseWorld | undefined;
  afterEach(async () => {
    await w?.cleanup();
    w = undefined;
  });

  it("one process's sweep finds a signal nobody was told of; the other process executes it for its own traders", { timeout: 120_000 }, async () => {
    const { db, emulator, factory, manager, defer } = (w = await openLeaseWorld(kind, TIMINGS));
    emulator.setPrice('BTCUSDT', 100);
    // renewed by their own timers: the test outlasts a lease
    const first = manager('first', true);
    const second = manager('second', true);
    await first.start();
    await second.start();
    // the first hands back the high half at the second's announced join, the second claims it
    for (let i = 0; i < 100 && second.held().length < 32; i++) await new Promise((r) => setTimeout(r, 100));
    expect([first.held().length, second.held().length]).toEqual([32, 32]);
    expect(runsJob(first, 'sweep')).toBe(true);
    expect(runsJob(second, 'sweep')).toBe(false);
    expect(second.owns(JOB_SHARDS.sweep)).toBe(false);

    const h = await createHarness(db, {}, { createExchange: (account) => factory.create(account), leases: first });
    h.feed.push('BTC/USDT', 100);
    const a = h.engine;
    const b = h.newEngine({ leases: second });
    defer(() => a.stop());
    defer(() => b.stop());
    const users = createUsersRepo(db.db);
    // half the traders on shards of each process (a user without an account gets no signal)
    const sides = { first: 0, second: 0 };
    for (let j = 0; sides.first + sides.second < TRADERS; j++) {
      const { user } = await users.upsertFromTelegram({ telegramId: 75_000 + j, chatId: 75_000 + j });
      const side = second.owns(shardOf(user.id)) ? 'second' : 'first';
      if (sides[side] === TRADERS / 2) continue;
      const i = sides.first + sides.second;
      sides[side]++;
      const book = emulator.addAccount(`key${i}`, `secret${i}`);
      book.spot('USDT').free = 100_000;
      await h.accounts.create({ userId: user.id, exchange: 'binance', mode: 'spot', credentials: { apiKey: `key${i}`, secret: `secret${i}` } });
    }
    await a.start();
    await b.start();

    // a signal nobody is told of: the insert trigger (its NOTIFY) is off for this one row
    await db.db.execute(sql`alter table trading_signals disable trigger user`);
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY' });
    await db.db.execute(sql`alter table trading_signals enable trigger user`);
    await drain(a);
    await drain(b);
    expect([a.openPositionCount(), b.openPositionCount()]).toEqual([0, 0]);

    // the one sweep (the first holds its shard): its own traders now, the second's by announcement
    await a.sweepSignals();
    await a.settle();
    for (let i = 0; i < 100 && b.openPositionCount() < TRADERS / 2; i++) await drain(b);
    expect([a.openPositionCount(), b.openPositionCount()]).toEqual([TRADERS / 2, TRADERS / 2]);
    const entries = emulator.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order' && r.params.side === 'BUY');
    expect(entries).toHaveLength(TRADERS);
    // a second sweep finds nothing left to do: no order twice
    await a.sweepSignals();
    await a.settle();
    await drain(b);
    expect(emulator.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order' && r.params.side === 'BUY')).toHaveLength(TRADERS);
  });
});
