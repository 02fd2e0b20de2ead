/**
 * One engine per database, kept while the process runs (README "One engine per database"). The
 * PostgreSQL advisory lock lives on one session; a database restart, a network cut or an
 * administrator's pg_terminate_backend ends that session and the lock with it, silently. The watch
 * notices (the lock connection's close, and a check every few seconds), takes the lock again when
 * the database answers, and reports 'taken' when another process got it first.
 *
 * What the guard lets through, by state:
 * - held: everything; an entry (a new position) checks the lock first, on the lock's own session;
 * - unknown (the lock's session is gone and the database does not answer yet): exits and the
 *   backstop only, because a database outage must not leave positions unguarded (SPEC §10); no
 *   entries (they cannot be recorded anyway);
 * - taken: nothing is sent any more; the process is told to stop (main exits with code 3).
 */
import type { Database } from '../db/client.ts';
import { ExchangeError, type ExchangePort } from '../exchange/port.ts';
import type { EngineLogger } from './ports.ts';

/** ms between checks of the engine lock */
export const ENGINE_LOCK_CHECK_MS = 2_000;
/** ms a check may take before the database counts as unreachable for it */
export const ENGINE_LOCK_DEADLINE_MS = 2_000;

export type EngineLockState = 'held' | 'unknown' | 'taken';

export interface EngineLockWatch {
  state(): EngineLockState;
  /** checks now (re-taking a free lock); concurrent callers share one check */
  check(): Promise<EngineLockState>;
  stop(): void;
}

export interface EngineLockWatchOptions {
  logger: EngineLogger;
  /** runs once, when another process holds the lock */
  onTaken: () => void;
  intervalMs?: number;
  deadlineMs?: number;
}

/** Starts watching a lock the caller has acquired. */
export function watchEngineLock(database: Pick<Database, 'checkEngineLock' | 'onEngineLockConnectionClosed'>, options: EngineLockWatchOptions): EngineLockWatch {
  const { logger } = options;
  const deadline = options.deadlineMs ?? ENGINE_LOCK_DEADLINE_MS;
  let state: EngineLockState = 'held';
  let stopped = false;
  let running: Promise<EngineLockState> | null = null;

  function set(next: EngineLockState, error?: unknown): void {
    if (next === state || state === 'taken') return;
    const previous = state;
    state = next;
    if (next === 'unknown') logger.error({ err: error }, 'engine lock lost with its database session: no new positions until it is taken again (exits and the exchange stops go on)');
    else if (next === 'held') logger.info({ after: previous }, 'engine lock taken again: trading resumes');
    else {
      logger.error({}, 'engine lock taken by another process on this database: this process sends no more orders and stops');
      options.onTaken();
    }
  }

  function check(): Promise<EngineLockState> {
    if (state === 'taken') return Promise.resolve(state);
    running ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the engine lock check did not answer within ${deadline} ms`)), deadline);
      });
      const call = database.checkEngineLock();
      call.catch(() => {});
      try {
        set(await Promise.race([call, late]));
      } catch (error) {
        set('unknown', error);
      } finally {
        clearTimeout(timer);
      }
      return state;
    })().finally(() => {
      running = null;
    });
    return running;
  }

  database.onEngineLockConnectionClosed(() => {
    if (stopped) return;
    set('unknown', new Error('the engine lock connection closed'));
    void check();
  });
  const timer = setInterval(() => void check(), options.intervalMs ?? ENGINE_LOCK_CHECK_MS);
  timer.unref();

  return {
    state: () => state,
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

const NOT_SENT = 'Not sent: this bot process lost its lock on the database (another copy of the bot may be running). The operator must check the bot.';

/**
 * The port as the engine sees it while `lock` decides: entries need the lock, checked at once;
 * exits and stops pass unless another process holds it. Reads always pass.
 */
export function guardOrders<P extends ExchangePort>(port: P, lock: EngineLockWatch): P {
  const refuse = (): never => {
    throw new ExchangeError('NOT_SUPPORTED', { message: NOT_SENT, detail: `engine lock ${lock.state()}` });
  };
  const protective = new Set(['closePosition', 'placeStop', 'amendStop', 'cancelStop', 'cancelOrder']);
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      if (prop === 'placeOrder') {
        return async (...args: unknown[]) => {
          const request = args[0] as { reduceOnly?: boolean } | undefined;
          // an entry: the lock is asked on its own session right before the order goes
          const state = request?.reduceOnly === true ? lock.state() : await lock.check();
          if (state === 'taken' || (state === 'unknown' && request?.reduceOnly !== true)) refuse();
          return fn.apply(target, args);
        };
      }
      if (protective.has(prop)) {
        return async (...args: unknown[]) => {
          if (lock.state() === 'taken') refuse();
          return fn.apply(target, args);
        };
      }
      return value;
    },
  });
}
