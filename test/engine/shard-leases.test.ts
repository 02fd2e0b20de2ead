/**
 * Shard leases (SPEC §12) with two and three lease managers on one database, as separate
 * processes would hold them: a fair split, a takeover after a lease ran out (the epoch rises), a
 * clean hand-over on stop, and a manager whose renewals stopped (a frozen process) that stops
 * acting on its own before another takes its shards. A process alone on its database keeps its
 * shards through an outage and a freeze (nobody can take them while it lives, SPEC §10), and
 * loses them only once it is gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createShardLeasesRepo } from '../../src/db/repos/shard-leases.ts';
import type { LivenessLock } from '../../src/db/client.ts';
import { fairShare, rebalance, SHARD_COUNT, shardOf } from '../../src/domain/shards.ts';
import { createLeaseManager, type LeaseManager } from '../../src/engine/shard-leases.ts';
import { silentLogger } from '../../src/engine/ports.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';

/** short leases: the tests wait out expiries in real time */
const TIMINGS = { ttlMs: 3_000, renewMs: 300, marginMs: 1_000, soloGraceMs: 1_500 };

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('shards of traders', () => {
  it('a trader always lands on the same shard, and traders spread over all of them', () => {
    const id = '9f1c2b3a-0000-4000-8000-000000000000';
    expect(shardOf(id)).toBe(shardOf(id));
    expect(shardOf(id)).toBe(0x9f1c2b3a % SHARD_COUNT);
    const counts = new Array<number>(SHARD_COUNT).fill(0);
    for (let i = 0; i < 6_400; i++) counts[shardOf(crypto.randomUUID())]!++;
    expect(Math.min(...counts)).toBeGreaterThan(40);
    expect(() => shardOf('not-an-id')).toThrow('not a trader id');
  });

  it('each live process holds at most its share, handing back the excess highest first', () => {
    expect(fairShare(64, 3)).toBe(22);
    expect(fairShare(64, 0)).toBe(64);
    expect(rebalance([1, 5, 9], 2)).toEqual({ claim: 0, release: [9] });
    expect(rebalance([1], 3)).toEqual({ claim: 2, release: [] });
  });
});

