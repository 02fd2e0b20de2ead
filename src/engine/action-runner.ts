/**
 * The one action runner: turns the monitor's (or a trader's) actions into orders, trade rows,
 * position writes and events. Always called under the position's lock.
 *
 * Per order action: (1) write the order row (pending, our clientOrderId) and the position's
 * pending intent in one transaction, (2) send once (see tracked-order.ts), (3) record the
 * result, the trade (exact net P&L) and the position in one transaction, then emit the event.
 * A refused order leaves the position as it was before that action, so the next tick decides
 * again (after a back-off); an unknown one blocks the position until it is looked up.
 */
import { exitDetails, positionDetails } from './position-details.ts';
import { exitTrade } from './exit-trade.ts';
import { randomUUID } from 'node:crypto';
import type { MonitorAction, MonitorResult } from '../domain/types.ts';
import { cloneState, DUST } from '../domain/monitor/state.ts';
import type { OrderPurpose } from '../db/repos/orders.ts';
import type { PendingAction, PositionRecord } from '../db/repos/positions.ts';
import type { TradeSource } from '../db/repos/trades.ts';
import type { Db } from '../db/client.ts';
import type { ExitEventKind } from './events.ts';
import type { EngineContext } from './context.ts';
import { accountExit, isDust } from '../domain/fills.ts';
import { attemptOf, certainAfter, intentClientOrderId, intentOf, lookUp, MAX_ATTEMPTS, sendOnce, type SendOutcome } from './tracked-order.ts';
import { reevaluationRow } from './reevaluation-rows.ts';
import { createOfflineExits } from './offline-exits.ts';
import { holdFence } from '../db/repos/shard-leases.ts';
import { fenceFor } from './shard-leases.ts';
import type { NewOrder } from '../db/repos/orders.ts';

type OrderAction = Extract<MonitorAction, { type: 'close_all' | 'partial' | 'reduce' }>;

const isOrderAction = (a: MonitorAction): a is OrderAction => a.type === 'close_all' || a.type === 'partial' || a.type === 'reduce';

const PURPOSE: Record<OrderAction['type'], OrderPurpose> = { close_all: 'close', partial: 'partial_tp', reduce: 'reduce' };

/** ms: back-off after a refused exit, doubling up to the cap (a down exchange is not hammered every tick) */
const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
/** fraction of the initial quantity that may remain after a full close (step rounding) */
const CLOSE_TOLERANCE = 1e-6;

export function newClientOrderId(): string {
  return `ase${randomUUID().replace(/-/g, '').slice(0, 28)}`;
}

export interface RunSummary {
  /** orders attempted */
  orders: number;
  /** base units filled across them */
  filled: number;
  /** why the run stopped short, trader-facing */
  error: string | null;
}

export interface RunnerHooks {
  /** the position is closed: drop it from the book and the feed */
  onClosed(p: PositionRecord): void;
}

