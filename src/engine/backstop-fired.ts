/**
 * A backstop that fired on the exchange (SPEC §10): its exit is recorded once, reason
 * `exchange_stop`, P&L from the exchange's fill, with one alert (deduplicated by the stop's client id).
 */
import { exitDetails } from './position-details.ts';
import { exitTrade } from './exit-trade.ts';
import { cloneState } from '../domain/monitor/state.ts';
import type { Db } from '../db/client.ts';
import type { PositionRecord, StoredBackstop } from '../db/repos/positions.ts';
import type { StopOrderState } from '../exchange/port.ts';
import type { EngineContext } from './context.ts';
import { positionRef } from './action-runner.ts';
import { accountExit } from '../domain/fills.ts';
import { CLOSE_TOLERANCE } from '../domain/backstop.ts';

export function createFiredRecorder(ctx: EngineContext, onClosed: (p: PositionRecord) => void) {
  const tx = <T>(fn: (t: Db) => Promise<T>) => ctx.database.db.transaction((t) => fn(t as unknown as Db));

  /** The exchange's stop closed (part of) the position while the bot was away: recorded once. */
  async function recordFired(p: PositionRecord, b: StoredBackstop, seen: StopOrderState): Promise<void> {
    const { repos, clock } = ctx;
    const fill = seen.fill!;
    const now = clock.now();
    const exit = accountExit({ ...p.state, entryFee: p.entryFee }, fill);
    const { pnl, fee: exitFee, qty } = exit;
    const s = cloneState(p.state);
    s.partialTaken = [...p.state.partialTaken];
    s.qty = exit.remaining;
    const closed = s.qty <= s.qtyInitial * CLOSE_TOLERANCE;
    if (closed) {
      s.qty = 0;
      s.closed = true;
    }
    p.state = s;
    p.realizedPnl += pnl.net;
    p.feesPaid += exitFee;
    p.status = closed ? 'closed' : 'open';
    if (closed) {
      p.closeReason = 'exchange_stop';
      p.closedAt = now;
    }
    const fired: StoredBackstop = { ...b, status: 'fired', movedAt: now };
    p.backstop = fired;
    await tx(async (t) => {
      await repos.trades.insert(
        exitTrade(p, { quantity: qty, exitPrice: fill.avgPrice, pnl: pnl.net, fee: pnl.fee, closeReason: 'exchange_stop', source: 'reconcile', closedAt: now }),
        t,
      );
      await repos.positions.save(p, now, t);
      await repos.positions.saveBackstop(p.id, fired, t);
    });
    if (closed) onClosed(p);
    await ctx.emit(
      {
        kind: 'exchange_stop',
        ...positionRef(p),
        price: fill.avgPrice,
        qty,
        remainingQty: s.qty,
        pnl: pnl.net,
        ...(await exitDetails(ctx, p, { qty, pnl: pnl.net, now })),
      },
      `exchange_stop:${b.clientOrderId}`,
    );
  }

  return recordFired;
}
