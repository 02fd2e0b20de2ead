/**
 * signal_inputs: every input a trader brought (SPEC §9; issue 14 item 7). A stored one points at
 * its trading_signals row and keeps what the row cannot hold; one without a row was refused (with
 * its reasons) or acted on at once (a close). Storing is one transaction that first locks the
 * trader's users row, so two copies of one alert (in one process or several) store one signal.
 */
import { and, desc, eq, gte, isNull } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { signalInputs, tradingSignals, users } from '../schema.ts';

export interface NewInputSignal {
  userId: string;
  /** the signal's source: webhook (and later telegram, manual) */
  source: string;
  symbol: string;
  action: 'BUY' | 'SELL';
  confidence: number;
  stopLoss: number | null;
  takeProfit: number | null;
  expiresAt: Date;
  reasoning: string;
  details: Record<string, unknown>;
  fingerprint: string;
  /** receipt time: the input's created_at, and the start of its duplicate window */
  now: Date;
}

export interface InputWithoutSignal {
  id: string;
  source: string;
  status: 'refused' | 'closed';
  reasons: string[];
  details: Record<string, unknown>;
  createdAt: Date;
}

export function createSignalInputsRepo(db: Db) {
  return {
    /**
     * Stores the signal and its input in one transaction, unless the same signal (fingerprint) came
     * from this trader since `dedupeSince`: then the first one's id, stored once.
     */
    async storeSignal(input: NewInputSignal, dedupeSince: Date): Promise<{ signalId: string; duplicate: boolean }> {
      return db.transaction(async (tx) => {
        // serialises this trader's inputs across connections and processes
        await tx.select({ id: users.id }).from(users).where(eq(users.id, input.userId)).for('update');
        const [seen] = await tx
          .select({ signalId: signalInputs.signalId })
          .from(signalInputs)
          .where(
            and(
              eq(signalInputs.userId, input.userId),
              eq(signalInputs.fingerprint, input.fingerprint),
              eq(signalInputs.status, 'stored'),
              gte(signalInputs.createdAt, dedupeSince),
            ),
          )
          .orderBy(desc(signalInputs.createdAt))
          .limit(1);
        if (seen?.signalId) return { signalId: seen.signalId, duplicate: true };
        const [signal] = await tx
          .insert(tradingSignals)
          .values({
            symbol: input.symbol,
            action: input.action,
            confidence: input.confidence,
            source: input.source,
            reasoning: input.reasoning,
            userId: input.userId,
            stopLoss: input.stopLoss,
            takeProfit: input.takeProfit,
            expiresAt: input.expiresAt,
          })
          .returning({ id: tradingSignals.id });
        await tx.insert(signalInputs).values({
          userId: input.userId,
          source: input.source,
          signalId: signal!.id,
          status: 'stored',
          details: input.details,
          fingerprint: input.fingerprint,
          createdAt: input.now,
        });
        return { signalId: signal!.id, duplicate: false };
      });
    },

    /** An input that became no signal row: refused (with its reasons), or a close done at once (status closed). */
    async recordInput(userId: string, source: string, status: 'refused' | 'closed', reasons: string[], details: Record<string, unknown>, now: Date): Promise<void> {
      await db.insert(signalInputs).values({ userId, source, status, reasons, details, createdAt: now });
    },

    /** The trader's inputs that have no signal row, newest first (/signals shows them beside the signals). */
    async recentWithoutSignal(userId: string, limit: number): Promise<InputWithoutSignal[]> {
      const rows = await db
        .select()
        .from(signalInputs)
        .where(and(eq(signalInputs.userId, userId), isNull(signalInputs.signalId)))
        .orderBy(desc(signalInputs.createdAt))
        .limit(limit);
      return rows.map((r) => ({ id: r.id, source: r.source, status: r.status === 'closed' ? 'closed' : 'refused', reasons: r.reasons, details: r.details, createdAt: r.createdAt }));
    },

  };
}

export type SignalInputsRepo = ReturnType<typeof createSignalInputsRepo>;
