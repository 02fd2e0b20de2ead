/**
 * The engine's one factory. main.ts wires it:
 *
 *   const engine = createEngine({
 *     database, repos, notifier, logger,       // repos: createRepos(database.db, box), built once
 *     createExchange: (account) => exchangeFactory.create(account),
 *     feeds: (exchange) => feedsByExchange.get(exchange),
 *     config: { trustedSources: config.trustedSources, intervals: config.intervals, supabase: config.supabase },
 *   });
 *   await engine.start();          // restore + reconcile, then monitor, LISTEN, sweeps
 *   … createBot({ engine: engine.facade, … })
 *   await engine.stop();           // on SIGTERM: stops intake, finishes orders in flight, flushes
 */
import type { Database } from '../db/client.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { Repos } from '../db/repos/index.ts';
import { createAccountExchanges, type CreateExchange } from './account-exchanges.ts';
import { createActionRunner } from './action-runner.ts';
import { createBackstops } from './backstop.ts';
import { systemClock, type Clock } from './clock.ts';
import type { EngineContext } from './context.ts';
import { createControls } from './controls.ts';
import { createDatabaseHealth, isUnavailable } from './db-health.ts';
import { createOutageNotices } from './outage-notices.ts';
import { openExitJournal } from './exit-journal.ts';
import type { CandleSource } from './decide-entry.ts';
import type { Notifier } from './events.ts';
import { every, type Cancel } from './every.ts';
import { createSignalProcessor } from './execute-signal.ts';
import type { EngineFacade } from './facade.ts';
import { createFacade } from './facade-impl.ts';
import { KeyedLock, USER_LOCK } from './keyed-lock.ts';
import { createMonitor, type MonitorStats } from './monitor.ts';
import { createEntries } from './open-position.ts';
import { BalanceCache, watchOrders } from './balances.ts';
import { PositionBook } from './position-book.ts';
import { silentLogger, type EngineLogger, type FeedProvider } from './ports.ts';
import { createRecovery, type RecoveryReport } from './recovery.ts';
import { createSignalIntake } from './signal-intake.ts';
import { guardOwnership, ownsUser, runsJob, soleOwnership, type LeaseManager } from './shard-leases.ts';
import { shardOf } from '../domain/shards.ts';
import { createPosts, type PostsFacade } from './posts.ts';
import { createProtectionState, deriveProtectionsAtStart } from './protection-state.ts';
import { createAccountLabels } from './account-label.ts';
import { createCouncil, type CouncilOptions, type CouncilRunResult } from './council.ts';
import { createNotifySource, createSupabaseSource, type SignalSource } from './signal-sources.ts';
import { createCommandRelay, type CommandRelayOptions } from './command-relay.ts';
import { createEngineCommandsRepo } from '../db/repos/engine-commands.ts';

export interface EngineDeps {
  database: Database;
  /** the repos main.ts built once (createRepos; the accounts repo holds the SecretBox that opens credentials) */
  repos: Repos;
  /** durable notifier (alert outbox); events are emitted after their rows are written */
  notifier: Notifier;
  /** builds an account's exchange port: `(account) => exchangeFactory.create(account)` */
  createExchange: CreateExchange;
  /** the shared market-data feed of an exchange id (undefined: positions there rely on the sweep) */
  feeds: FeedProvider;
  config: {
    trustedSources: readonly string[];
    intervals: { signalSweepSeconds: number; monitorSweepSeconds: number };
    /** Supabase Realtime as an extra signal source (the NOTIFY listener runs as well) */
    supabase?: { url: string; key: string } | undefined;
    /** ADMIN_TELEGRAM_IDS: the engine checks administrator rights itself */
    adminTelegramIds?: readonly number[];
  };
  logger?: EngineLogger;
  /** default: the system clock */
  clock?: Clock;
  /** recent candles for volatility and ATR/regime SL/TP; without it percent SL/TP and volatility 0 are used */
  candles?: CandleSource;
  /** the built-in council (SPEC §9); absent = off */
  council?: CouncilOptions | undefined;
  /**
   * several processes on one PostgreSQL (SPEC §12): the shards this one leases (started before the
   * engine, stopped after it); absent: this process acts for every trader
   */
  leases?: LeaseManager;
  /** pending alerts, for /status */
  outboxDepth?: () => Promise<number>;
  /**
   * the exit journal's file (main.ts: DATA_DIR/exit-journal.ndjson): exits sent while the database
   * is down survive a crash there; unset keeps it in memory (tests)
   */
  journalPath?: string;
  options?: {
    /** users processed at once per signal (default 16) */
    userConcurrency?: number;
    /** seconds between batched position flushes (default 5) */
    flushSeconds?: number;
    /** false: no timers (tests drive sweeps and flushes by hand); default true */
    schedule?: boolean;
    /** extra signal sources (tests); the NOTIFY source is always used */
    sources?: SignalSource[];
    /** ms stop() waits for orders in flight before flushing anyway (default 5000) */
    stopGraceMs?: number;
    /** ms a database call on the exit path may take before the database counts as down (default DB_DEADLINE_MS) */
    databaseDeadlineMs?: number;
    /** ms between pings while the database is down (default 1000) */
    databaseProbeMs?: number;
    /** several processes: how long a trader's action relayed to the owning process is waited for (command-relay.ts) */
    commands?: CommandRelayOptions;
  };
}

