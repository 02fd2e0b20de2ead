/**
 * signal_executions: the unique (user, signal, account) claim. INSERT … ON CONFLICT DO NOTHING
 * before any order means a signal runs at most once per account, across restarts and processes.
 */
import { and, eq, gte, isNull, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { signalExecutions } from '../schema.ts';

/** claimed: being worked on (or interrupted by a crash); executed; rejected (reasons); failed (error) */
export type ExecutionStatus = 'claimed' | 'executed' | 'rejected' | 'failed';

export interface ExecutionRecord {
  id: string;
  signalId: string;
  userId: string;
  accountId: string | null;
  status: ExecutionStatus;
  reasons: string[];
  positionId: string | null;
  createdAt: number;
}

type Row = typeof signalExecutions.$inferSelect;

const toRecord = (row: Row): ExecutionRecord => ({
  id: row.id,
  signalId: row.signalId,
  userId: row.userId,
  accountId: row.accountId,
  status: row.status as ExecutionStatus,
  reasons: row.reasons,
  positionId: row.positionId,
  createdAt: row.createdAt.getTime(),
});

export function createExecutionsRepo(db: Db) {
  return {
    /** The claim: an id when this caller won it, undefined when (user, signal, account) was already taken. */
    async claim(userId: string, signalId: string, accountId: string | null, now: number): Promise<string | undefined> {
      const rows = await db
        .insert(signalExecutions)
        .values({ userId, signalId, accountId, status: 'claimed', createdAt: new Date(now), updatedAt: new Date(now) })
        .onConflictDoNothing({ target: [signalExecutions.userId, signalExecutions.signalId, signalExecutions.accountId] })
        .returning({ id: signalExecutions.id });
      return rows[0]?.id;
    },

    /** Gives a claim up before anything was written for it (the trader's shard went to another process, which executes it). */
    async release(id: string): Promise<void> {
      // never a claim whose entry order was written (it carries the position): that order may have
      // gone, and the shard's next owner resolves it by its client id and finishes this claim
      await db.delete(signalExecutions).where(and(eq(signalExecutions.id, id), eq(signalExecutions.status, 'claimed'), isNull(signalExecutions.positionId)));
    },

    async finish(id: string, status: ExecutionStatus, reasons: string[], positionId: string | null, now: number, tx: Db = db): Promise<void> {
      await tx
        .update(signalExecutions)
        .set({ status, reasons, positionId, updatedAt: new Date(now) })
        .where(eq(signalExecutions.id, id));
    },

    async get(id: string): Promise<ExecutionRecord | undefined> {
      const [row] = await db.select().from(signalExecutions).where(eq(signalExecutions.id, id));
      return row ? toRecord(row) : undefined;
    },

    async forSignal(signalId: string): Promise<ExecutionRecord[]> {
      const rows = await db.select().from(signalExecutions).where(eq(signalExecutions.signalId, signalId));
      return rows.map(toRecord);
    },

    /** Claims left behind by a crash (no order was sent for them, or it is resolved by order recovery). */
    async listClaimed(): Promise<ExecutionRecord[]> {
      const rows = await db.select().from(signalExecutions).where(eq(signalExecutions.status, 'claimed'));
      return rows.map(toRecord);
    },

    /**
     * ms times of the signals executed since `since` (the limits' recentTradeTimes): one per
     * signal, however many of the trader's accounts it traded on (SPEC §11).
     */
    async executedTimesSince(userId: string, since: number): Promise<number[]> {
      const rows = await db
        .select({ at: sql<Date | string>`min(${signalExecutions.createdAt})` })
        .from(signalExecutions)
        .where(and(eq(signalExecutions.userId, userId), eq(signalExecutions.status, 'executed'), gte(signalExecutions.createdAt, new Date(since))))
        .groupBy(signalExecutions.signalId);
      return rows.map((r) => new Date(r.at).getTime());
    },
  };
}

export type ExecutionsRepo = ReturnType<typeof createExecutionsRepo>;
