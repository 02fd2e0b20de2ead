/**
 * positions rows ↔ the engine's in-memory position (the monitor's PositionState plus ids,
 * settings snapshot and money). Dirty positions are flushed in one statement (jsonb recordset).
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { positions } from '../schema.ts';
import { cloneState } from '../../domain/monitor/state.ts';
import type { MonitorAction, MonitorSettings, PositionState } from '../../domain/types.ts';
import type { NewOrder, OrderPurpose } from './orders.ts';
import type { TradeSource } from './trades.ts';
import { dec, decOrNull, num, numOrNull } from './numbers.ts';
import { fenceRow, FencedError, heldNoMore, rowsOf, type Fence } from './shard-leases.ts';

/** pending: entry order not yet resolved; open; closing: a closing order is unresolved; closed */
export type PositionStatus = 'pending' | 'open' | 'closing' | 'closed';

/**
 * An order this position is waiting on, written with the order row BEFORE the order is sent
 * (write-ahead intent): after a crash, recovery looks the order up and completes `action`.
 */
export interface PendingAction {
  orderId: string;
  clientOrderId: string;
  purpose: OrderPurpose;
  source: TradeSource;
  /** null for the entry order */
  action: MonitorAction | null;
}

/**
 * The position's protective stop on the exchange (SPEC §10), as stored in positions.backstop.
 * live: resting on the exchange; missing: refused or not offered (why in `problem`), retried;
 * cancelled: taken off after the close; fired: the exchange closed (part of) the position.
 */
export interface StoredBackstop {
  status: 'live' | 'missing' | 'cancelled' | 'fired';
  /** bumped per placement; the client id is derived from the position id and it */
  seq: number;
  clientOrderId: string | null;
  orderId: string | null;
  /** quote per base, as placed (after rounding) */
  stopPrice: number | null;
  /** base units, as placed */
  qty: number;
  /** the bot's stop loss when it was placed (a change of it moves the backstop) */
  basisStopLoss?: number | null;
  /** ms since epoch of the last placement, move or attempt */
  movedAt: number;
  /** trader-facing reason it is missing */
  problem: string | null;
  /** the trader was told about `problem` */
  told: boolean;
  /**
   * the client id of a stop being placed, written before the request goes out (`seq` is already
   * its number): a kill or a lost answer before the outcome is stored leaves it here, and it is
   * looked up (adopted, recorded as fired, or forgotten as absent) before anything else is placed
   */
  placing?: string | null;
}

export interface PositionRecord {
  id: string;
  userId: string;
  accountId: string;
  signalId: string | null;
  /** the trader's own trade number (1, 2, 3 …), given at insert; null on rows loaded in bulk */
  number?: number | null;
  exchange: string;
  isPaper: boolean;
  symbol: string;
  state: PositionState;
  settings: MonitorSettings;
  status: PositionStatus;
  closeReason: string | null;
  /** quote units, net of fees, of exits so far */
  realizedPnl: number;
  /** quote units, entry fee plus exit fees so far */
  feesPaid: number;
  /** quote units, fee paid on the entry order (shared pro rata over the exits) */
  entryFee: number;
  /** ms since epoch */
  closedAt: number | null;
  pendingAction: PendingAction | null;
  /**
   * Revision, bumped by every change (markDirty) and every full save. The batched flush writes a
   * snapshot only over an older revision, so a slow flush never overwrites a newer exit.
   */
  rev: number;
  /** the protective stop on the exchange; written only by the backstop (saveBackstop) */
  backstop?: StoredBackstop | null;
}

type Row = typeof positions.$inferSelect;

interface StoredMonitorState {
  lastPrice?: number | null;
  liquidationWarned?: boolean;
  slBreachSince?: number | null;
  tpTrailPeak?: number | null;
  entryFee?: number;
  isPaper?: boolean;
  pendingAction?: PendingAction | null;
  rev?: number;
}

function monitorStateOf(p: PositionRecord): StoredMonitorState {
  return {
    lastPrice: p.state.lastPrice,
    liquidationWarned: p.state.liquidationWarned,
    slBreachSince: p.state.slBreachSince,
    tpTrailPeak: p.state.tpTrailPeak,
    entryFee: p.entryFee,
    isPaper: p.isPaper,
    pendingAction: p.pendingAction,
    rev: p.rev,
  };
}

