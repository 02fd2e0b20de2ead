/**
 * A trader's action reaches the process that owns the trader (SPEC §12). The Telegram updates
 * are handled by one process; the trader's positions live in the monitor of whichever process
 * leases the trader's shard. A facade method that acts on that live state, called in a process
 * that does not own the trader, is written as a command row and NOTIFYed; the owner claims it
 * (only while it holds the shard's lease in the database), runs the same facade method locally
 * and writes the result, which the asker returns. A process that owns the trader calls the method
 * directly: with one process nothing is relayed and nothing is written.
 *
 * Exactly once: the claim (queued → running) is won by one process at most, and a claimed
 * command is never put back once it started. A command nobody claims stays queued until an
 * owner's sweep finds it (a NOTIFY can be lost). An asker that gave up waiting answers "sent";
 * the owner, finishing later, tells the trader through an alert. Given up, never run, and the
 * trader told: a command no owner took within `maxAgeMs`, and one whose runner died while running
 * it (it may have acted: it is not run again).
 */
import type { Database } from '../db/client.ts';
import type { CommandRow, EngineCommandsRepo } from '../db/repos/engine-commands.ts';
import { COMMAND_CHANNEL, COMMAND_DONE_CHANNEL } from '../db/schema.ts';
import { shardOf } from '../domain/shards.ts';
import type { EngineContext } from './context.ts';
import { ActionQueuedError, type EngineFacade } from './facade.ts';
import type { EngineLogger } from './ports.ts';
import type { LeaseManager } from './shard-leases.ts';

/**
 * The facade methods that act on the owner's in-memory state (the monitor's book, the per-position
 * and per-trader locks, the cached exchange clients): each takes (actor, userId, …).
 */
export const RELAYED = ['closePosition', 'moveStopLoss', 'moveTakeProfit', 'stopLossToBreakeven', 'applySettingsToOpenPositions', 'removeAccount'] as const;
export type RelayedKind = (typeof RELAYED)[number];

const isRelayed = (kind: string): kind is RelayedKind => (RELAYED as readonly string[]).includes(kind);

/** what the trader asked, as an alert names it when the answer comes late */
const ASKED: Record<RelayedKind, string> = {
  closePosition: 'Close position',
  moveStopLoss: 'Move stop loss',
  moveTakeProfit: 'Move take profit',
  stopLossToBreakeven: 'Stop loss to breakeven',
  applySettingsToOpenPositions: 'Apply settings to open positions',
  removeAccount: 'Remove account',
};

export const PENDING_MESSAGE =
  'Sent to the bot process that holds your account; it has not answered yet. You will get an alert when it is done.';


export interface CommandRelayOptions {
  /** ms the asker waits for the owner's answer (default 10 000) */
  waitMs?: number;
  /** ms between the owner's sweeps of queued commands (default 1 000) */
  sweepMs?: number;
  /** ms a finished command is kept before it is deleted (default one hour) */
  keepMs?: number;
  /**
   * ms a command may wait for an owner before it is given up, never run (default 2 minutes): no
   * process held the trader's shard that long (all stopped), and a close pressed minutes ago is
   * not sent at a price the trader no longer sees; the trader is told
   */
  maxAgeMs?: number;
}

export interface CommandRelayDeps {
  database: Pick<Database, 'listen'>;
  repo: EngineCommandsRepo;
  leases: Pick<LeaseManager, 'id' | 'owns' | 'held'>;
  /** the facade acting in this process */
  local: EngineFacade;
  emit: EngineContext['emit'];
  /** drops this process's cached exchange client and label of an account the owner removed */
  forgetAccount?: (accountId: string) => Promise<void>;
  logger: EngineLogger;
  options?: CommandRelayOptions | undefined;
}

export interface CommandRelay {
  /** `local`, with the relayed methods sent to the owner when this process does not own the trader */
  facade: EngineFacade;
  /** LISTEN for commands and answers, and sweep queued commands of the shards held */
  start(): Promise<void>;
  /** one sweep: queued commands of the shards held are claimed and run */
  sweep(): Promise<void>;
  /** stops listening and sweeping; waits for the commands running here */
  stop(): Promise<void>;
}

