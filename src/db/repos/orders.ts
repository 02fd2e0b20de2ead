/**
 * Our record of every order, written BEFORE the order is sent (status pending, our
 * clientOrderId) so that after a crash or an ambiguous error the order is looked up on the
 * exchange by that id instead of being sent again.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { orders } from '../schema.ts';
import type { OrderResult } from '../../domain/orders.ts';
import { dec, decOrNull, num, numOrNull } from './numbers.ts';

export type OrderPurpose = 'entry' | 'partial_tp' | 'close' | 'reduce';
/** pending: written, not yet answered; unknown: the answer was lost (must be looked up) */
export type OrderRowStatus = 'pending' | 'open' | 'filled' | 'canceled' | 'rejected' | 'unknown';

export interface OrderRecord {
  id: string;
  userId: string;
  accountId: string;
  positionId: string | null;
  signalId: string | null;
  clientOrderId: string;
  exchangeOrderId: string | null;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  purpose: OrderPurpose;
  qty: number;
  price: number | null;
  filledQty: number;
  avgPrice: number | null;
  fee: number;
  feeCurrency: string | null;
  reduceOnly: boolean;
  status: OrderRowStatus;
  error: string | null;
  /** ms; see orders.sent_at */
  sentAt: number;
  createdAt: number;
}

export type NewOrder = Omit<OrderRecord, 'exchangeOrderId' | 'filledQty' | 'avgPrice' | 'fee' | 'feeCurrency' | 'status' | 'error' | 'createdAt' | 'sentAt'>;

type Row = typeof orders.$inferSelect;

function toRecord(row: Row): OrderRecord {
  return {
    id: row.id,
    userId: row.userId,
    accountId: row.accountId,
    positionId: row.positionId,
    signalId: row.signalId,
    clientOrderId: row.clientOrderId,
    exchangeOrderId: row.exchangeOrderId,
    symbol: row.symbol,
    side: row.side as 'buy' | 'sell',
    type: row.type as 'market' | 'limit',
    purpose: row.purpose as OrderPurpose,
    qty: num(row.qty),
    price: numOrNull(row.price),
    filledQty: num(row.filledQty),
    avgPrice: numOrNull(row.avgPrice),
    fee: num(row.fee),
    feeCurrency: row.feeCurrency,
    reduceOnly: row.reduceOnly,
    status: row.status as OrderRowStatus,
    error: row.error,
    sentAt: (row.sentAt ?? row.createdAt).getTime(),
    createdAt: row.createdAt.getTime(),
  };
}

/** The exchange's order status in our words. */
export function rowStatusOf(result: OrderResult): OrderRowStatus {
  switch (result.status) {
    case 'closed':
      return 'filled';
    case 'open':
      return 'open';
    case 'canceled':
    case 'expired':
      return result.filledQty > 0 ? 'filled' : 'canceled';
    case 'rejected':
      return 'rejected';
  }
}

export function createOrdersRepo(db: Db) {
  return {
    async insertPending(order: NewOrder, now: number, tx: Db = db): Promise<void> {
      await tx.insert(orders).values({
        id: order.id,
        userId: order.userId,
        accountId: order.accountId,
        positionId: order.positionId,
        signalId: order.signalId,
        clientOrderId: order.clientOrderId,
        symbol: order.symbol,
        side: order.side,
        type: order.type,
        purpose: order.purpose,
        qty: dec(order.qty),
        price: decOrNull(order.price),
        reduceOnly: order.reduceOnly,
        status: 'pending',
        sentAt: new Date(now),
        createdAt: new Date(now),
        updatedAt: new Date(now),
      });
    },

    async recordResult(id: string, result: OrderResult, now: number, tx: Db = db): Promise<void> {
      await tx
        .update(orders)
        .set({
          exchangeOrderId: result.id,
          filledQty: dec(result.filledQty),
          avgPrice: result.avgPrice > 0 ? dec(result.avgPrice) : null,
          fee: dec(result.fee),
          feeCurrency: result.feeCurrency || null,
          status: rowStatusOf(result),
          error: null,
          updatedAt: new Date(now),
        })
        .where(eq(orders.id, id));
    },

    async markStatus(id: string, status: OrderRowStatus, error: string | null, now: number, tx: Db = db): Promise<void> {
      await tx.update(orders).set({ status, error, updatedAt: new Date(now) }).where(eq(orders.id, id));
    },

    /** The answer was lost at `now`: the order is unknown, and the horizon runs from now. */
    async markLost(id: string, error: string, now: number, tx: Db = db): Promise<void> {
      await tx.update(orders).set({ status: 'unknown', error, sentAt: new Date(now), updatedAt: new Date(now) }).where(eq(orders.id, id));
    },

    async byId(id: string): Promise<OrderRecord | undefined> {
      const [row] = await db.select().from(orders).where(eq(orders.id, id));
      return row ? toRecord(row) : undefined;
    },

    /** Orders whose outcome we do not know yet: looked up on the exchange at start and by the sweep. */
    async listUnresolved(): Promise<OrderRecord[]> {
      const rows = await db.select().from(orders).where(inArray(orders.status, ['pending', 'unknown', 'open']));
      return rows.map(toRecord);
    },

    async forPosition(positionId: string): Promise<OrderRecord[]> {
      const rows = await db.select().from(orders).where(eq(orders.positionId, positionId)).orderBy(orders.createdAt);
      return rows.map(toRecord);
    },

    async byClientOrderId(accountId: string, clientOrderId: string): Promise<OrderRecord | undefined> {
      const [row] = await db
        .select()
        .from(orders)
        .where(and(eq(orders.accountId, accountId), eq(orders.clientOrderId, clientOrderId)));
      return row ? toRecord(row) : undefined;
    },
  };
}

export type OrdersRepo = ReturnType<typeof createOrdersRepo>;
