/** What the built-in council (SPEC §9) reads from and writes to trading_signals. */
import { and, desc, eq, gt, gte } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { tradingSignals } from '../schema.ts';

/** "BTC/USDT", "BTCUSDT", "btc/usdt:usdt" → "BTCUSDT" (how producers may write one market) */
export function symbolKey(symbol: string): string {
  return (symbol.split(':')[0] ?? symbol).replace(/[^A-Za-z0-9]/g, '').toUpperCase();
}

export function createCouncilSignalsRepo(db: Db) {
  return {
    /** symbols (as symbolKey) with a signal of `source` created at or after `since` (ms) */
    async symbolsWithSignalSince(source: string, since: number): Promise<Set<string>> {
      const rows = await db
        .select({ symbol: tradingSignals.symbol })
        .from(tradingSignals)
        .where(and(eq(tradingSignals.source, source), gte(tradingSignals.createdAt, new Date(since))));
      return new Set(rows.map((r) => symbolKey(r.symbol)));
    },

    /** the action of the latest row `source` wrote for `symbol` (exactly as written), or null */
    async lastAction(source: string, symbol: string): Promise<string | null> {
      const [row] = await db
        .select({ action: tradingSignals.action })
        .from(tradingSignals)
        .where(and(eq(tradingSignals.source, source), eq(tradingSignals.symbol, symbol)))
        .orderBy(desc(tradingSignals.createdAt))
        .limit(1);
      return row?.action ?? null;
    },

    /**
     * Writes the council's row and expires its earlier rows of the symbol that still stand: the
     * latest run speaks for the symbol, and an earlier row never supports (consensus) or trades after it.
     */
    async insert(row: { symbol: string; action: string; confidence: number; source: string; reasoning: string; createdAt: number; expiresAt: number }): Promise<string> {
      await db
        .update(tradingSignals)
        .set({ expiresAt: new Date(row.createdAt) })
        .where(and(eq(tradingSignals.source, row.source), eq(tradingSignals.symbol, row.symbol), gt(tradingSignals.expiresAt, new Date(row.createdAt))));
      const [out] = await db
        .insert(tradingSignals)
        .values({
          symbol: row.symbol,
          action: row.action,
          confidence: row.confidence,
          source: row.source,
          reasoning: row.reasoning,
          userId: null,
          createdAt: new Date(row.createdAt),
          expiresAt: new Date(row.expiresAt),
        })
        .returning({ id: tradingSignals.id });
      return out!.id;
    },
  };
}

export type CouncilSignalsRepo = ReturnType<typeof createCouncilSignalsRepo>;