const POLL_MS = 500;
const EXPIRED = 'no bot process held your account in time, so it was not sent; press again if you still want it';
const ABANDONED = 'the bot process running it stopped before it answered; check /positions to see whether it was done';
const PRUNE_EVERY_MS = 60_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** JSON turned Dates (PositionView.openedAt) into strings: back to Dates */
function revive(value: unknown): unknown {
  if (typeof value === 'string') return ISO_DATE.test(value) ? new Date(value) : value;
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  return value;
}

export function createCommandRelay(deps: CommandRelayDeps): CommandRelay {
  const { repo, leases, local, logger } = deps;
  const waitMs = deps.options?.waitMs ?? 10_000;
  const sweepMs = deps.options?.sweepMs ?? 1_000;
  const keepMs = deps.options?.keepMs ?? 3_600_000;
  const maxAgeMs = deps.options?.maxAgeMs ?? 120_000;
  /** command id → wakes the asker waiting on it (an answer was NOTIFYed) */
  const waiters = new Map<string, () => void>();
  /** commands this process is claiming or running */
  const running = new Map<string, Promise<void>>();
  const unlisten: Array<() => Promise<void>> = [];
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let prunedAt = 0;

  const ownsTrader = (userId: string): boolean => {
    try {
      return leases.owns(shardOf(userId));
    } catch {
      return true; // not a trader id: the local method answers not found
    }
  };

  function pending(kind: RelayedKind, id: string): unknown {
    if (kind === 'applySettingsToOpenPositions') throw new ActionQueuedError(PENDING_MESSAGE);
    return { ok: false, code: 'queued', message: PENDING_MESSAGE };
  }

  function answer(row: CommandRow): unknown {
    if (row.status === 'failed') throw new Error(row.error ?? `the ${row.kind} command failed`);
    return revive(row.result);
  }

  /** sleeps up to `ms`, or until the command's answer is NOTIFYed */
  function nap(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        waiters.delete(id);
        resolve();
      }
      waiters.set(id, done);
    });
  }

  async function ask(kind: RelayedKind, userId: string, args: unknown[]): Promise<unknown> {
    const id = await repo.enqueue({ userId, kind, args, askedBy: leases.id });
    const deadline = performance.now() + waitMs;
    for (;;) {
      const row = await repo.get(id);
      if (row && (row.status === 'done' || row.status === 'failed')) return answer(row);
      const left = deadline - performance.now();
      if (left <= 0) break;
      await nap(id, Math.min(left, POLL_MS));
    }
    // the owner may finish at this very moment: either the note lands first (it alerts) or the answer is there
    if (await repo.stopWaiting(id)) {
      logger.warn({ command: id, kind, userId, waitMs }, 'no answer from the process owning the trader in time; it alerts the trader when done');
      return pending(kind, id);
    }
    const row = await repo.get(id);
    if (!row) throw new Error(`the ${kind} command ${id} is gone`);
    return answer(row);
  }

  /** a number the trader typed that JSON cannot carry (NaN, ∞) is refused here, as the owner would */
  function badNumber(args: unknown[]): string | undefined {
    const bad = args.find((a) => typeof a === 'number' && !Number.isFinite(a));
    return bad === undefined ? undefined : `${String(bad)} is not a price or fraction the bot can use.`;
  }

  function route<K extends RelayedKind>(kind: K, args: Parameters<EngineFacade[K]>): ReturnType<EngineFacade[K]> {
    const userId = args[1] as string;
    const run = local[kind] as (...a: unknown[]) => Promise<unknown>;
    if (ownsTrader(userId)) return run(...args) as ReturnType<EngineFacade[K]>;
    const bad = badNumber(args);
    if (bad && kind !== 'removeAccount' && kind !== 'applySettingsToOpenPositions') {
      return Promise.resolve({ ok: false, code: 'invalid', message: bad }) as ReturnType<EngineFacade[K]>;
    }
    const asked = ask(kind, userId, args);
    if (kind !== 'removeAccount' || !deps.forgetAccount) return asked as ReturnType<EngineFacade[K]>;
    // the owner dropped its clients of the removed account; this process may hold one too (a /balance here)
    return asked.then(async (r) => {
      if ((r as { ok?: unknown }).ok === true) await deps.forgetAccount!(args[2] as string);
      return r;
    }) as ReturnType<EngineFacade[K]>;
  }

  function lateMessage(kind: RelayedKind, outcome: { status: 'done'; result: unknown } | { status: 'failed'; error: string }): string {
    const asked = ASKED[kind];
    if (outcome.status === 'failed') return `${asked}: it could not be done (${outcome.error}).`;
    const r = outcome.result;
    if (typeof r === 'number') return `${asked}: applied to ${r} open position${r === 1 ? '' : 's'}.`;
    const message = r && typeof r === 'object' && 'message' in r ? String((r as { message: unknown }).message) : 'done.';
    return `${asked}: ${message}`;
  }

  async function runHere(row: CommandRow): Promise<void> {
    let outcome: { status: 'done'; result: unknown } | { status: 'failed'; error: string };
    if (!isRelayed(row.kind)) outcome = { status: 'failed', error: `unknown command kind "${row.kind}"` };
    else if (!Array.isArray(row.args) || row.args[1] !== row.userId) outcome = { status: 'failed', error: `the ${row.kind} command's arguments do not name trader ${row.userId}` };
    else {
      try {
        const run = local[row.kind] as (...a: unknown[]) => Promise<unknown>;
        outcome = { status: 'done', result: await run(...row.args) };
      } catch (error) {
        outcome = { status: 'failed', error: error instanceof Error ? error.message : String(error) };
      }
    }
    const finished = await repo.finish(row.id, leases.id, outcome);
    logger.info({ command: row.id, kind: row.kind, userId: row.userId, status: outcome.status, asker: row.askedBy }, 'command run for another process');
    if (finished?.unwatched && isRelayed(row.kind)) {
      await deps.emit({ kind: 'action_needed', userId: row.userId, message: lateMessage(row.kind, outcome) }, `command:${row.id}`);
    }
  }

  /** claims the command (if this process owns its trader now) and runs it; never twice here */
  function tryRun(id: string): Promise<void> {
    const busy = running.get(id);
    if (busy || stopped) return busy ?? Promise.resolve();
    const job = (async () => {
      const row = await repo.claim(id, leases.id, maxAgeMs);
      if (!row) return;
      // the database says the lease is ours; this process's own deadline must say so too
      if (!ownsTrader(row.userId)) {
        await repo.unclaim(id, leases.id);
        return;
      }
      await runHere(row);
    })()
      .catch((error: unknown) => logger.error({ err: error, command: id }, 'command not run'))
      .finally(() => running.delete(id));
    running.set(id, job);
    return job;
  }

  async function sweep(): Promise<void> {
    const held = leases.held();
    if (held.length === 0) return;
    for (const id of await repo.queuedFor(held)) await tryRun(id);
    const expired = await repo.expire(held, maxAgeMs, EXPIRED);
    const abandoned = await repo.abandon(held, ABANDONED);
    for (const row of [...expired, ...abandoned]) {
      logger.warn({ command: row.id, kind: row.kind, userId: row.userId, runBy: row.runBy, error: row.error }, 'command given up, not run (again)');
      if (row.unwatched && isRelayed(row.kind)) await deps.emit({ kind: 'action_needed', userId: row.userId, message: lateMessage(row.kind, { status: 'failed', error: row.error ?? EXPIRED }) }, `command:${row.id}`);
    }
    if (performance.now() - prunedAt >= PRUNE_EVERY_MS) {
      prunedAt = performance.now();
      await repo.prune(keepMs);
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void sweep()
        .catch((error: unknown) => logger.error({ err: error }, 'command sweep failed'))
        .finally(schedule);
    }, sweepMs);
    timer.unref();
  }

  const facade: EngineFacade = {
    ...local,
    closePosition: (...args) => route('closePosition', args),
    moveStopLoss: (...args) => route('moveStopLoss', args),
    moveTakeProfit: (...args) => route('moveTakeProfit', args),
    stopLossToBreakeven: (...args) => route('stopLossToBreakeven', args),
    applySettingsToOpenPositions: (...args) => route('applySettingsToOpenPositions', args),
    removeAccount: (...args) => route('removeAccount', args),
  };

  return {
    facade,
    sweep,
    async start() {
      if (!stopped) return;
      stopped = false;
      prunedAt = performance.now();
      unlisten.push(await deps.database.listen(COMMAND_CHANNEL, (id) => void tryRun(id)));
      unlisten.push(await deps.database.listen(COMMAND_DONE_CHANNEL, (id) => waiters.get(id)?.()));
      await sweep().catch((error: unknown) => logger.error({ err: error }, 'command sweep failed'));
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      for (const off of unlisten.splice(0)) await off().catch(() => {});
      await Promise.all(running.values());
    },
  };
}
