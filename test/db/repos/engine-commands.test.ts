/**
 * The command rows' transitions (SPEC §12): a command is claimed by at most one process, only by
 * the holder of the trader's shard lease in the database, finished only by its claimer, and a
 * command nobody took in time is given up, never run. The trader's shard computed in SQL is the
 * one shardOf computes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { createEngineCommandsRepo } from '../../../src/db/repos/engine-commands.ts';
import { createShardLeasesRepo } from '../../../src/db/repos/shard-leases.ts';
import { engineCommands, shardLeases } from '../../../src/db/schema.ts';
import { SHARD_COUNT, shardOf } from '../../../src/domain/shards.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../../support/databases.ts';

describe.each(databaseKinds())('engine commands repo on %s', (kind) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await openTestDatabase(kind);
    await createShardLeasesRepo(db.db).ensureShards(SHARD_COUNT);
  });
  afterEach(async () => {
    await db.destroy();
  });

  const hold = (shard: number, owner: string, ms = 60_000) =>
    db.db.update(shardLeases).set({ owner, expiresAt: sql`now() + ${ms} * interval '1 millisecond'` }).where(eq(shardLeases.shard, shard));

  it('of ten claims at once only one wins, only the lease holder may claim, and only the claimer finishes', async () => {
    const repo = createEngineCommandsRepo(db.db);
    const userId = randomUUID();
    const id = await repo.enqueue({ userId, kind: 'closePosition', args: [{ telegramId: 1 }, userId, 'p1', 1], askedBy: 'poller' });
    expect(await repo.claim(id, 'owner', 60_000)).toBeUndefined(); // no lease yet
    await hold(shardOf(userId), 'owner');
    expect(await repo.claim(id, 'intruder', 60_000)).toBeUndefined(); // not the holder

    const claims = await Promise.all(Array.from({ length: 10 }, () => repo.claim(id, 'owner', 60_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(claims.find(Boolean)).toMatchObject({ id, userId, kind: 'closePosition', status: 'running', runBy: 'owner', args: [{ telegramId: 1 }, userId, 'p1', 1] });

    expect(await repo.finish(id, 'intruder', { status: 'done', result: { ok: true } })).toBeUndefined();
    expect(await repo.finish(id, 'owner', { status: 'done', result: { ok: true, message: 'Closed BTC/USDT.' } })).toEqual({ unwatched: false });
    expect(await repo.finish(id, 'owner', { status: 'done', result: { ok: true } })).toBeUndefined(); // once
    expect(await repo.stopWaiting(id)).toBe(false); // finished: the asker reads the result
    expect(await repo.get(id)).toMatchObject({ status: 'done', result: { ok: true, message: 'Closed BTC/USDT.' }, error: null });
  });

  it('an asker that stopped waiting is reported to the runner; the SQL shard matches shardOf for every shard', async () => {
    const repo = createEngineCommandsRepo(db.db);
    const users = Array.from({ length: 400 }, () => randomUUID());
    for (const u of users) await repo.enqueue({ userId: u, kind: 'moveStopLoss', args: [{ telegramId: 1 }, u, 'p', 98], askedBy: 'poller' });
    for (let shard = 0; shard < SHARD_COUNT; shard++) {
      const ids = await repo.queuedFor([shard], 1_000);
      const expected = (await db.db.select().from(engineCommands)).filter((r) => shardOf(r.userId) === shard).map((r) => r.id);
      expect(ids.sort()).toEqual(expected.sort());
    }
    const [first] = users;
    const [row] = await db.db.select().from(engineCommands).where(eq(engineCommands.userId, first!));
    await hold(shardOf(first!), 'owner');
    expect(await repo.claim(row!.id, 'owner', 60_000)).toBeDefined();
    expect(await repo.stopWaiting(row!.id)).toBe(true);
    expect(await repo.finish(row!.id, 'owner', { status: 'failed', error: 'the exchange refused' })).toEqual({ unwatched: true });
    expect(await repo.get(row!.id)).toMatchObject({ status: 'failed', error: 'the exchange refused' });
  });

  it('a command whose runner died while running it is given up, not run again; a live runner keeps its own', async () => {
    const repo = createEngineCommandsRepo(db.db);
    const alive = db.livenessLock('alive');
    await alive.hold();
    const [dead, kept] = [randomUUID(), randomUUID()];
    const ids: string[] = [];
    for (const [userId, runner] of [[dead, 'ghost'], [kept, 'alive']] as const) {
      const id = await repo.enqueue({ userId, kind: 'closePosition', args: [{ telegramId: 1 }, userId, 'p1', 1], askedBy: 'poller' });
      await hold(shardOf(userId), runner);
      expect(await repo.claim(id, runner, 60_000)).toMatchObject({ status: 'running', runBy: runner });
      ids.push(id);
    }
    await repo.stopWaiting(ids[0]!);
    const shards = [...new Set([shardOf(dead), shardOf(kept)])];
    expect(await repo.abandon(shards, 'runner gone')).toMatchObject([{ id: ids[0], status: 'failed', error: 'runner gone', unwatched: true }]);
    expect(await repo.get(ids[1]!)).toMatchObject({ status: 'running', runBy: 'alive' });
    expect(await repo.claim(ids[0]!, 'ghost', 60_000)).toBeUndefined();
    await alive.release();
  });

  it('a command older than the limit is given up (failed) by the shard holder, never claimed', async () => {
    const repo = createEngineCommandsRepo(db.db);
    const userId = randomUUID();
    const id = await repo.enqueue({ userId, kind: 'closePosition', args: [{ telegramId: 1 }, userId, 'p1', 1], askedBy: 'poller' });
    await db.db.update(engineCommands).set({ createdAt: sql`now() - interval '3 minutes'` }).where(eq(engineCommands.id, id));
    await hold(shardOf(userId), 'owner');
    expect(await repo.claim(id, 'owner', 120_000)).toBeUndefined();
    expect(await repo.expire([(shardOf(userId) + 1) % SHARD_COUNT], 120_000, 'too old')).toEqual([]); // another shard's holder
    expect(await repo.expire([shardOf(userId)], 120_000, 'too old')).toMatchObject([{ id, status: 'failed', error: 'too old', unwatched: false }]);
    expect(await repo.expire([shardOf(userId)], 120_000, 'too old')).toEqual([]);
    expect(await repo.get(id)).toMatchObject({ status: 'failed' });
  });
});
