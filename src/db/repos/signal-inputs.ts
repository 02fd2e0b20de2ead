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
  /** the signal's source: webhook, telegram (a post) or manual (/signal) */
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

/** what an input without a signal row is: refused, a close done at once, or a preview the trader has not traded */
export type InputStatus = 'refused' | 'closed' | 'preview' | 'ignored' | 'expired';
const INPUT_STATUSES: readonly string[] = ['refused', 'closed', 'preview', 'ignored', 'expired'];

/** A preview's Trade / Ignore, as the transaction found it. */
export type PreviewDecision =
  | { kind: 'stored'; signalId: string; details: Record<string, unknown> }
  | { kind: 'ignored' }
  | { kind: 'expired' }
  /** pressed before: what became of it */
  | { kind: 'decided'; status: string; signalId: string | null }
  | { kind: 'not_found' };

/** the trading_signals row a Trade stores */
export interface PreviewSignal {
  symbol: string;
  action: 'BUY' | 'SELL';
  stopLoss: number | null;
  takeProfit: number | null;
  expiresAt: Date;
  reasoning: string;
}

export interface InputWithoutSignal {
  id: string;
  source: string;
  status: InputStatus;
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
      return rows.map((r) => ({ id: r.id, source: r.source, status: (INPUT_STATUSES.includes(r.status) ? r.status : 'refused') as InputStatus, reasons: r.reasons, details: r.details, createdAt: r.createdAt }));
    },

    /** A post or /signal shown to the trader with Trade / Ignore: no signal row until Trade. */
    async storePreview(userId: string, source: string, details: Record<string, unknown>, now: Date): Promise<string> {
      const [row] = await db.insert(signalInputs).values({ userId, source, status: 'preview', details, createdAt: now }).returning({ id: signalInputs.id });
      return row!.id;
    },

    /**
     * Trade or Ignore on a preview, once: the row is locked, and only a preview younger than
     * `maxAgeMs` becomes a signal (trading_signals row, user_id the trader) in the same transaction.
     */
    async decidePreview(userId: string, inputId: string, choice: 'trade' | 'ignore', signal: (details: Record<string, unknown>) => PreviewSignal, now: Date, maxAgeMs: number): Promise<PreviewDecision> {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(signalInputs).where(and(eq(signalInputs.id, inputId), eq(signalInputs.userId, userId))).for('update');
        if (!row) return { kind: 'not_found' } as const;
        if (row.status !== 'preview') return { kind: 'decided', status: row.status, signalId: row.signalId } as const;
        if (choice === 'ignore') {
          await tx.update(signalInputs).set({ status: 'ignored', reasons: ['ignored by you'] }).where(eq(signalInputs.id, inputId));
          return { kind: 'ignored' } as const;
        }
        if (now.getTime() - row.createdAt.getTime() > maxAgeMs) {
          await tx.update(signalInputs).set({ status: 'expired', reasons: [`Trade pressed ${Math.round((now.getTime() - row.createdAt.getTime()) / 60_000)} min after the preview: prices move, send it again`] }).where(eq(signalInputs.id, inputId));
          return { kind: 'expired' } as const;
        }
        const s = signal(row.details);
        const [created] = await tx
          .insert(tradingSignals)
          .values({ symbol: s.symbol, action: s.action, confidence: 1, source: row.source, reasoning: s.reasoning, userId, stopLoss: s.stopLoss, takeProfit: s.takeProfit, expiresAt: s.expiresAt, createdAt: now })
          .returning({ id: tradingSignals.id });
        await tx.update(signalInputs).set({ status: 'stored', signalId: created!.id }).where(eq(signalInputs.id, inputId));
        return { kind: 'stored', signalId: created!.id, details: row.details } as const;
      });
    },

    /** What the input of a signal said beyond its row (targets, leverage), when a trader's input made it. */
    async detailsForSignal(signalId: string): Promise<Record<string, unknown> | null> {
      const [row] = await db.select({ details: signalInputs.details }).from(signalInputs).where(eq(signalInputs.signalId, signalId)).limit(1);
      return row?.details ?? null;
    },

  };
}

export type SignalInputsRepo = ReturnType<typeof createSignalInputsRepo>;
