/** trading_signals as written by external producers, and what each user's execution made of them. */
import { and, desc, eq, gte, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { apiKeys, signalExecutions, SIGNAL_CHANNEL, tradingSignals, users } from '../schema.ts';

export interface SignalRecord {
  id: string;
  symbol: string;
  action: string;
  /** 0..1; null when the producer gave none */
  confidence: number | null;
  source: string;
  reasoning: string | null;
  /** null = every user */
  userId: string | null;
  stopLoss: number | null;
  takeProfit: number | null;
  /** ms since epoch */
  expiresAt: number | null;
  createdAt: number;
}

type Row = typeof tradingSignals.$inferSelect;

export const toSignalRecord = (row: Row): SignalRecord => ({
  id: row.id,
  symbol: row.symbol,
  action: row.action,
  confidence: row.confidence,
  source: row.source,
  reasoning: row.reasoning,
  userId: row.userId,
  stopLoss: row.stopLoss,
  takeProfit: row.takeProfit,
  expiresAt: row.expiresAt ? row.expiresAt.getTime() : null,
  createdAt: row.createdAt.getTime(),
});

export interface SignalWithOutcome {
  signal: SignalRecord;
  status: string | null;
  reasons: string[];
  positionId: string | null;
}

export function createSignalsRepo(db: Db) {
  return {
    async get(id: string): Promise<SignalRecord | undefined> {
      const [row] = await db.select().from(tradingSignals).where(eq(tradingSignals.id, id));
      return row ? toSignalRecord(row) : undefined;
    },

    /** Signals created since `since` (ms), oldest first: the consensus window and the sweep read these. */
    /** NOTIFY the signal's id again on the signals channel (as its insert trigger did): every process's listener takes it */
    async announce(id: string): Promise<void> {
      await db.execute(sql`select pg_notify(${SIGNAL_CHANNEL}, ${id})`);
    },

    async createdSince(since: number): Promise<SignalRecord[]> {
      const rows = await db
        .select()
        .from(tradingSignals)
        .where(gte(tradingSignals.createdAt, new Date(since)))
        .orderBy(tradingSignals.createdAt);
      return rows.map(toSignalRecord);
    },

    /**
     * Users a signal is for who have an active account and no execution record for it yet
     * (the sweep's to-do list). A signal with user_id set is for that user only.
     */
    async usersWithoutExecution(signal: Pick<SignalRecord, 'id' | 'userId'>): Promise<string[]> {
      // users with an enabled account this signal has not run on yet, or (all accounts disabled) no outcome at all
      const rows = await db
        .selectDistinct({ id: users.id })
        .from(users)
        .innerJoin(apiKeys, and(eq(apiKeys.userId, users.id), eq(apiKeys.active, true)))
        .where(
          and(
            signal.userId ? eq(users.id, signal.userId) : undefined,
            or(
              and(
                eq(apiKeys.enabled, true),
                sql`not exists (select 1 from ${signalExecutions} e where e.signal_id = ${signal.id} and e.user_id = ${users.id} and e.account_id = ${apiKeys.id})`,
              ),
              sql`not exists (select 1 from ${signalExecutions} e where e.signal_id = ${signal.id} and e.user_id = ${users.id})`,
            ),
          ),
        );
      return rows.map((r) => r.id);
    },

    /** The signals a user could see (theirs and everyone's), newest first, with this user's outcome. */
    async recentForUser(userId: string, limit: number): Promise<SignalWithOutcome[]> {
      const rows = await db
        .select({ signal: tradingSignals, status: signalExecutions.status, reasons: signalExecutions.reasons, positionId: signalExecutions.positionId })
        .from(tradingSignals)
        .leftJoin(signalExecutions, and(eq(signalExecutions.signalId, tradingSignals.id), eq(signalExecutions.userId, userId)))
        .where(or(isNull(tradingSignals.userId), eq(tradingSignals.userId, userId)))
        .orderBy(desc(tradingSignals.createdAt))
        .limit(limit);
      return rows.map((r) => ({ signal: toSignalRecord(r.signal), status: r.status, reasons: r.reasons ?? [], positionId: r.positionId }));
    },
  };
}

export type SignalsRepo = ReturnType<typeof createSignalsRepo>;
