/**
 * Exits while the database is down (SPEC §10: exits do not wait on the database).
 *
 * The runner's write-ahead record goes to the database when it answers within the deadline, else
 * to the local exit journal (append + fsync) — then the order is sent at once, under the same
 * deterministic client order id either way. Its outcome waits here, with the position blocked for
 * other exits exactly as an order in flight blocks it (the exchange's stop protects it meanwhile):
 *
 * - placed or unknown: when the database is back the journaled rows are written (idempotently)
 *   and the ordinary completion records the fill, the trade and the alert once;
 * - refused: nothing was placed; the intent is closed in the journal and the monitor decides
 *   again after the back-off, through the journal again while the database is down.
 *
 * A process killed in between leaves the intent in the journal: at the next start it is written
 * to the database before positions are restored, and recovery's lookup by client order id
 * completes it. The order is never sent again under that id, and no other exit of that position
 * is sent before it is resolved.
 */
import type { NewOrder } from '../db/repos/orders.ts';
import type { PendingAction, PositionRecord } from '../db/repos/positions.ts';
import type { NewReevaluation } from '../db/repos/reevaluations.ts';
import type { EngineContext } from './context.ts';
import { DatabaseUnavailableError } from './db-health.ts';
import type { SendOutcome } from './tracked-order.ts';
import { fenceFor } from './shard-leases.ts';

interface Waiting {
  p: PositionRecord;
  pending: PendingAction;
  order: NewOrder;
  at: number;
  outcome: SendOutcome;
}

export interface OfflineExitsDeps {
  /** the runner's completion of an order outcome (database up) */
  complete(p: PositionRecord, pending: PendingAction, outcome: SendOutcome): Promise<boolean>;
  /** a refusal while the database is down: back off in memory, tell the trader, restore the stop */
  refused(p: PositionRecord, pending: PendingAction, code: string, message: string): Promise<void>;
}

export function createOfflineExits(ctx: EngineContext, deps: OfflineExitsDeps) {
  const { repos, health, journal, logger } = ctx;
  /** position id → its exit sent while the database was down */
  const waiting = new Map<string, Waiting>();
  let reevals: NewReevaluation[] = [];
  /** a recording started because the database answered by the time the order's outcome came */
  let recording: Promise<void> = Promise.resolve();

  /** The write-ahead record: 'db' when the database took it, 'journal' when the local journal did. */
  async function writeAhead(p: PositionRecord, order: NewOrder, pending: PendingAction, now: number): Promise<'db' | 'journal'> {
    // several processes (SPEC §12): only the trader's owner writes, at its lease's epoch (FencedError otherwise)
    const fence = fenceFor(ctx.ownership, p.userId);
    if (health.available()) {
      try {
        await health.bounded(() => repos.positions.writeExitIntent(p, order, now, fence));
        return 'db';
      } catch (error) {
        if (!(error instanceof DatabaseUnavailableError)) throw error;
      }
    }
    // if the database write above still lands later, it is the same order id and client id: the replay finds it
    journal.intent({ at: now, order, pending });
    return 'journal';
  }

  /** The outcome of a journaled order; true when it was placed. */
  async function sent(p: PositionRecord, pending: PendingAction, order: NewOrder, at: number, outcome: SendOutcome): Promise<boolean> {
    if (outcome.kind === 'refused') {
      journal.recorded(pending.clientOrderId); // nothing was placed: nothing to record or look up
      logger.warn({ positionId: p.id, code: outcome.code }, 'exit refused while the database is down');
      await deps.refused(p, pending, outcome.code, outcome.message);
      return false;
    }
    // placed or not known yet: blocked like an order in flight until the database records it
    p.status = 'closing';
    waiting.set(p.id, { p, pending, order, at, outcome });
    logger.warn({ positionId: p.id, clientOrderId: pending.clientOrderId, outcome: outcome.kind }, 'exit sent while the database is down: recorded when it is back');
    // the database may be back already (a deadline missed on a busy machine, or a short outage):
    // then it is recorded now, once the caller has released the position's lock
    if (health.available()) recording = recording.then(() => record()).catch((error: unknown) => logger.error({ err: error }, 'recording a journaled exit failed; retried when the database is back'));
    return outcome.kind === 'placed';
  }

  /** The database is back: every exit of the outage is recorded (in the order they were sent). */
  async function record(): Promise<void> {
    const list = [...waiting.values()].sort((a, b) => a.at - b.at);
    for (const w of list) {
      await ctx.locks.run(w.p.id, async () => {
        if (waiting.get(w.p.id) !== w) return;
        await repos.exitIntents.restore(w.order, w.pending, w.at);
        waiting.delete(w.p.id);
        journal.recorded(w.pending.clientOrderId); // the database holds the intent now: the ordinary path owns it
        await deps.complete(w.p, w.pending, w.outcome);
      });
    }
    if (reevals.length > 0) {
      const rows = reevals;
      reevals = [];
      await repos.reevaluations.insertMany(rows);
    }
  }

  /** At start, before positions are restored: intents a killed process journaled are written to the database. */
  async function restoreJournal(): Promise<number> {
    const open = journal.open();
    for (const entry of open) {
      await repos.exitIntents.restore(entry.order, entry.pending, entry.at);
      journal.recorded(entry.order.clientOrderId);
    }
    return open.length;
  }

  /** Reevaluation rows of a tick while the database is down: written when it is back. */
  async function saveReevaluations(rows: NewReevaluation[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await health.bounded(() => repos.reevaluations.insertMany(rows));
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      reevals.push(...rows);
    }
  }

  return {
    writeAhead,
    sent,
    record,
    restoreJournal,
    saveReevaluations,
    /** the position's exit waits for the database */
    awaiting: (positionId: string) => waiting.has(positionId),
    /** exits sent during the outage and not yet recorded */
    count: () => waiting.size,
    /** resolves when no recording started by a late outcome is running */
    async settled(): Promise<void> {
      let seen: Promise<void>;
      do {
        seen = recording;
        await seen;
      } while (seen !== recording);
    },
  };
}

export type OfflineExits = ReturnType<typeof createOfflineExits>;
