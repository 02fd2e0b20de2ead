/**
 * A position's back-off after refused exit orders (exit_backoffs). Kept in the database so a
 * restart neither hammers a refusing exchange at once nor repeats the "order failed" alert.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { exitBackoffs } from '../schema.ts';

export interface ExitBackoff {
  /** ms: no new exit order before this */
  until: number;
  /** ms: the current wait, doubling per refusal */
  delay: number;
  lastError: string | null;
}

export function createExitBackoffsRepo(db: Db) {
  return {
    async loadAll(): Promise<Map<string, ExitBackoff>> {
      const rows = await db.select().from(exitBackoffs);
      return new Map(rows.map((r) => [r.positionId, { until: r.until.getTime(), delay: r.delayMs, lastError: r.lastError }]));
    },

    async set(positionId: string, b: ExitBackoff): Promise<void> {
      const values = { until: new Date(b.until), delayMs: Math.round(b.delay), lastError: b.lastError };
      await db
        .insert(exitBackoffs)
        .values({ positionId, ...values })
        .onConflictDoUpdate({ target: exitBackoffs.positionId, set: values });
    },

    async clear(positionId: string): Promise<void> {
      await db.delete(exitBackoffs).where(eq(exitBackoffs.positionId, positionId));
    },
  };
}

export type ExitBackoffsRepo = ReturnType<typeof createExitBackoffsRepo>;