export function toPositionRecord(row: Row): PositionRecord {
  const m = row.monitorState as StoredMonitorState;
  const status = row.status as PositionStatus;
  return {
    id: row.id,
    userId: row.userId,
    accountId: row.accountId,
    signalId: row.signalId,
    number: row.number,
    exchange: row.exchange,
    isPaper: m.isPaper ?? false,
    symbol: row.symbol,
    status,
    closeReason: row.closeReason,
    realizedPnl: num(row.realizedPnl),
    feesPaid: num(row.feesPaid),
    entryFee: m.entryFee ?? 0,
    closedAt: row.closedAt ? row.closedAt.getTime() : null,
    pendingAction: m.pendingAction ?? null,
    rev: m.rev ?? 0,
    backstop: (row.backstop as StoredBackstop | null) ?? null,
    settings: row.settings as unknown as MonitorSettings,
    state: cloneState({
      closed: status === 'closed',
      side: row.side as 'long' | 'short',
      mode: row.mode as PositionState['mode'],
      trailingActive: row.trailingActive,
      slBreachSince: m.slBreachSince ?? null,
      liquidationWarned: m.liquidationWarned ?? false,
      tpTrailPeak: m.tpTrailPeak ?? null,
      stopLoss: numOrNull(row.stopLoss),
      takeProfit: numOrNull(row.takeProfit),
      entry: num(row.entryPrice),
      openedAt: row.openedAt.getTime(),
      peak: numOrNull(row.peak),
      trailingStop: numOrNull(row.trailingStop),
      partialTaken: row.partialTaken,
      liquidationPrice: numOrNull(row.liquidationPrice),
      leverage: num(row.leverage),
      qty: num(row.qty),
      qtyInitial: num(row.qtyInitial),
      lastPrice: m.lastPrice ?? null,
    }),
  };
}

/** The insert row of a position (bulk loads in benches and imports). */
export function toPositionRow(p: PositionRecord) {
  const s = p.state;
  return {
    id: p.id,
    userId: p.userId,
    accountId: p.accountId,
    signalId: p.signalId,
    exchange: p.exchange,
    symbol: p.symbol,
    side: s.side,
    mode: s.mode,
    leverage: dec(s.leverage),
    entryPrice: dec(s.entry),
    qtyInitial: dec(s.qtyInitial),
    qty: dec(s.qty),
    stopLoss: decOrNull(s.stopLoss),
    takeProfit: decOrNull(s.takeProfit),
    trailingActive: s.trailingActive,
    peak: decOrNull(s.peak),
    trailingStop: decOrNull(s.trailingStop),
    partialTaken: s.partialTaken,
    liquidationPrice: decOrNull(s.liquidationPrice ?? null),
    monitorState: monitorStateOf(p) as Record<string, unknown>,
    settings: p.settings as unknown as Record<string, unknown>,
    status: p.status,
    closeReason: p.closeReason,
    realizedPnl: dec(p.realizedPnl),
    feesPaid: dec(p.feesPaid),
    openedAt: new Date(s.openedAt),
    closedAt: p.closedAt === null ? null : new Date(p.closedAt),
  };
}

