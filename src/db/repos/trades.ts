/** One row per exit (partial or full): quantity, prices, net P&L and fees in quote units. */
import { SOURCE_ACCURACY_WINDOW, sourceAccuracy } from '../../domain/entry-decision.ts';
import { and, desc, eq, gte, isNotNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { apiKeys, trades } from '../schema.ts';
import { dec, decOrNull, num, numOrNull } from './numbers.ts';

/** who closed: the monitor's rules, the trader, an opposite signal (spot SELL), or reconciliation at start */
export type TradeSource = 'position_monitor' | 'manual' | 'signal' | 'reconcile';

export interface TradeRecord {
  id: string;
  userId: string;
  accountId: string | null;
  positionId: string | null;
  symbol: string;
  side: 'long' | 'short';
  quantity: number;
  entryPrice: number;
  exitPrice: number | null;
  stopLoss: number | null;
  takeProfit: number | null;
  /** quote units, net of fees */
  pnl: number | null;
  /** quote units */
  fee: number;
  /** base units left in the wallet below the market's minimum when this exit closed the position */
  dust: number;
  closeReason: string | null;
  source: TradeSource | null;
  /** ms since epoch */
  closedAt: number | null;
}

export type NewTrade = Omit<TradeRecord, 'id' | 'dust'> & { dust?: number };

type Row = typeof trades.$inferSelect;

function toRecord(row: Row): TradeRecord {
  return {
    id: row.id,
    userId: row.userId,
    accountId: row.accountId,
    positionId: row.positionId,
    symbol: row.symbol,
    side: row.side as 'long' | 'short',
    quantity: num(row.quantity),
    entryPrice: num(row.entryPrice),
    exitPrice: numOrNull(row.exitPrice),
    stopLoss: numOrNull(row.stopLoss),
    takeProfit: numOrNull(row.takeProfit),
    pnl: numOrNull(row.pnl),
    fee: num(row.fee),
    dust: num(row.dust),
    closeReason: row.closeReason,
    source: row.source as TradeSource | null,
    closedAt: row.closedAt ? row.closedAt.getTime() : null,
  };
}

/** Closed-trade statistics for the half-Kelly cap (SPEC §4): win rate p, average win W, average loss L. */
export interface TradeStats {
  count: number;
  wins: number;
  /** quote units, mean of positive P&L (0 when none) */
  avgWin: number;
  /** quote units, mean of |negative P&L| (0 when none) */
  avgLoss: number;
}

export function createTradesRepo(db: Db) {
  return {
    async insert(t: NewTrade, tx: Db = db): Promise<string> {
      const [row] = await tx
        .insert(trades)
        .values({
          userId: t.userId,
          accountId: t.accountId,
          positionId: t.positionId,
          symbol: t.symbol,
          side: t.side,
          quantity: dec(t.quantity),
          entryPrice: dec(t.entryPrice),
          exitPrice: decOrNull(t.exitPrice),
          stopLoss: decOrNull(t.stopLoss),
          takeProfit: decOrNull(t.takeProfit),
          pnl: decOrNull(t.pnl),
          fee: dec(t.fee),
          dust: dec(t.dust ?? 0),
          closeReason: t.closeReason,
          source: t.source,
          closedAt: t.closedAt === null ? null : new Date(t.closedAt),
          createdAt: t.closedAt === null ? new Date() : new Date(t.closedAt),
        })
        .returning({ id: trades.id });
      return row!.id;
    },

    async recent(userId: string, limit: number): Promise<TradeRecord[]> {
      const rows = await db.select().from(trades).where(eq(trades.userId, userId)).orderBy(desc(trades.closedAt)).limit(limit);
      return rows.map(toRecord);
    },

    /** Exits closed in [from, to), oldest first. */
    async between(userId: string, from: number, to: number): Promise<TradeRecord[]> {
      const rows = await db
        .select()
        .from(trades)
        .where(and(eq(trades.userId, userId), gte(trades.closedAt, new Date(from)), lt(trades.closedAt, new Date(to))))
        .orderBy(trades.closedAt);
      return rows.map(toRecord);
    },

    /** An account's exits closed at or after `since` (ms), oldest first: what the protections read. */
    async accountExitsSince(userId: string, accountId: string, since: number): Promise<TradeRecord[]> {
      const rows = await db
        .select()
        .from(trades)
        .where(and(eq(trades.userId, userId), eq(trades.accountId, accountId), gte(trades.closedAt, new Date(since))))
        .orderBy(trades.closedAt);
      return rows.map(toRecord);
    },

    /** Active accounts with an exit closed at or after `since` (ms): whose protections can hold entries. */
    async accountsWithExitsSince(since: number): Promise<Array<{ userId: string; accountId: string }>> {
      const rows = await db
        .selectDistinct({ userId: trades.userId, accountId: apiKeys.id })
        .from(trades)
        .innerJoin(apiKeys, and(eq(apiKeys.id, trades.accountId), eq(apiKeys.active, true)))
        .where(gte(trades.closedAt, new Date(since)));
      return rows;
    },

    /**
     * Closed trades per UTC day from `from` (ms): count, net P&L and fees (exits that sold
     * nothing, a dust close, are not trades here).
     */
    async dailyTotals(userId: string, from: number): Promise<Array<{ day: string; trades: number; pnl: number; fees: number }>> {
      const day = sql<string>`to_char(${trades.closedAt} at time zone 'UTC', 'YYYY-MM-DD')`;
      const rows = await db
        .select({ day, trades: sql<number>`count(*)::int`, pnl: sql<string>`coalesce(sum(${trades.pnl}), 0)`, fees: sql<string>`coalesce(sum(${trades.fee}), 0)` })
        .from(trades)
        .where(and(eq(trades.userId, userId), gte(trades.closedAt, new Date(from)), sql`${trades.quantity} > 0`))
        .groupBy(day);
      return rows.map((r) => ({ day: r.day, trades: Number(r.trades), pnl: num(r.pnl), fees: num(r.fees) }));
    },

    /** Every closed trade per market: count, wins, net P&L, and what was traded (Σ quantity × entry), best first. */
    async perSymbol(userId: string): Promise<Array<{ symbol: string; trades: number; wins: number; pnl: number; basis: number }>> {
      const pnl = sql<string>`coalesce(sum(${trades.pnl}), 0)`;
      const rows = await db
        .select({
          symbol: trades.symbol,
          trades: sql<number>`count(*)::int`,
          wins: sql<number>`(count(*) filter (where ${trades.pnl} > 0))::int`,
          pnl,
          basis: sql<string>`coalesce(sum(${trades.quantity} * ${trades.entryPrice}), 0)`,
        })
        .from(trades)
        .where(and(eq(trades.userId, userId), isNotNull(trades.closedAt), sql`${trades.quantity} > 0`))
        .groupBy(trades.symbol)
        .orderBy(desc(pnl));
      return rows.map((r) => ({ symbol: r.symbol, trades: Number(r.trades), wins: Number(r.wins), pnl: num(r.pnl), basis: num(r.basis) }));
    },

    async forPosition(positionId: string): Promise<TradeRecord[]> {
      const rows = await db.select().from(trades).where(eq(trades.positionId, positionId)).orderBy(trades.closedAt);
      return rows.map(toRecord);
    },

    /**
     * Share of a source's recent closed positions (opened from its signals) that made money:
     * the adaptive threshold's accuracy input. null with fewer than `minimum` positions.
     */
    /** the source's accuracy over its latest closed positions (net P&L per position), as the domain judges it */
    async sourceAccuracy(source: string): Promise<number | null> {
      const rows = (await db.execute(sql`
        select sum(t.pnl) as pnl
        from trades t
        join positions p on p.id = t.position_id
        join trading_signals s on s.id = p.signal_id
        where s.source = ${source} and p.status = 'closed'
        group by p.id
        order by max(t.closed_at) desc
        limit ${SOURCE_ACCURACY_WINDOW}`)) as unknown as { rows?: Array<{ pnl: string }> } | Array<{ pnl: string }>;
      const list = Array.isArray(rows) ? rows : (rows.rows ?? []);
      return sourceAccuracy(list.map((r) => Number(r.pnl)));
    },

    /** Per closed position (exits summed), so a trade with three partial exits counts once. */
    async stats(userId: string): Promise<TradeStats> {
      const rows = await db
        .select({ pnl: sql<string>`sum(${trades.pnl})` })
        .from(trades)
        .where(and(eq(trades.userId, userId), isNotNull(trades.pnl)))
        .groupBy(sql`coalesce(${trades.positionId}::text, ${trades.id}::text)`);
      const pnls = rows.map((r) => num(r.pnl));
      const wins = pnls.filter((p) => p > 0);
      const losses = pnls.filter((p) => p < 0);
      const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
      return { count: pnls.length, wins: wins.length, avgWin: mean(wins), avgLoss: Math.abs(mean(losses)) };
    },
  };
}

export type TradesRepo = ReturnType<typeof createTradesRepo>;