describe.each(databaseKinds())('shard leases on %s', (kind) => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(): Promise<{ database: TestDatabase; manager: (name: string) => LeaseManager & { events: string[]; liveness: LivenessLock } }> {
    const database = await openTestDatabase(kind);
    cleanups.push(() => database.destroy());
    const repo = createShardLeasesRepo(database.db);
    const manager = (name: string) => {
      const liveness = database.livenessLock(name);
      const m = createLeaseManager({ repo, id: name, host: 'test', pid: 1, liveness, logger: silentLogger, timings: TIMINGS, schedule: false });
      // a manager left running (a frozen one) must not keep its lock in the next test's database
      cleanups.push(() => m.stop().catch(() => {}));
      const events: string[] = [];
      m.attach({
        gained: (s) => void events.push(`gained ${s.length}`),
        lost: (s) => void events.push(`lost ${s.length}`),
        releasing: async (s) => void events.push(`releasing ${s.length}`),
      });
      return Object.assign(m, { events, liveness });
    };
    return { database, manager };
  }

  it('three processes split the 64 shards 22 / 22 / 20, each shard held by exactly one', async () => {
    const { database, manager } = await setup();
    const repo = createShardLeasesRepo(database.db);
    const a = manager('a');
    await a.start();
    expect(a.held()).toHaveLength(64);
    const b = manager('b');
    await b.start(); // two alive: its share is 32, but every shard is held
    expect(b.held()).toHaveLength(0);
    await a.tick(); // hands back 32
    await b.tick();
    expect([a.held().length, b.held().length]).toEqual([32, 32]);
    const c = manager('c');
    await c.start();
    await a.tick();
    await b.tick();
    await c.tick();
    expect([a.held().length, b.held().length, c.held().length]).toEqual([22, 22, 20]);
    const all = [...a.held(), ...b.held(), ...c.held()].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 64 }, (_, i) => i));
    // each hand-over raised the shard's epoch (a → b → c for the highest), and the database agrees on every owner
    expect(c.held()).toEqual([...range(22, 32), ...range(54, 64)]);
    const leases = await repo.leases();
    for (const l of leases) {
      const owner = a.held().includes(l.shard) ? 'a' : b.held().includes(l.shard) ? 'b' : 'c';
      expect(l.owner).toBe(owner);
      expect(l.epoch).toBe(owner === 'a' ? 1 : owner === 'b' || l.shard < 32 ? 2 : 3);
    }
    expect(b.events).toEqual(['gained 32', 'releasing 10']);
    const processes = await repo.listProcesses(TIMINGS.ttlMs);
    expect(processes.map((p) => [p.id, p.shards.length])).toEqual([
      ['a', 22],
      ['b', 22],
      ['c', 20],
    ]);
  });

  it('a process that stops renewing loses its shards: it stops acting before the other takes them, at the next epoch', async () => {
    const { database, manager } = await setup();
    const repo = createShardLeasesRepo(database.db);
    const frozen = manager('frozen');
    await frozen.start();
    expect(frozen.alone()).toBe(true);
    const other = manager('other');
    await other.start();
    expect(other.held()).toHaveLength(0);
    // the frozen one's last round sees the other: it has company, so its leases can run out
    await frozen.tick();
    expect(frozen.alone()).toBe(false);
    await other.tick();
    expect(other.held()).toHaveLength(32);
    const frozenShards = frozen.held();
    // the frozen one's timers are stopped; the other keeps renewing and asking
    let rounds = 0;
    // (its heartbeat may still count it alive at the first claim: then the rest comes a round later)
    while (other.held().length < 64 && rounds < 200) {
      // whenever the frozen one still thinks it owns a shard, nobody else holds any of its shards
      if (frozenShards.some((s) => frozen.owns(s))) expect(other.held().filter((s) => frozenShards.includes(s))).toHaveLength(0);
      await other.tick();
      rounds++;
      await sleep(50);
    }
    expect(rounds).toBeGreaterThan(1);
    expect(Array.from({ length: 64 }, (_, s) => frozen.owns(s)).some(Boolean)).toBe(false);
    expect(frozen.fence(0)).toBeUndefined();
    expect(other.held()).toHaveLength(64);
    // each shard changed hands once: the half handed back, then the half that ran out
    expect((await repo.leases()).every((l) => l.owner === 'other' && l.epoch === 2)).toBe(true);
    // it wakes up: the database says the shards are gone, and it takes none back at their old epochs
    await frozen.tick();
    expect(frozen.events).toEqual(['gained 64', 'releasing 32', 'lost 32']);
    expect(frozen.fence(frozenShards[0]!)).toBeUndefined();
  });

  it('a lone process keeps its shards while its database is unreachable and while it is frozen: nobody takes them while its lock lives', async () => {
    const { database, manager } = await setup();
    const repo = createShardLeasesRepo(database.db);
    const solo = manager('solo');
    await solo.start();
    expect(solo.alone()).toBe(true);
    // no round for twice the lease (a database outage, or a freeze): it still acts, with its epoch
    await sleep(2 * TIMINGS.ttlMs);
    expect(solo.held()).toHaveLength(64);
    expect(solo.fence(5)).toEqual({ owner: 'solo', epoch: 1 });
    expect((await repo.leases()).every((l) => l.expired)).toBe(true);
    // a process started meanwhile takes nothing: the lone one's liveness lock still lives
    const late = manager('late');
    await late.start();
    await sleep(TIMINGS.soloGraceMs + 200);
    await late.tick();
    expect(late.held()).toHaveLength(0);
    // the lone one's next round renews its expired leases at their epochs, then shares
    await solo.tick();
    expect(solo.alone()).toBe(false);
    expect(solo.held()).toHaveLength(32);
    expect(solo.events).toEqual(['gained 64', 'releasing 32']);
    await late.tick();
    expect(late.held()).toHaveLength(32);
    expect((await repo.leases()).filter((l) => l.owner === 'solo').every((l) => l.epoch === 1 && !l.expired)).toBe(true);
  });

  it("a lone process that died (its lock gone) loses its shards once it has been silent for the grace period, not before", async () => {
    const { database, manager } = await setup();
    const repo = createShardLeasesRepo(database.db);
    const solo = manager('solo');
    const heartbeatBefore = Date.now();
    await solo.start();
    // its session dies with it (kill -9): the lock is gone, its rows stay
    await solo.liveness.release();
    const next = manager('next');
    await next.start();
    let rounds = 0;
    while (next.held().length < 64 && rounds < 100) {
      await next.tick();
      if (next.held().length > 0) expect(Date.now() - heartbeatBefore).toBeGreaterThanOrEqual(TIMINGS.soloGraceMs);
      rounds++;
      await sleep(100);
    }
    expect(rounds).toBeGreaterThan(1);
    expect(next.held()).toHaveLength(64);
    expect((await repo.leases()).every((l) => l.owner === 'next' && l.epoch === 2)).toBe(true);
  });

  it('a clean stop hands the shards over at once: released after the engine stopped acting, taken by the next round', async () => {
    const { database, manager } = await setup();
    const repo = createShardLeasesRepo(database.db);
    const a = manager('a');
    const b = manager('b');
    await a.start();
    await b.start();
    await a.tick();
    await b.tick();
    const ownersWhileReleasing: Array<string | null> = [];
    a.attach({
      gained() {},
      lost() {},
      async releasing(shards) {
        // the engine stops acting for them while they are still ours in the database
        const leases = await repo.leases();
        ownersWhileReleasing.push(...shards.map((s) => leases[s]!.owner));
      },
    });
    const handed = a.held();
    await a.stop();
    expect(ownersWhileReleasing).toEqual(handed.map(() => 'a'));
    expect(a.held()).toHaveLength(0);
    expect((await repo.listProcesses(TIMINGS.ttlMs)).map((p) => p.id)).toEqual(['b']);
    await b.tick(); // no waiting for an expiry
    expect(b.held()).toHaveLength(64);
    const leases = await repo.leases();
    for (const s of handed) expect(leases[s]).toMatchObject({ owner: 'b', epoch: 2 });
  });
});
