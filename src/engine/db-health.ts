/**
 * Whether the database answers, as the exit path sees it (SPEC §10: exits do not wait on the
 * database). A database call on the exit path runs `bounded`: it fails fast while the database is
 * known to be down, and a call that does not answer within the deadline, or fails because the
 * connection is gone, marks it down. While down, a probe pings it every second; the first answer
 * marks it up again and runs the `onRecovered` work (exits recorded, alerts queued).
 */
import type { Database } from '../db/client.ts';
import type { Clock } from './clock.ts';
import type { EngineLogger } from './ports.ts';

/** ms a database call on the exit path may take before the database counts as unavailable */
export const DB_DEADLINE_MS = 800;
/** ms between pings while the database is down */
export const DB_PROBE_MS = 1_000;

export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

/**
 * A failure that says the database cannot be reached (not that a statement was wrong): the
 * connection refused, reset, closed or timed out (postgres.js codes, SQLSTATE class 08 and the
 * server shutting down), or an embedded PGlite that is closed.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (/^(ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|CONNECT|CONNECTION_)/.test(code)) return true;
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code)) return true;
    if (e instanceof Error && /PGlite is closed|connection (?:terminated|closed|ended)|write after end/i.test(e.message)) return true;
  }
  return false;
}

export interface DatabaseHealth {
  available(): boolean;
  /** ms since epoch when the database was found down; null while it answers */
  downSince(): number | null;
  /** runs one database call on the exit path; throws DatabaseUnavailableError instead of waiting on a dead database */
  bounded<T>(fn: () => Promise<T>, deadlineMs?: number): Promise<T>;
  /** `fn` runs each time the database answers again after an outage (errors are logged) */
  onRecovered(fn: () => Promise<void>): void;
  /** `fn` runs once when an outage begins */
  onDown(fn: () => void): void;
  /** pings now; true when it answered (and then the recovery work has run) */
  probe(): Promise<boolean>;
  /** resolves when no probe (and no recording after an outage) is running */
  settled(): Promise<void>;
  stop(): void;
}

export function createDatabaseHealth(database: Pick<Database, 'ping'>, clock: Clock, logger: EngineLogger, options: { probeMs?: number; deadlineMs?: number } = {}): DatabaseHealth {
  const deadline = options.deadlineMs ?? DB_DEADLINE_MS;
  let since: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let probing: Promise<boolean> | null = null;
  const recovered: Array<() => Promise<void>> = [];
  const down: Array<() => void> = [];

  function markDown(error: unknown): void {
    if (since !== null) return;
    since = clock.now();
    logger.error({ err: error }, 'database unavailable: exits go to the local journal and are recorded when it is back');
    for (const fn of down) {
      try {
        fn();
      } catch (e) {
        logger.warn({ err: e }, 'database-down hook failed');
      }
    }
    // asked again at once: a deadline missed on a busy machine is over as soon as the database answers
    void probe().then((ok) => {
      if (!ok) schedule();
    });
  }

  function schedule(): void {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void probe().then((ok) => {
        if (!ok) schedule();
      });
    }, options.probeMs ?? DB_PROBE_MS);
    timer.unref();
  }

  function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
    let t: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new DatabaseUnavailableError(`the database did not answer within ${ms} ms`)), ms);
    });
    return Promise.race([p, late]).finally(() => clearTimeout(t));
  }

  async function bounded<T>(fn: () => Promise<T>, ms = deadline): Promise<T> {
    if (since !== null) throw new DatabaseUnavailableError('the database is unavailable');
    const call = fn();
    call.catch(() => {}); // a call that outlives its deadline may still fail later
    try {
      return await withDeadline(call, ms);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      markDown(error);
      throw error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError(error instanceof Error ? error.message : String(error));
    }
  }

  /** true while the work after an outage runs (inside the probe that ended it) */
  let recording = false;

  function probe(): Promise<boolean> {
    // asked from within that work (a flush after the database went down again meanwhile): awaiting
    // the probe it runs in would wait for itself for ever; the schedule asks again once it is done
    if (recording) {
      schedule();
      return Promise.resolve(false);
    }
    probing ??= (async () => {
      const ok = await withDeadline(database.ping(), Math.max(deadline, 2_000)).catch(() => false);
      if (!ok || since === null) return ok;
      logger.info({ downForMs: clock.now() - since }, 'database available again: recording the exits of the outage');
      since = null;
      recording = true;
      try {
        for (const fn of recovered) await fn().catch((error: unknown) => logger.error({ err: error }, 'recording after the database outage failed; retried at the next outage end or start'));
      } finally {
        recording = false;
      }
      // down again while recording: probed again on the schedule
      if (since !== null) schedule();
      return true;
    })().finally(() => {
      probing = null;
    });
    return probing;
  }

  return {
    available: () => since === null,
    downSince: () => since,
    bounded,
    onRecovered: (fn) => void recovered.push(fn),
    onDown: (fn) => void down.push(fn),
    probe,
    async settled() {
      while (probing) await probing;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