export interface Engine {
  facade: EngineFacade;
  /** a trader's channel posts and /signal: preview, Trade / Ignore (SPEC §9) */
  posts: PostsFacade;
  /** restore and reconcile positions, then monitor, listen for signals and run the sweeps */
  start(): Promise<void>;
  /** stop intake, finish orders in flight, flush (a few seconds at most) */
  stop(): Promise<void>;
  /** one council run (also at start and every COUNCIL_MINUTES when the council is on); [] when off */
  runCouncil(): Promise<CouncilRunResult[]>;
  /** the signal sweep (also run at start and every signalSweepSeconds) */
  sweepSignals(): Promise<void>;
  /** the monitor sweep (every monitorSweepSeconds): last prices, time exits, unresolved orders */
  sweepPositions(): Promise<void>;
  /** write every dirty position in one batch */
  flush(): Promise<void>;
  /** resolves when no signal and no order is in flight */
  settle(): Promise<void>;
  /** what start() found */
  readonly recovery: RecoveryReport | null;
  readonly monitorStats: MonitorStats;
  /** positions in memory (not closed) */
  openPositionCount(): number;
}

export function createEngine(deps: EngineDeps): Engine {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const book = new PositionBook();
  const balances = new BalanceCache(clock);
  const health = createDatabaseHealth(deps.database, clock, logger, { deadlineMs: deps.options?.databaseDeadlineMs, probeMs: deps.options?.databaseProbeMs });
  /** alerts emitted while the database (and its outbox) is down: stored when it is back */
  const deferredAlerts: Array<{ event: Parameters<EngineContext['emit']>[0]; dedupeKey: string | undefined }> = [];
  const ownership = deps.leases ?? soleOwnership;
  const ctx: EngineContext = {
    ownership,
    health,
    journal: openExitJournal(deps.journalPath ?? null),
    protectionLocks: createProtectionState(),
    labels: createAccountLabels((id) => deps.repos.accounts.get(id)),
    database: deps.database,
    clock,
    logger,
    notifier: deps.notifier,
    feeds: deps.feeds,
    locks: new KeyedLock(),
    book,
    startedAt: clock.now(),
    balances,
    // every order of an account reads its balance again in the background, for the next sizing
    exchanges: createAccountExchanges(deps.repos.accounts, async (account, owner) => {
      const port = guardOwnership(await deps.createExchange(account), ownership, owner.userId);
      const { accountId } = account;
      return accountId === undefined ? port : watchOrders(port, () => balances.changed(accountId, port));
    }),
    repos: deps.repos,
    async emit(event, dedupeKey) {
      if (!health.available()) {
        deferredAlerts.push({ event, dedupeKey });
        return;
      }
      try {
        await health.bounded(() => deps.notifier.notify(event, dedupeKey));
      } catch (error) {
        if (isUnavailable(error)) deferredAlerts.push({ event, dedupeKey });
        else logger.error({ err: error, kind: event.kind }, 'notifier failed');
      }
    },
  };

  // monitor and runner reference each other through the hooks (closed → untrack)
  let untrack: (p: PositionRecord) => void = () => {};
  const runner = createActionRunner(ctx, { onClosed: (p) => untrack(p) });
  const monitor = createMonitor(ctx, runner);
  untrack = monitor.untrack;
  ctx.backstops = createBackstops(ctx, { onClosed: (p) => untrack(p) });
  const entries = createEntries(ctx, monitor.track);
  const processor = createSignalProcessor(ctx, entries, runner, {
    trustedSources: deps.config.trustedSources,
    concurrency: deps.options?.userConcurrency ?? 16,
    candles: deps.candles,
  });
  const sources: SignalSource[] = [createNotifySource(deps.database), ...(deps.options?.sources ?? [])];
  if (deps.config.supabase) sources.push(createSupabaseSource(deps.config.supabase));
  const intake = createSignalIntake(ctx, processor, sources);
  const recovery = createRecovery(ctx, entries, runner, monitor.track);
  const controls = createControls(ctx, runner);
  const notices = createOutageNotices(ctx, deps.notifier);

  health.onDown(() => notices.outageBegan());
  health.onRecovered(async () => {
    await runner.recordOffline();
    await ctx.backstops?.saveUnsaved();
    for (const { event, dedupeKey } of deferredAlerts.splice(0)) await ctx.emit(event, dedupeKey);
    notices.outageEnded();
    await flush().catch(() => {});
  });

  let startedAt = clock.now();
  let recoveryReport: RecoveryReport | null = null;
  const cancels: Cancel[] = [];
  let flushing: Promise<void> = Promise.resolve();

  async function flushNow(): Promise<void> {
    // kept dirty while the database is down: written when it is back (a missed deadline on a busy
    // machine is over as soon as the ping answers)
    if (!health.available() && !(await health.probe())) return;
    // a trader whose shard this process no longer owns is written by its new owner only
    const dirty = book.takeDirty().filter((p) => ownsUser(ownership, p.userId));
    // and so are its positions' reevaluations (a process waking from a freeze writes none of them)
    const reevals = monitor.takeReevaluations().filter((r) => {
      const p = book.get(r.positionId);
      return p === undefined || ownsUser(ownership, p.userId);
    });
    try {
      await health.bounded(async () => {
        await ctx.repos.positions.flushMany(dirty, clock.now());
        await ctx.repos.reevaluations.insertMany(reevals);
      }, FLUSH_DEADLINE_MS);
    } catch (error) {
      for (const p of dirty) book.markDirty(p.id);
      monitor.requeueReevaluations(reevals);
      logger.error({ err: error, positions: dirty.length }, 'position flush failed; retried next time');
      throw error;
    }
  }

  function flush(): Promise<void> {
    flushing = flushing.catch(() => {}).then(flushNow);
    return flushing;
  }

  /** Entries whose order outcome was unknown: looked up again. */
  async function resolvePendingEntries(): Promise<void> {
    for (const p of [...book.all()]) {
      if (p.status !== 'pending') continue;
      await ctx.locks.run(p.id, async () => {
        if (p.status !== 'pending') return;
        const execution = p.signalId ? (await ctx.repos.executions.forSignal(p.signalId)).find((e) => e.userId === p.userId) : undefined;
        const result = await entries.resolve(p, execution?.id ?? null).catch(() => ({ kind: 'unknown' as const }));
        if (result.kind === 'failed') book.remove(p.id);
      });
    }
  }

  /** ms a batched flush may take before the database counts as down (10 000 positions take well under a second) */
  const FLUSH_DEADLINE_MS = 10_000;
  /** ms: how often the sweep asks the exchanges for liquidation prices */
  const LIQUIDATION_REFRESH_MS = 60_000;
  let liquidationRefreshedAt = Number.NEGATIVE_INFINITY;

  async function sweepPositions(): Promise<void> {
    if (!health.available()) {
      // the database is down: the rules still run on the last prices (time exits); lookups, liquidation
      // refreshes and reconciliation, which need it, wait for it
      await monitor.sweep();
      return;
    }
    await resolvePendingEntries();
    if (clock.now() - liquidationRefreshedAt >= LIQUIDATION_REFRESH_MS) {
      liquidationRefreshedAt = clock.now();
      await recovery.refreshLiquidationPrices();
    }
    await monitor.sweep();
    await ctx.backstops?.sweep();
  }

  async function sweepSignals(): Promise<void> {
    await intake.sweep({ announce: deps.leases !== undefined });
  }

  /** shard hand-overs, one at a time (a takeover's recovery, a hand-back) */
  let shardWork: Promise<unknown> = Promise.resolve();
  let running = false;
  function serially<T>(job: () => Promise<T>): Promise<T> {
    const next = shardWork.then(job);
    shardWork = next.catch(onError('shard hand-over'));
    return next;
  }
  const positionsOf = (shards: readonly number[]) => {
    const set = new Set(shards);
    return [...book.all()].filter((p) => set.has(shardOf(p.userId)));
  };
  /** SPEC §12 takeover: the restart's recovery for the traders of the shards just taken, then their missed signals */
  async function takeOver(shards: number[]): Promise<void> {
    if (!running) return; // start()'s recovery takes every shard held by then
    const set = new Set(shards);
    // an order the last owner left pending was sent before its deadline, so before now: the lookup horizon runs from here
    ctx.startedAt = clock.now();
    const report = await recovery.recover((userId) => set.has(shardOf(userId)) && ownsUser(ownership, userId));
    // a shard lost again while its recovery ran: what the recovery put back in the monitor leaves it
    for (const p of [...book.all()]) if (set.has(shardOf(p.userId)) && !ownsUser(ownership, p.userId)) monitor.untrack(p);
    logger.info({ shards, ...report }, 'shards taken over: positions restored and reconciled');
    await intake.sweep();
  }
  deps.leases?.attach({
    gained: (shards) => void serially(() => takeOver(shards)),
    lost(shards) {
      // owns() is already false for them: their positions leave the monitor at once, and what the
      // monitor had not written of them yet is the new owner's to write
      const gone = new Set(positionsOf(shards).map((p) => p.id));
      for (const id of gone) monitor.untrack(book.get(id)!);
      monitor.requeueReevaluations(monitor.takeReevaluations().filter((r) => !gone.has(r.positionId)));
    },
    releasing: (shards) =>
      serially(async () => {
        // what is in flight for them finishes (under the lease) before the shards are handed back:
        // their traders' entries first (a claim the next owner's recovery found unfinished would
        // count as interrupted, and the trader would miss the signal), then their positions' orders
        const handed = new Set(shards);
        await ctx.locks.idleWhere((key) => key.startsWith(USER_LOCK) && handed.has(shardOf(key.slice(USER_LOCK.length))), 10, 4_000);
        await flush().catch(() => {});
        const list = positionsOf(shards);
        for (const p of list) monitor.untrack(p);
        for (const p of list) await ctx.locks.run(p.id, async () => {});
        await flush().catch(() => {});
        // their exchange clients (and keys) leave this process's memory with them
        for (const accountId of new Set(list.map((p) => p.accountId))) await ctx.exchanges.forget(accountId).catch(() => {});
      }),
  });

  const council = deps.council ? createCouncil({ repo: deps.repos.councilSignals, clock, logger, options: deps.council }) : null;
  const runCouncil = async (): Promise<CouncilRunResult[]> => (council ? council.run() : []);

  const onError = (what: string) => (error: unknown) => logger.error({ err: error }, `${what} failed`);

  const localFacade = createFacade({
    ctx,
    controls,
    createExchange: deps.createExchange,
    startedAt: () => startedAt,
    lastCycle: intake.lastCycle,
    marketData: monitor.marketData,
    outboxDepth: deps.outboxDepth,
    exitsAwaitingRecord: runner.exitsAwaitingRecord,
    adminIds: deps.config.adminTelegramIds ?? [],
    council: council ? () => council.status() : undefined,
    ...(deps.leases ? { processes: deps.leases.processes } : {}),
  });

  // --- SPEC §12: a trader's action reaches the process that owns the trader (none with one process) ---
  const relay = deps.leases
    ? createCommandRelay({
        database: deps.database,
        repo: createEngineCommandsRepo(deps.database.db),
        leases: deps.leases,
        local: localFacade,
        emit: ctx.emit,
        async forgetAccount(accountId) {
          await ctx.exchanges.forget(accountId);
          ctx.labels.forget(accountId);
        },
        logger,
        options: deps.options?.commands,
      })
    : null;
  const facade = relay?.facade ?? localFacade;

  const posts = createPosts(ctx, { trustedSources: deps.config.trustedSources, candles: deps.candles });

  return {
    facade,
    posts,
    get recovery() {
      return recoveryReport;
    },
    monitorStats: monitor.stats,
    openPositionCount: () => book.size,

    async start() {
      startedAt = clock.now();
      ctx.startedAt = startedAt;
      // exits a killed process sent while the database was down: into the database before recovery looks them up
      const journaled = await runner.restoreJournal();
      if (journaled > 0) logger.warn({ exits: journaled }, 'exits journaled during a database outage restored; recovery looks them up');
      recoveryReport = await serially(() => {
        running = true;
        return recovery.recover((userId) => ownsUser(ownership, userId));
      });
      await notices.remember();
      logger.info({ ...recoveryReport }, 'positions restored and reconciled');
      // the protections holding entries, from the trades (for /status at once; decisions derive them again)
      ctx.protectionLocks?.deriving(
        deriveProtectionsAtStart(ctx).then(
          (held) => held > 0 && logger.info({ accounts: held }, 'protections holding entries derived from the trades'),
          onError('protections at start'),
        ),
      );
      monitor.start();
      await relay?.start();
      await intake.start();
      await intake.sweep().catch(onError('signal sweep at start'));
      if (deps.options?.schedule !== false) {
        // once per bot (SPEC §12): in the process that holds the sweep's lease
        cancels.push(every(deps.config.intervals.signalSweepSeconds, async () => void (runsJob(ownership, 'sweep') && (await sweepSignals())), onError('signal sweep')));
        cancels.push(every(deps.config.intervals.monitorSweepSeconds, sweepPositions, onError('position sweep')));
        cancels.push(every(deps.options?.flushSeconds ?? 5, flush, onError('position flush')));
        if (council && deps.council) {
          // the first run right away (a fresh install trades without waiting an interval), then every COUNCIL_MINUTES
          // once per bot (SPEC §12): in the process that holds the council's lease
          if (runsJob(ownership, 'council')) void runCouncil().catch(onError('council'));
          const { schedule } = deps.council;
          if (schedule) {
            let busy = false;
            cancels.push(
              schedule(() => {
                if (busy || !runsJob(ownership, 'council')) return;
                busy = true;
                void runCouncil()
                  .catch(onError('council'))
                  .finally(() => (busy = false));
              }),
            );
          } else cancels.push(every(deps.council.minutes * 60, async () => void (runsJob(ownership, 'council') && (await runCouncil())), onError('council')));
        }
      }
    },

    async stop() {
      running = false;
      for (const cancel of cancels.splice(0)) cancel();
      // work in flight gets a bounded grace period; whatever it leaves is recovered at the next start
      const graceMs = deps.options?.stopGraceMs ?? 5_000;
      const done = (async () => {
        await relay?.stop();
        await intake.stop();
        monitor.stop();
        await monitor.settle();
        await ctx.locks.idle(5, graceMs);
      })();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn({ graceMs }, 'stop: work still in flight after the grace period; it is recovered at the next start');
          resolve();
        }, graceMs);
        timer.unref();
      });
      await Promise.race([done.catch(() => {}), late]);
      clearTimeout(timer);
      monitor.stop();
      // exits sent while the database was down: recorded now if it answers, else from the journal at the next start
      if (health.available() || (await health.probe())) await runner.recordOffline().catch((error: unknown) => logger.warn({ err: error }, 'journaled exits not recorded at stop; the next start does'));
      await flush().catch(() => {});
      health.stop();
      notices.stop();
      await ctx.exchanges.closeAll();
    },

    runCouncil,
    sweepSignals,
    sweepPositions,
    flush,
    async settle() {
      await intake.settle();
      await monitor.settle();
      await ctx.locks.idle();
      await health.settled();
      await runner.offlineSettled();
      await ctx.locks.idle();
    },
  };
}
