/**
 * The alert outbox (alert_outbox): an alert is a row until Telegram has it. Rows are claimed by
 * pushing `next_attempt_at` forward (a lease), so a crash mid-send leaves the row to be sent again
 * after the lease: delivery is at least once, never lost.
 */
import { and, asc, count, eq, gt, inArray, lt, lte, max, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { alertOutbox } from '../schema.ts';

export interface OutboxRow {
  id: number;
  userId: string | null;
  chatId: number;
  kind: string;
  payload: Record<string, unknown>;
  dedupeKey: string | null;
  silent: boolean;
  status: 'pending' | 'sent' | 'dead';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  telegramMessageId: number | null;
  createdAt: Date;
  sentAt: Date | null;
}

export interface NewAlert {
  userId: string | null;
  chatId: number;
  kind: string;
  payload: Record<string, unknown>;
  dedupeKey?: string | undefined;
  silent?: boolean;
}

const toRow = (r: typeof alertOutbox.$inferSelect): OutboxRow => ({ ...r, status: r.status as OutboxRow['status'] });

export function createOutboxRepo(db: Db) {
  return {
    /** false when a row with the same dedupe key already exists */
    async enqueue(alert: NewAlert): Promise<boolean> {
      const rows = await db
        .insert(alertOutbox)
        .values({
          userId: alert.userId,
          chatId: alert.chatId,
          kind: alert.kind,
          payload: alert.payload,
          dedupeKey: alert.dedupeKey ?? null,
          silent: alert.silent ?? false,
        })
        .onConflictDoNothing({ target: alertOutbox.dedupeKey })
        .returning({ id: alertOutbox.id });
      return rows.length > 0;
    },

    /**
     * What the worker may send next: the oldest pending row of each chat (so a chat's alerts go out
     * in order) where that row is due, at most `limit`. A manual close's alert answers the trader's
     * own press, so those come first; then the oldest first. Only these rows (with their payloads)
     * leave the database, however long the queue: on PGlite every row read is parsed on the thread
     * that also answers the traders.
     */
    async dueHeads(now: Date, limit: number): Promise<OutboxRow[]> {
      const heads = db
        .selectDistinctOn([alertOutbox.chatId])
        .from(alertOutbox)
        .where(eq(alertOutbox.status, 'pending'))
        .orderBy(asc(alertOutbox.chatId), asc(alertOutbox.id))
        .as('heads');
      const rows = await db.select().from(heads).where(lte(heads.nextAttemptAt, now)).orderBy(sql`${heads.kind} = 'manual' desc`, asc(heads.id)).limit(limit);
      return rows.map(toRow);
    },

    /**
     * At start: rows a process that is gone had claimed (its lease) or scheduled for a retry are due
     * now, so no chat's queue waits out a dead process's lease behind an alert it may have sent (one
     * engine per database: no live process holds these). Returns how many.
     */
    async releaseClaims(now: Date): Promise<number> {
      const rows = await db
        .update(alertOutbox)
        .set({ nextAttemptAt: now })
        .where(and(eq(alertOutbox.status, 'pending'), gt(alertOutbox.nextAttemptAt, now)))
        .returning({ id: alertOutbox.id });
      return rows.length;
    },

    /** Takes the rows that are still pending and due; the lease ends at `leaseUntil`. */
    async claim(ids: number[], now: Date, leaseUntil: Date): Promise<OutboxRow[]> {
      if (ids.length === 0) return [];
      const rows = await db
        .update(alertOutbox)
        .set({ nextAttemptAt: leaseUntil })
        .where(and(inArray(alertOutbox.id, ids), eq(alertOutbox.status, 'pending'), lte(alertOutbox.nextAttemptAt, now)))
        .returning();
      return rows.map(toRow).sort((a, b) => a.id - b.id);
    },

    async markSent(id: number, messageId: number, at: Date): Promise<void> {
      await db.update(alertOutbox).set({ status: 'sent', telegramMessageId: messageId, sentAt: at, lastError: null }).where(eq(alertOutbox.id, id));
    },

    /** A failed attempt: retried at `retryAt`, or given up ('dead') when Telegram will never take it. */
    async markFailed(id: number, error: string, retryAt: Date | null, countsAsAttempt: boolean, attempts: number): Promise<void> {
      await db
        .update(alertOutbox)
        .set({
          lastError: error.slice(0, 500),
          attempts: countsAsAttempt ? attempts + 1 : attempts,
          ...(retryAt ? { nextAttemptAt: retryAt } : { status: 'dead' }),
        })
        .where(eq(alertOutbox.id, id));
    },

    /** last send per chat since `since`: a restarted worker keeps each chat's pace */
    async lastSentPerChat(since: Date): Promise<Array<{ chatId: number; at: Date }>> {
      const rows = await db
        .select({ chatId: alertOutbox.chatId, at: max(alertOutbox.sentAt) })
        .from(alertOutbox)
        .where(and(eq(alertOutbox.status, 'sent'), gt(alertOutbox.sentAt, since)))
        .groupBy(alertOutbox.chatId);
      return rows.flatMap((r) => (r.at ? [{ chatId: r.chatId, at: r.at }] : []));
    },

    /** forgets delivered alerts sent before `before`; returns how many */
    async pruneSent(before: Date): Promise<number> {
      const rows = await db
        .delete(alertOutbox)
        .where(and(eq(alertOutbox.status, 'sent'), lt(alertOutbox.sentAt, before)))
        .returning({ id: alertOutbox.id });
      return rows.length;
    },

    async depth(): Promise<number> {
      const [row] = await db.select({ n: count() }).from(alertOutbox).where(eq(alertOutbox.status, 'pending'));
      return row?.n ?? 0;
    },

    async all(): Promise<OutboxRow[]> {
      const rows = await db.select().from(alertOutbox).orderBy(asc(alertOutbox.id));
      return rows.map(toRow);
    },
  };
}

export type OutboxRepo = ReturnType<typeof createOutboxRepo>;