export function createPositionsRepo(db: Db) {
  return {
    /** numbers the position as the trader's next trade (entries of one trader run one at a time) */
    async insert(p: PositionRecord, tx: Db = db): Promise<void> {
      const next = sql<number>`(select coalesce(max(${positions.number}), 0) + 1 from ${positions} where ${positions.userId} = ${p.userId})`;
      const [row] = await tx
        .insert(positions)
        .values({ ...toPositionRow(p), number: next })
        .returning({ number: positions.number });
      p.number = row?.number ?? null;
    },

    /** Full write of one position (exits, opens, manual changes: never deferred). */
    async save(p: PositionRecord, now: number, tx: Db = db): Promise<void> {
      p.rev += 1;
      const { id: _id, userId: _u, accountId: _a, ...rest } = toPositionRow(p);
      await tx
        .update(positions)
        .set({ ...rest, updatedAt: new Date(now) })
        .where(eq(positions.id, p.id));
    },

    /**
     * The write-ahead record of an exit, in ONE statement: the order row (pending, our
     * clientOrderId) and the position's pending intent (monitor_state, revision bumped).
     * Committed durably (no asynchronous commit): this row is what stops a restart from sending
     * the same exit twice, so it must survive even a crash of the database server.
     */
    async writeExitIntent(p: PositionRecord, order: NewOrder, now: number, fence?: Fence): Promise<void> {
      p.rev += 1;
      const at = new Date(now).toISOString();
      const values = sql`${order.id}::uuid, ${order.userId}::uuid, ${order.accountId}::uuid, ${order.positionId}::uuid, ${order.signalId}::uuid,
                  ${order.clientOrderId}, ${order.symbol}, ${order.side}, ${order.type}, ${order.purpose},
                  ${dec(order.qty)}::numeric, ${decOrNull(order.price)}::numeric, ${order.reduceOnly}, 'pending', ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz`;
      const columns = sql`id, user_id, account_id, position_id, signal_id, client_order_id, symbol, side, type, purpose,
                              qty, price, reduce_only, status, sent_at, created_at, updated_at`;
      const state = () => sql`${JSON.stringify(monitorStateOf(p))}::jsonb`;
      if (!fence) {
        await db.execute(sql`
          with o as (insert into orders (${columns}) values (${values}))
          update positions set monitor_state = ${state()}, updated_at = ${at}::timestamptz
          where id = ${p.id}::uuid`);
      } else {
        // SPEC §12: written only while this process holds the trader's shard at its epoch (the lease
        // row held FOR SHARE until the commit, so a takeover waits for this write and then sees it)
        const written = rowsOf(
          await db.execute(sql`
            with f as (${fenceRow(fence)}),
            o as (insert into orders (${columns}) select ${values} from f)
            update positions set monitor_state = ${state()}, updated_at = ${at}::timestamptz
            where id = ${p.id}::uuid and exists (select 1 from f)
            returning id`),
        );
        if (written.length === 0) throw new FencedError(fence.shard, heldNoMore(fence));
      }
    },

    async delete(id: string, tx: Db = db): Promise<void> {
      await tx.delete(positions).where(eq(positions.id, id));
    },

    /**
     * The monitor's periodic flush: every changed field of many positions in ONE statement
     * (a single jsonb parameter, so 10 000 rows stay under the bind-parameter limit).
     */
    async flushMany(list: readonly PositionRecord[], now: number): Promise<void> {
      if (list.length === 0) return;
      const rows = list.map((p) => {
        const r = toPositionRow(p);
        return {
          id: r.id,
          qty: r.qty,
          stop_loss: r.stopLoss,
          take_profit: r.takeProfit,
          trailing_active: r.trailingActive,
          peak: r.peak,
          trailing_stop: r.trailingStop,
          partial_taken: r.partialTaken,
          liquidation_price: r.liquidationPrice,
          monitor_state: r.monitorState,
        };
      });
      await db.execute(sql`
        update positions as p set
          qty = v.qty, stop_loss = v.stop_loss, take_profit = v.take_profit,
          trailing_active = v.trailing_active, peak = v.peak, trailing_stop = v.trailing_stop,
          partial_taken = v.partial_taken, liquidation_price = v.liquidation_price,
          monitor_state = v.monitor_state, updated_at = ${new Date(now).toISOString()}::timestamptz
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(
          id uuid, qty numeric, stop_loss numeric, take_profit numeric, trailing_active boolean,
          peak numeric, trailing_stop numeric, partial_taken jsonb, liquidation_price numeric, monitor_state jsonb)
        where p.id = v.id and p.status <> 'closed'
          and coalesce((p.monitor_state->>'rev')::bigint, 0) < (v.monitor_state->>'rev')::bigint`);
    },

    /** The backstop's own column, written apart from the monitor's flushes. */
    async saveBackstop(id: string, backstop: StoredBackstop, tx: Db = db): Promise<void> {
      await tx.update(positions).set({ backstop: backstop as unknown as Record<string, unknown> }).where(eq(positions.id, id));
    },

    /** Closed positions whose backstop may still rest on the exchange (a crash came between close and cancel, or during a placement). */
    async listClosedWithLiveBackstop(): Promise<PositionRecord[]> {
      const rows = await db.select().from(positions).where(and(eq(positions.status, 'closed'), sql`(${positions.backstop}->>'status' = 'live' or ${positions.backstop}->>'placing' is not null)`));
      return rows.map(toPositionRecord);
    },

    /** What the monitor restores at start: everything not closed. */
    async loadActive(): Promise<PositionRecord[]> {
      const rows = await db.select().from(positions).where(inArray(positions.status, ['pending', 'open', 'closing']));
      return rows.map(toPositionRecord);
    },

    async get(id: string): Promise<PositionRecord | undefined> {
      const [row] = await db.select().from(positions).where(eq(positions.id, id));
      return row ? toPositionRecord(row) : undefined;
    },

    async listForUser(userId: string, statuses: PositionStatus[] = ['open', 'closing']): Promise<PositionRecord[]> {
      const rows = await db
        .select()
        .from(positions)
        .where(and(eq(positions.userId, userId), inArray(positions.status, statuses)))
        .orderBy(desc(positions.openedAt));
      return rows.map(toPositionRecord);
    },
  };
}

export type PositionsRepo = ReturnType<typeof createPositionsRepo>;
