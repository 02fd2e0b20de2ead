/**
 * Persistence of paper wallets (tables paper_balances, paper_positions, paper_orders), so a
 * restart keeps every paper account's money, positions and orders: the database side of the paper
 * exchange's PaperStore (src/exchange/paper-store.ts, matched by shape). Numbers are JS numbers
 * here and `numeric` in Postgres. A fill is saved in one transaction: balances, the position and
 * the order change together or not at all.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { paperBalances, paperOrders, paperPositions } from '../schema.ts';
import type { OrderResult, OrderStatus } from '../../domain/orders.ts';
import type { PaperChange, PaperPosition, PaperState, PaperStop } from '../../domain/paper-account.ts';

export function createDrizzlePaperStore(db: Db) {
  return {
    async loadStops(accountId: string): Promise<PaperStop[]> {
      const rows = await db.select().from(paperOrders).where(and(eq(paperOrders.accountId, accountId), eq(paperOrders.type, 'stop')));
      return rows.map((row) => ({
        symbol: row.symbol,
        side: row.side === 'sell' ? 'long' : 'short',
        base: row.symbol.split('/')[0]!,
        state: { id: row.orderId, clientOrderId: row.clientOrderId, status: row.status as OrderStatus, stopPrice: Number(row.price), qty: Number(row.qty) },
      }));
    },
    async saveStop(accountId: string, stop: PaperStop): Promise<void> {
      const s = stop.state;
      const values = {
        orderId: s.id,
        symbol: stop.symbol,
        side: stop.side === 'long' ? 'sell' : 'buy',
        type: 'stop',
        qty: num(s.qty),
        price: num(s.stopPrice),
        avgPrice: s.fill ? num(s.fill.avgPrice) : null,
        filledQty: num(s.fill?.filledQty ?? 0),
        fee: num(s.fill?.fee ?? 0),
        status: s.status,
      };
      await db
        .insert(paperOrders)
        .values({ accountId, clientOrderId: s.clientOrderId, ...values })
        .onConflictDoUpdate({ target: [paperOrders.accountId, paperOrders.clientOrderId], set: values });
    },
    async load(accountId: string): Promise<PaperState | undefined> {
      const balanceRows = await db.select().from(paperBalances).where(eq(paperBalances.accountId, accountId));
      if (balanceRows.length === 0) return undefined;
      const positionRows = await db.select().from(paperPositions).where(eq(paperPositions.accountId, accountId));
      return {
        balances: new Map(balanceRows.map((row) => [row.currency, Number(row.total)])),
        positions: new Map(
          positionRows.map((row) => {
            const position: PaperPosition = {
              symbol: row.symbol,
              side: row.side === 'short' ? 'short' : 'long',
              qty: Number(row.qty),
              entryPrice: Number(row.entryPrice),
              leverage: Number(row.leverage),
              margin: Number(row.margin),
            };
            if (row.liquidationPrice !== null) position.liquidationPrice = Number(row.liquidationPrice);
            return [row.symbol, position];
          }),
        ),
      };
    },
    async save(accountId: string, change: PaperChange): Promise<void> {
      await db.transaction(async (tx) => {
        for (const [currency, total] of change.balances) {
          await tx
            .insert(paperBalances)
            .values({ accountId, currency, total: num(total) })
            .onConflictDoUpdate({ target: [paperBalances.accountId, paperBalances.currency], set: { total: num(total), updatedAt: new Date() } });
        }
        for (const p of change.positions) {
          const where = and(eq(paperPositions.accountId, accountId), eq(paperPositions.symbol, p.symbol));
          if (!(p.qty > 0)) {
            await tx.delete(paperPositions).where(where);
            continue;
          }
          const values = {
            side: p.side,
            qty: num(p.qty),
            entryPrice: num(p.entryPrice),
            leverage: String(p.leverage),
            margin: num(p.margin),
            liquidationPrice: p.liquidationPrice === undefined ? null : num(p.liquidationPrice),
            updatedAt: new Date(),
          };
          await tx
            .insert(paperPositions)
            .values({ accountId, symbol: p.symbol, ...values })
            .onConflictDoUpdate({ target: [paperPositions.accountId, paperPositions.symbol], set: values });
        }
        const o = change.order;
        if (o) {
          const values = {
            orderId: o.id,
            symbol: o.symbol,
            side: o.side,
            type: o.type,
            qty: num(o.qty),
            avgPrice: num(o.avgPrice),
            filledQty: num(o.filledQty),
            fee: num(o.fee),
            reduceOnly: o.reduceOnly === true,
            status: o.status,
          };
          await tx
            .insert(paperOrders)
            .values({ accountId, clientOrderId: o.clientOrderId, ...values, createdAt: new Date(o.timestamp) })
            .onConflictDoUpdate({ target: [paperOrders.accountId, paperOrders.clientOrderId], set: values });
        }
      });
    },
    async findOrder(accountId: string, ref: { id?: string | undefined; clientOrderId?: string | undefined }): Promise<OrderResult | undefined> {
      const where =
        ref.id !== undefined
          ? and(eq(paperOrders.accountId, accountId), eq(paperOrders.orderId, ref.id))
          : and(eq(paperOrders.accountId, accountId), eq(paperOrders.clientOrderId, ref.clientOrderId ?? ''));
      const [row] = await db.select().from(paperOrders).where(where).limit(1);
      if (!row) return undefined;
      const quote = row.symbol.split('/')[1]?.split(':')[0] ?? 'USDT';
      const result: OrderResult = {
        id: row.orderId,
        clientOrderId: row.clientOrderId,
        symbol: row.symbol,
        side: row.side === 'sell' ? 'sell' : 'buy',
        type: row.type === 'limit' ? 'limit' : 'market',
        status: row.status as OrderResult['status'],
        qty: Number(row.qty),
        filledQty: Number(row.filledQty),
        avgPrice: Number(row.avgPrice ?? 0),
        fee: Number(row.fee),
        feeCurrency: quote,
        timestamp: row.createdAt.getTime(),
      };
      if (row.reduceOnly) result.reduceOnly = true;
      return result;
    },
  };
}

/** numeric text without exponent notation (Postgres numeric rejects "1e-7") */
function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`paper store: ${value} is not a finite number`);
  return Math.abs(value) < 1e-6 && value !== 0 ? value.toFixed(18) : String(value);
}
