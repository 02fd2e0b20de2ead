/**
 * Which traders this process acts for (SPEC §12). On PostgreSQL several processes share the
 * traders by leasing shards (db/repos/shard-leases.ts); the embedded database has one process,
 * which owns every shard (`soleOwnership`).
 *
 * The lease manager renews its leases every `renewMs` with the database's clock, claims its fair
 * share of free or expired shards and hands back what it holds beyond that share. Safety does not
 * rest on the renewals arriving: a lease renewed by a request sent at local monotonic time t
 * expires in the database no earlier than t + ttl (the database stamps now() after the request
 * left), and this process stops acting for the shard at t + ttl − margin on its own clock. So a
 * process that freezes or loses the database has stopped before anyone else can take the shard;
 * the margin covers clock-rate differences and the moment between the last check and the send.
 *
 * A process that was alone at its last round (no other live process) keeps its shards through a
 * database outage and acts on (SPEC §10: exits do not wait on the database). That is safe because
 * nobody takes a lone process's shards while it lives (db/repos/shard-leases.ts `claim`): its
 * liveness lock must be gone and its heartbeat silent for a grace period. When the database is
 * back, it renews its leases at their epochs; a process that joined meanwhile gets its share at
 * the next round.
 */
import { fairShare, JOB_SHARDS, jobsIn, rebalance, SHARD_COUNT, shardOf, type Job } from '../domain/shards.ts';
import { FencedError, SOLO_GRACE_MS, type Fence, type HeldLease, type ShardLeasesRepo } from '../db/repos/shard-leases.ts';
import { ExchangeError, type ExchangePort } from '../exchange/port.ts';
import { actingUnder } from '../exchange/send-guard.ts';
import type { LivenessLock } from '../db/client.ts';
import { LEASES_CHANNEL } from '../db/schema.ts';
import type { EngineLogger } from './ports.ts';
import type { ProcessStatus } from './facade.ts';

/** What the engine asks before it acts for a trader. */
export interface ShardOwnership {
  /** this process may act for the shard now (held, and its local deadline not passed) */
  owns(shard: number): boolean;
  /** the lease an intent write must still match in the database; undefined: nothing to fence (one process) */
  fence(shard: number): { owner: string; epoch: number } | undefined;
}

/** One process on its database (PGlite): every shard, no fencing. */
export const soleOwnership: ShardOwnership = { owns: () => true, fence: () => undefined };

/** whether a once-per-bot job (SPEC §12) runs in this process now: it holds the job's shard */
export const runsJob = (ownership: ShardOwnership, job: Job): boolean => ownership.owns(JOB_SHARDS[job]);

export const ownsUser = (ownership: ShardOwnership, userId: string): boolean => ownership.owns(shardOf(userId));

/**
 * The fence an order intent of the trader is written under; undefined with one process (nothing to
 * fence). Throws FencedError when this process does not own the trader's shard now.
 */
export function fenceFor(ownership: ShardOwnership, userId: string): Fence | undefined {
  const shard = shardOf(userId);
  if (!ownership.owns(shard)) throw new FencedError(shard, 'is not held by this process');
  const lease = ownership.fence(shard);
  return lease && { shard, ...lease };
}

const NOT_OWNER = "Not sent: this bot process no longer holds this trader's shard of the database (another process took over).";

/**
 * The trader's port as the engine sees it with several processes: an order, a stop or a cancel
 * goes out only while this process owns the trader's shard, checked on the local deadline when the
 * call begins and again right before each of its HTTP requests leaves (a process that froze, or
 * whose request waited in ccxt's throttle, sends nothing once it wakes past its lease). Reads
 * always pass.
 */
export function guardOwnership<P extends ExchangePort>(port: P, ownership: ShardOwnership, userId: string): P {
  if (ownership === soleOwnership) return port;
  const shard = shardOf(userId);
  const acting = new Set(['placeOrder', 'closePosition', 'placeStop', 'amendStop', 'cancelStop', 'cancelOrder']);
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || !acting.has(prop)) return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      const assertOwned = () => {
        if (!ownership.owns(shard)) throw new ExchangeError('NOT_SUPPORTED', { message: NOT_OWNER, detail: `shard ${shard} not owned` });
      };
      return async (...args: unknown[]) => {
        assertOwned();
        // and again right before each of its requests leaves (after a freeze or ccxt's throttle)
        return actingUnder(assertOwned, () => fn.apply(target, args));
      };
    },
  });
}

