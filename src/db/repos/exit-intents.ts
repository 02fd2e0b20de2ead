/**
 * Exit intents that were journaled locally while the database was down (engine/exit-journal.ts),
 * written to the database afterwards. Idempotent: the order row is inserted once (by its id and
 * client order id), and the position takes the pending intent only while that order is
 * unresolved and the position holds no other intent — so a replay after the exit was recorded
 * changes nothing.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { dec, decOrNull } from './numbers.ts';
import type { NewOrder } from './orders.ts';
import type { PendingAction } from './positions.ts';

export function createExitIntentsRepo(db: Db) {
  return {
    /** The write-ahead rows of a journaled exit; `at` (ms) is when the order left. */
    async restore(order: NewOrder, pending: PendingAction, at: number): Promise<void> {
      const when = new Date(at).toISOString();
      await db.transaction(async (tx) => {
        await tx.execute(sql`
          insert into orders (id, user_id, account_id, position_id, signal_id, client_order_id, symbol, side, type, purpose,
                              qty, price, reduce_only, status, sent_at, created_at, updated_at)
          values (${order.id}::uuid, ${order.userId}::uuid, ${order.accountId}::uuid, ${order.positionId}::uuid, ${order.signalId}::uuid,
                  ${order.clientOrderId}, ${order.symbol}, ${order.side}, ${order.type}, ${order.purpose},
                  ${dec(order.qty)}::numeric, ${decOrNull(order.price)}::numeric, ${order.reduceOnly}, 'pending', ${when}::timestamptz, ${when}::timestamptz, ${when}::timestamptz)
          on conflict do nothing`);
        await tx.execute(sql`
          update positions set monitor_state = jsonb_set(monitor_state, '{pendingAction}', ${JSON.stringify(pending)}::jsonb)
          where id = ${order.positionId}::uuid and status <> 'closed'
            and exists (select 1 from orders o where o.id = ${order.id}::uuid and o.status in ('pending', 'unknown', 'open'))
            and (jsonb_typeof(monitor_state->'pendingAction') is distinct from 'object'
                 or monitor_state->'pendingAction'->>'clientOrderId' = ${order.clientOrderId})`);
      });
    },
  };
}

export type ExitIntentsRepo = ReturnType<typeof createExitIntentsRepo>;