export function createActionRunner(ctx: EngineContext, hooks: RunnerHooks) {
  const { repos, clock, logger } = ctx;
  /** position id → { until: ms, delay: ms } after refused orders (mirrored in exit_backoffs) */
  const backoff = new Map<string, { until: number; delay: number }>();
  /** position id → the last refusal's trader-facing message */
  const lastError = new Map<string, string>();

  /** At start: the back-offs of before the restart (their alerts were sent then). */
  async function loadBackoffs(): Promise<void> {
    for (const [id, b] of await repos.backoffs.loadAll()) {
      backoff.set(id, { until: b.until, delay: b.delay });
      if (b.lastError) lastError.set(id, b.lastError);
    }
  }

  async function clearBackoff(id: string): Promise<void> {
    lastError.delete(id);
    if (backoff.delete(id)) await repos.backoffs.clear(id).catch((error: unknown) => logger.warn({ err: error, positionId: id }, 'back-off not cleared'));
  }

  const tx = <T>(fn: (tx: Db) => Promise<T>) => ctx.database.db.transaction((t) => fn(t as unknown as Db));
  const offline = createOfflineExits(ctx, { complete: (p, pending, outcome) => complete(p, pending, outcome), refused: refusedOffline });

  function blocked(id: string): boolean {
    const b = backoff.get(id);
    return b !== undefined && clock.now() < b.until;
  }

  /**
   * Carries out one evaluation. `result.next` is the rules' next state; order effects are only
   * applied to the position once the exchange confirms the fill.
   */
  async function run(p: PositionRecord, result: MonitorResult, source: TradeSource, options: { force?: boolean } = {}): Promise<RunSummary> {
    const summary: RunSummary = { orders: 0, filled: 0, error: null };
    const prev = p.state;
    const orderActions = result.actions.filter(isOrderAction);
    // the rules' state without the order effects: those are applied per confirmed fill
    // (the trailing moves and peaks of this tick reach the database with the next save or flush)
    p.state = {
      ...result.next,
      qty: prev.qty,
      closed: false,
      partialTaken: [...prev.partialTaken],
      liquidationWarned: orderActions.some((a) => a.type === 'reduce' && a.reason === 'liquidation_protection') ? prev.liquidationWarned : result.next.liquidationWarned,
    };
    const reevals = result.actions.flatMap((a) => (a.type === 'reevaluation' ? [reevaluationRow(p.id, a, source)] : []));
    await offline.saveReevaluations(reevals);
    if (orderActions.length > 0 && !options.force && blocked(p.id)) {
      // backing off after a refused order: the rules fire again on a later tick (alerts with them)
      p.state = { ...p.state, stopLoss: prev.stopLoss };
      summary.error = 'waiting before retrying a refused order';
      return summary;
    }
    await emitAlerts(p, result.actions);
    for (const action of orderActions) {
      const before = p.state.qty;
      summary.orders++;
      const ok = await runOrder(p, action, source);
      summary.filled += before - p.state.qty;
      if (!ok) {
        summary.error = lastError.get(p.id) ?? 'the order outcome is not known yet';
        break;
      }
      if (p.status === 'closed') break;
    }
    if (p.status !== 'closed') ctx.book.markDirty(p.id);
    return summary;
  }

  /** Sends attempt `attempt` of an exit intent (a new intent unless given) and completes it. */
  async function runOrder(p: PositionRecord, action: OrderAction, source: TradeSource, intent: { id: string; attempt: number } = { id: randomUUID(), attempt: 1 }): Promise<boolean> {
    const port = await ctx.exchanges.forAccount(p.accountId);
    const qty = action.type === 'close_all' ? p.state.qty : Math.min(action.qty, p.state.qty);
    if (!(qty > 0)) return true;
    await ctx.backstops?.beforeExit(p, qty);
    if (isClosed(p) || p.state.qty < qty) return true; // the exchange's stop sold first: that exit is recorded
    const pending: PendingAction = { orderId: randomUUID(), clientOrderId: intentClientOrderId(intent.id, intent.attempt), purpose: PURPOSE[action.type], source, action };
    p.pendingAction = pending;
    const order: NewOrder = {
      id: pending.orderId,
      userId: p.userId,
      accountId: p.accountId,
      positionId: p.id,
      signalId: p.signalId,
      clientOrderId: pending.clientOrderId,
      symbol: p.symbol,
      side: p.state.side === 'long' ? 'sell' : 'buy',
      type: 'market',
      purpose: pending.purpose,
      qty,
      price: null,
      reduceOnly: p.state.mode !== 'spot',
    };
    const at = clock.now();
    // the database when it answers in time, else the local journal: the exit never waits on the database
    let record: 'db' | 'journal';
    try {
      record = await offline.writeAhead(p, order, pending, at);
    } catch (error) {
      p.pendingAction = null; // nothing was written: nothing is pending (a fenced writer sends nothing)
      throw error;
    }
    const outcome = await sendOnce(port, p.symbol, pending.clientOrderId, () => clock.now(), () =>
      // always this position's side and exact quantity: never the exchange's whole position, which
      // may hold the trader's own trades or (hedge mode) the other side
      port.closePosition({ symbol: p.symbol, clientOrderId: pending.clientOrderId, qty, side: p.state.side }),
    );
    if (record === 'journal') return offline.sent(p, pending, order, at, outcome);
    return complete(p, pending, outcome);
  }

  /** A refused exit while the database is down: the back-off lives in memory until it is back. */
  async function refusedOffline(p: PositionRecord, pending: PendingAction, _code: string, message: string): Promise<void> {
    p.pendingAction = null;
    p.status = 'open';
    lastError.set(p.id, message);
    const prior = backoff.get(p.id);
    const delay = prior ? Math.min(prior.delay * 2, BACKOFF_MAX_MS) : BACKOFF_START_MS;
    backoff.set(p.id, { until: clock.now() + delay, delay });
    if (!prior) {
      await ctx.emit(
        { kind: 'order_failed', userId: p.userId, symbol: p.symbol, positionId: p.id, message: `${pending.purpose} order failed: ${message} Retrying.` },
        `fail:${pending.clientOrderId}`,
      );
    }
    await ctx.backstops?.resize(p);
  }

  /** Applies the outcome of a pending order; true when it was placed and recorded. */
  async function complete(p: PositionRecord, pending: PendingAction, outcome: SendOutcome): Promise<boolean> {
    const now = clock.now();
    const action = pending.action;
    if (outcome.kind === 'unknown') {
      // the exit intent stays pending: the monitor sends no other exit for this position until it is resolved
      p.status = 'closing';
      if (outcome.lostAt !== undefined) await repos.orders.markLost(pending.orderId, outcome.message, outcome.lostAt);
      // else a lookup that did not settle it: the row keeps its status, and the horizon its start
      await repos.positions.save(p, now);
      logger.warn({ positionId: p.id, clientOrderId: pending.clientOrderId }, 'order outcome unknown: blocked until looked up');
      return false;
    }
    const attempt = attemptOf(pending.clientOrderId);
    if (outcome.kind === 'absent' && action !== null && isOrderAction(action) && attempt < MAX_ATTEMPTS) {
      // certainly never taken: the same intent goes again under its next id (never the same id)
      await repos.orders.markStatus(pending.orderId, 'rejected', outcome.message, now);
      p.pendingAction = null;
      p.status = 'open';
      logger.warn({ positionId: p.id, clientOrderId: pending.clientOrderId }, 'exit order certainly absent: sent again under the next id');
      return runOrder(p, action, pending.source, { id: intentOf(pending.clientOrderId), attempt: attempt + 1 });
    }
    if (outcome.kind !== 'placed' || outcome.result.filledQty <= 0 || action === null || !isOrderAction(action)) {
      const message = outcome.kind !== 'placed' ? outcome.message : 'the order was not filled';
      p.pendingAction = null;
      p.status = 'open';
      if (outcome.kind === 'placed') await repos.orders.recordResult(pending.orderId, outcome.result, now);
      else await repos.orders.markStatus(pending.orderId, 'rejected', message, now);
      if (outcome.kind === 'refused' && (await ctx.backstops?.firedInstead(p))) {
        // the exchange's stop closed it first (a wick the feed never showed): that exit is recorded, nothing failed
        if (!isClosed(p)) await repos.positions.save(p, now);
        return true;
      }
      await onRefused(p, pending, outcome.kind === 'refused' ? outcome.code : outcome.kind === 'absent' ? 'ORDER_NOT_FOUND' : 'UNEXPECTED', message);
      if (isClosed(p)) return true; // closed as dust: nothing left to sell
      await ctx.backstops?.resize(p);
      await repos.positions.save(p, now);
      return false;
    }
    const result = outcome.result;
    const exit = accountExit({ ...p.state, entryFee: p.entryFee }, result);
    const { pnl, fee: exitFee, qty: fill } = exit;
    const s = cloneState(p.state);
    s.partialTaken = [...p.state.partialTaken];
    s.qty = exit.remaining;
    if (action.type === 'partial') s.partialTaken[action.level] = true;
    if (action.type === 'reduce' && action.reason === 'liquidation_protection') s.liquidationWarned = true;
    const reason = action.reason;
    // a full close leaves at most the exchange's step rounding behind (a millionth of the position);
    // a remainder the market will not take (dust) closes the position too: it is never retried
    const dust = s.qty > 0 && (await remainderIsDust(p, s.qty, result.avgPrice)) ? s.qty : 0;
    const closed = dust > 0 || (action.type === 'close_all' ? s.qty <= s.qtyInitial * CLOSE_TOLERANCE : s.qty <= s.qtyInitial * DUST * 10);
    if (closed) {
      s.qty = 0;
      s.closed = true;
    }
    p.state = s;
    p.realizedPnl += pnl.net;
    p.feesPaid += exitFee;
    p.pendingAction = null;
    p.status = closed ? 'closed' : 'open';
    if (closed) {
      p.closeReason = reason;
      p.closedAt = now;
    }
    await clearBackoff(p.id);
    if (closed) await ctx.backstops?.cancel(p);
    await tx(async (t) => {
      // a process that lost the trader's shard records nothing: the new owner looks the order up by its client id
      await holdFence(t, fenceFor(ctx.ownership, p.userId));
      await repos.orders.recordResult(pending.orderId, result, now, t);
      await repos.trades.insert(
        exitTrade(p, { quantity: fill, exitPrice: result.avgPrice, pnl: pnl.net, fee: pnl.fee, dust, closeReason: reason, source: pending.source, closedAt: now }),
        t,
      );
      await repos.positions.save(p, now, t);
    });
    if (closed) hooks.onClosed(p);
    if (!closed) await ctx.backstops?.resize(p);
    const kind: ExitEventKind = reason === 'end_of_data' ? 'manual' : reason;
    await ctx.emit(
      {
        kind,
        ...positionRef(p),
        price: result.avgPrice,
        qty: fill,
        remainingQty: s.qty,
        pnl: pnl.net,
        ...(await exitDetails(ctx, p, { qty: fill, pnl: pnl.net, now })),
        ...(action.type === 'partial' ? { level: action.level } : {}),
        ...(dust > 0 ? { dust } : {}),
      },
      `exit:${pending.clientOrderId}`,
    );
    return true;
  }

  /**
   * Spot (and a margin long) hold coins: a remainder below the market's minimum amount or order
   * value cannot be sold. Futures and shorts close reduce-only, which the minimums do not stop.
   */
  async function remainderIsDust(p: PositionRecord, qty: number, price: number): Promise<boolean> {
    if (p.state.mode === 'futures' || p.state.side === 'short') return false;
    const port = await ctx.exchanges.forAccount(p.accountId);
    const market = await port.market(p.symbol).catch(() => undefined);
    return market !== undefined && isDust(qty, price, market);
  }

  /** The whole remainder is below the market's minimum: the position closes with it as dust, no order. */
  async function closeAsDust(p: PositionRecord, pending: PendingAction, action: OrderAction): Promise<void> {
    const now = clock.now();
    const dust = p.state.qty;
    const s = cloneState(p.state);
    s.qty = 0;
    s.closed = true;
    p.state = s;
    p.status = 'closed';
    p.closeReason = action.reason;
    p.closedAt = now;
    p.pendingAction = null;
    await clearBackoff(p.id);
    await ctx.backstops?.cancel(p);
    await tx(async (t) => {
      await repos.trades.insert(exitTrade(p, { quantity: 0, exitPrice: null, pnl: 0, fee: 0, dust, closeReason: action.reason, source: pending.source, closedAt: now }), t);
      await repos.positions.save(p, now, t);
    });
    hooks.onClosed(p);
    const kind: ExitEventKind = action.reason === 'end_of_data' ? 'manual' : action.reason;
    await ctx.emit(
      { kind, ...positionRef(p), price: s.lastPrice ?? s.entry, qty: 0, remainingQty: 0, pnl: 0, ...(await exitDetails(ctx, p, { qty: 0, pnl: 0, now })), dust },
      `exit:${pending.clientOrderId}`,
    );
  }

  async function onRefused(p: PositionRecord, pending: PendingAction, code: string, message: string): Promise<void> {
    const action = pending.action;
    if (code === 'ORDER_BELOW_MINIMUM' && action && isOrderAction(action) && action.type !== 'partial' && (await remainderIsDust(p, p.state.qty, p.state.lastPrice ?? p.state.entry))) {
      await closeAsDust(p, pending, action);
      return;
    }
    if (code === 'ORDER_BELOW_MINIMUM' && action && action.type === 'partial') {
      // the level's quantity is below the market minimum: the level is skipped, not retried every tick
      p.state = { ...p.state, partialTaken: p.state.partialTaken.map((t, i) => t || i === action.level) };
      return;
    }
    lastError.set(p.id, message);
    const prior = backoff.get(p.id);
    const delay = prior ? Math.min(prior.delay * 2, BACKOFF_MAX_MS) : BACKOFF_START_MS;
    backoff.set(p.id, { until: clock.now() + delay, delay });
    await repos.backoffs.set(p.id, { until: clock.now() + delay, delay, lastError: message }).catch((error: unknown) => logger.warn({ err: error, positionId: p.id }, 'back-off not saved'));
    logger.warn({ positionId: p.id, code, purpose: pending.purpose }, 'exit order refused');
    if (!prior) {
      await ctx.emit(
        { kind: 'order_failed', userId: p.userId, symbol: p.symbol, positionId: p.id, message: `${pending.purpose} order failed: ${message} Retrying.` },
        `fail:${pending.clientOrderId}`,
      );
    }
  }

  async function emitAlerts(p: PositionRecord, actions: readonly MonitorAction[]): Promise<void> {
    if (!actions.some((a) => (a.type === 'alert' && a.event === 'liquidation_warning') || (a.type === 'reevaluation' && a.field === 'stop_loss' && a.reason === 'breakeven_after_partial'))) return;
    const details = await positionDetails(ctx, p);
    for (const a of actions) {
      if (a.type === 'alert' && a.event === 'liquidation_warning') {
        const reduce = actions.find((x) => x.type === 'reduce');
        await ctx.emit({
          kind: 'liquidation_warning',
          ...positionRef(p),
          ...details,
          price: a.price,
          liquidationPrice: p.state.liquidationPrice ?? 0,
          distancePct: a.distancePct ?? 0,
          reducedQty: reduce && reduce.type === 'reduce' ? reduce.qty : 0,
        });
      }
      if (a.type === 'reevaluation' && a.field === 'stop_loss' && a.new !== null && a.reason === 'breakeven_after_partial') {
        await ctx.emit({
          kind: 'stop_moved',
          ...positionRef(p),
          ...details,
          oldStop: a.old,
          newStop: a.new,
          reason: a.reason,
        });
      }
    }
  }

  /** Looks up the order a position waits on (after a crash or an unknown outcome) and completes it. */
  async function resolvePending(p: PositionRecord): Promise<boolean> {
    const pending = p.pendingAction;
    if (!pending || pending.purpose === 'entry') return true;
    const port = await ctx.exchanges.forAccount(p.accountId);
    const order = await repos.orders.byId(pending.orderId);
    const now = clock.now();
    const certainAt = order ? certainAfter(order, port, ctx.startedAt) : now;
    const outcome = await lookUp(port, p.symbol, pending.clientOrderId, { certainAt, now, sentAt: order?.createdAt ?? now });
    await complete(p, pending, outcome);
    return outcome.kind !== 'unknown';
  }

  return {
    run,
    resolvePending,
    blocked,
    loadBackoffs,
    /** after a database outage: the exits sent meanwhile are recorded */
    recordOffline: offline.record,
    /** at start: exits a killed process journaled while the database was down go to the database */
    restoreJournal: offline.restoreJournal,
    /** the position's exit was sent while the database was down and waits to be recorded */
    awaitingDatabase: offline.awaiting,
    exitsAwaitingRecord: offline.count,
    /** resolves when no journaled exit is being recorded */
    offlineSettled: offline.settled,
  };
}

export type ActionRunner = ReturnType<typeof createActionRunner>;

/** The fields every position event carries. */
export function positionRef(p: PositionRecord) {
  return { userId: p.userId, positionId: p.id, symbol: p.symbol, side: p.state.side, exchange: p.exchange, isPaper: p.isPaper };
}

/** read after an await: the runner's steps change the status */
function isClosed(p: PositionRecord): boolean {
  return p.status === 'closed';
}