/** What the engine does when shards change hands. */
export interface LeaseHooks {
  /** shards just taken: restore and reconcile their traders' positions (not awaited by the renewals) */
  gained(shards: number[]): void;
  /** shards no longer held (not renewed in time, or taken): owns() is already false for them */
  lost(shards: number[]): void;
  /** shards about to be handed back while still held: stop acting for them and write what is pending */
  releasing(shards: number[]): Promise<void>;
}

export interface LeaseTimings {
  /** ms a lease lasts in the database after each renewal */
  ttlMs: number;
  /** ms between renewals */
  renewMs: number;
  /** ms before the database's expiry at which this process stops acting on its own */
  marginMs: number;
  /** ms a lone process's shards wait, once its liveness lock is gone, after its last heartbeat (and after a database restart) */
  soloGraceMs: number;
}

/** a lost process's traders are monitored again within 15 s: 8 s of lease, a renewal round, recovery */
export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { ttlMs: 8_000, renewMs: 2_000, marginMs: 2_000, soloGraceMs: SOLO_GRACE_MS };

export interface LeaseManagerOptions {
  repo: ShardLeasesRepo;
  /** this process's id (unique per start) */
  id: string;
  host: string;
  pid: number;
  /**
   * this process's liveness lock (Database.livenessLock(id)), held for its lifetime: when it dies
   * the lock goes with its session and its shards are free at once (a frozen process keeps it, so
   * its shards wait for their expiry)
   */
  liveness: LivenessLock;
  logger: EngineLogger;
  timings?: Partial<LeaseTimings>;
  shards?: number;
  /** ms, monotonic (default performance.now) */
  monotonic?: () => number;
  /** false: no timer; tests call tick() (default true) */
  schedule?: boolean;
  /** LISTEN (Database.listen): a round at once when another process joins or hands shards back */
  listen?: (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>>;
}

/** A once-per-bot job's start and stop, called as its shard is taken and lost or handed back. */
export interface JobRunner {
  start(): void | Promise<void>;
  /** awaited before the shard is handed back; when the lease ran out it is called at once */
  stop(): void | Promise<void>;
}

export interface LeaseManager extends ShardOwnership {
  readonly id: string;
  attach(hooks: LeaseHooks): void;
  /** ensures the shard rows and runs the first round */
  start(): Promise<void>;
  /** one round: heartbeat, renew, hand back or claim */
  tick(): Promise<void>;
  /** the shards held now, ascending */
  held(): number[];
  /** no other live process at the last round: this one keeps acting through a database outage */
  alone(): boolean;
  /** runs `runner` while this process holds the job's shard */
  runJob(job: Job, runner: JobRunner): void;
  /** the live processes on this database and their shards, as their last heartbeats said (/status) */
  processes(): Promise<ProcessStatus[]>;
  /** stops renewing and hands every shard back (after the engine stopped acting for them) */
  stop(): Promise<void>;
}

/** ms the engine may take to stop acting for shards it hands back */
const RELEASE_GRACE_MS = 5_000;

export function createLeaseManager(options: LeaseManagerOptions): LeaseManager {
  const { repo, id, logger } = options;
  const timings = { ...DEFAULT_LEASE_TIMINGS, ...options.timings };
  const count = options.shards ?? SHARD_COUNT;
  const monotonic = options.monotonic ?? (() => performance.now());
  /** shard → epoch and the local deadline (monotonic ms) */
  const held = new Map<number, { epoch: number; until: number }>();
  let unlisten: (() => Promise<void>) | undefined;
  /** shards being handed back: still the database's record of this process until released */
  const handingBack = new Set<number>();
  let hooks: LeaseHooks = { gained() {}, lost() {}, releasing: async () => {} };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let stopped = false;
  /** no other live process at the last round that reached the database */
  let alone = false;
  const jobs = new Map<Job, { runner: JobRunner; on: boolean }>();

  function owns(shard: number): boolean {
    const lease = held.get(shard);
    return lease !== undefined && (alone || monotonic() < lease.until);
  }

  /** starts the jobs of shards just taken; a job that fails to start is retried at the next round */
  function startJobs(): void {
    for (const [job, j] of jobs) {
      if (j.on || !owns(JOB_SHARDS[job])) continue;
      j.on = true;
      logger.info({ job, process: id }, 'once-per-bot job starts here');
      void Promise.resolve()
        .then(() => j.runner.start())
        .catch((error: unknown) => {
          j.on = false;
          logger.error({ err: error, job }, 'once-per-bot job failed to start; retried at the next round');
        });
    }
  }

  async function stopJobs(shards: readonly number[]): Promise<void> {
    for (const job of jobsIn(shards)) {
      const j = jobs.get(job);
      if (!j?.on) continue;
      j.on = false;
      logger.info({ job, process: id }, 'once-per-bot job stops here');
      await Promise.resolve()
        .then(() => j.runner.stop())
        .catch((error: unknown) => logger.error({ err: error, job }, 'once-per-bot job failed to stop'));
    }
  }

  function lose(shards: number[]): void {
    hooks.lost(shards);
    void stopJobs(shards);
  }

  /** shards past their local deadline: dropped and reported (never while alone: nobody else can take them) */
  function expire(): void {
    if (alone) return;
    const now = monotonic();
    const gone = [...held].filter(([, l]) => now >= l.until).map(([s]) => s);
    if (gone.length === 0) return;
    for (const s of gone) held.delete(s);
    logger.error({ shards: gone }, 'shard leases not renewed in time: this process stops acting for their traders');
    lose(gone);
  }

  function keep(leases: HeldLease[], sentAt: number): void {
    for (const l of leases) held.set(l.shard, { epoch: l.epoch, until: sentAt + timings.ttlMs - timings.marginMs });
    watch();
  }

  /** a timer at the earliest deadline: shards that were not renewed by then leave the engine even while a round hangs */
  let watchdog: NodeJS.Timeout | undefined;
  function watch(): void {
    clearTimeout(watchdog);
    if (held.size === 0 || stopped || alone) return;
    const first = Math.min(...[...held.values()].map((l) => l.until));
    watchdog = setTimeout(() => {
      expire();
      watch();
    }, Math.max(0, first - monotonic()) + 1);
    watchdog.unref();
  }

  /** every shard leaves the engine at once (its liveness lock is gone: others may take them now) */
  function dropAll(why: string): void {
    const all = [...held.keys()];
    held.clear();
    if (all.length === 0) return;
    logger.error({ shards: all }, why);
    lose(all);
  }
  // with company, a cut session frees this process's shards for the others at once; alone, nobody
  // takes them while this process lives (it keeps acting through the outage)
  options.liveness.onLost(() => {
    if (alone) logger.warn({ process: id }, 'the liveness lock session closed; alone on this database, this process keeps acting for its traders');
    else dropAll('the liveness lock session closed: this process stops acting for its traders until it holds the lock again');
  });

  /** leases just taken (at `at`, before their request left): held, and their traders restored */
  function take(leases: HeldLease[], at: number, what: string, live: number): void {
    if (leases.length === 0) return;
    keep(leases, at);
    logger.info({ shards: leases.map((l) => l.shard), live }, what);
    hooks.gained(leases.map((l) => l.shard));
  }

  async function round(): Promise<void> {
    expire();
    if ((await options.liveness.hold()) === 'taken' && !alone) dropAll('the liveness lock was taken again after its session was cut: this process stops acting for its traders and claims them again');
    const mine = [...held.keys()].sort((a, b) => a - b);
    const beat = await repo.heartbeat({ id, host: options.host, pid: options.pid, shards: mine }, timings.ttlMs);
    const live = beat.live;
    if (alone !== beat.alone) logger.info({ live }, beat.alone ? 'alone on this database: this process keeps acting for its traders through a database outage' : 'other processes share this database');
    alone = beat.alone;
    await renewHeld();
    expire();
    if (stopped) return;
    // the database and this process's memory agree on what it holds: a shard the database gives it
    // that it does not hold would be monitored by nobody
    const reclaimedAt = monotonic();
    take(await repo.reclaimOwn(id, [...held.keys(), ...handingBack], timings.ttlMs), reclaimedAt, 'shards the database still gave this process taken back at their next epoch', live);
    const plan = rebalance([...held.keys()], fairShare(count, live));
    if (plan.release.length > 0) {
      await handBack(plan.release);
      logger.info({ shards: plan.release, live }, 'shards handed back to the processes that joined');
      // the hand-back may have waited for work in flight: the shards kept are renewed again, so
      // that wait never costs them their local deadline
      await renewHeld();
    }
    if (plan.claim > 0) {
      const claimedAt = monotonic();
      take(await repo.claim(id, plan.claim, timings.ttlMs, [...held.keys()], timings.soloGraceMs), claimedAt, 'shards taken', live);
    }
    startJobs();
    // /status shows what is held after the round
    const now = [...held.keys()].sort((a, b) => a - b);
    if (now.join() !== mine.join()) await repo.heartbeat({ id, host: options.host, pid: options.pid, shards: now }, timings.ttlMs);
  }

  /** renews every lease held, at its epoch; a shard the database no longer gives this process is lost */
  async function renewHeld(): Promise<void> {
    const mine = [...held.keys()];
    const sentAt = monotonic();
    const renewed = await repo.renew(
      id,
      mine.map((shard) => ({ shard, epoch: held.get(shard)!.epoch })),
      timings.ttlMs,
    );
    keep(
      renewed.filter((l) => held.get(l.shard)?.epoch === l.epoch),
      sentAt,
    );
    const kept = new Set(renewed.map((l) => l.shard));
    const taken = mine.filter((s) => !kept.has(s) && held.has(s));
    if (taken.length > 0) {
      for (const s of taken) held.delete(s);
      logger.error({ shards: taken }, 'shard leases no longer ours in the database: this process stops acting for their traders');
      lose(taken);
    }
  }

  async function handBack(shards: number[]): Promise<void> {
    // never taken back by a round that overlaps this hand-back (a round given up as late)
    for (const s of shards) handingBack.add(s);
    try {
      await handOver(shards);
    } finally {
      for (const s of shards) handingBack.delete(s);
    }
  }

  async function handOver(shards: number[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, RELEASE_GRACE_MS)));
    const stopping = Promise.all([stopJobs(shards), hooks.releasing(shards)]).catch((error: unknown) => logger.error({ err: error, shards }, 'stopping for shards handed back failed'));
    await Promise.race([stopping, late]);
    clearTimeout(timer);
    for (const s of shards) held.delete(s);
    await repo.release(id, shards);
  }

  function tick(): Promise<void> {
    if (running) return running;
    // a round the database does not answer is given up after a lease's time (its results, if they
    // still come, are safe to apply: every deadline counts from before its request left)
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the lease round did not finish within ${timings.ttlMs} ms`)), timings.ttlMs)));
    running = Promise.race([round(), late])
      .catch((error: unknown) => {
        // the leases run out on their own at the local deadline: nothing to undo here
        logger.error({ err: error }, 'shard lease round failed; retried');
      })
      .finally(() => {
        clearTimeout(timer);
        running = null;
      });
    return running;
  }

  function schedule(): void {
    if (options.schedule === false || stopped) return;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, timings.renewMs);
    timer.unref();
  }

  return {
    id,
    owns,
    fence(shard) {
      const lease = held.get(shard);
      return lease && owns(shard) ? { owner: id, epoch: lease.epoch } : undefined;
    },
    attach(next) {
      hooks = next;
    },
    async start() {
      await repo.ensureShards(count);
      if (options.listen) {
        unlisten = await options.listen(LEASES_CHANNEL, (payload) => {
          if (payload !== id && !stopped) void tick();
        });
      }
      await tick();
      schedule();
    },
    tick,
    async processes() {
      const rows = await repo.listProcesses(timings.ttlMs);
      return rows.map((r) => ({ id: r.id, host: r.host, pid: r.pid, startedAt: new Date(r.startedAt), heartbeatAt: new Date(r.heartbeatAt), shards: r.shards, self: r.id === id }));
    },
    held: () => [...held.keys()].filter(owns).sort((a, b) => a - b),
    alone: () => alone,
    runJob(job, runner) {
      jobs.set(job, { runner, on: false });
      startJobs();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(watchdog);
      await unlisten?.().catch(() => {});
      await running;
      const all = [...held.keys()];
      if (all.length > 0) await handBack(all);
      await repo.removeProcess(id);
      await options.liveness.release();
    },
  };
}
