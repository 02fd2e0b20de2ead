/**
 * Placing an entry exactly once. The position row (status pending, with its protective state
 * and the pending intent) and the order row are written in one transaction BEFORE the order is
 * sent; the fill then opens the position (entry, quantity and fee as filled) and marks the
 * signal executed. After a lost answer or a crash the order is looked up by clientOrderId until
 * the exchange has certainly seen it or certainly not; only a certainly-absent entry is sent
 * again, under the next client id of the same intent (the position id + attempt), so two sends
 * of one entry can never both fill.
 */
import { randomUUID } from 'node:crypto';
import { cloneState, openPosition } from '../domain/monitor/state.ts';
import { toMonitorSettings, type TradingSettings } from '../domain/settings.ts';
import { levelsFromPrices, planTargets } from '../domain/target-levels.ts';
import type { MonitorSettings, Side } from '../domain/types.ts';
import type { Db } from '../db/client.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { ExchangePort } from '../exchange/port.ts';
import { holdFence } from '../db/repos/shard-leases.ts';
import { fenceFor } from './shard-leases.ts';
import type { EngineContext } from './context.ts';
import { accountEntry } from '../domain/fills.ts';
import { entryPlanOf, positionDetails, signalOf } from './position-details.ts';
import { attemptOf, certainAfter, intentClientOrderId, lookUp, MAX_ATTEMPTS, sendOnce, type SendOutcome } from './tracked-order.ts';

/**
 * ms after the entry was decided within which a certainly-absent entry is sent again; later the
 * market it was sized for has moved, and the signal is marked failed instead
 */
export const ENTRY_RESEND_WINDOW_MS = 60_000;

export interface EntryPlan {
  executionId: string;
  signalId: string | null;
  userId: string;
  accountId: string;
  exchange: string;
  isPaper: boolean;
  symbol: string;
  side: 'long' | 'short';
  qty: number;
  price: number;
  stopLoss: number | null;
  takeProfit: number | null;
  leverage: number;
  /** the account's margin mode (margin and futures); null on spot */
  marginMode: 'cross' | 'isolated' | null;
  settings: TradingSettings;
  /** the entry decision's concentration warning (Herfindahl index), told in the opened alert */
  concentration?: number | null;
  /**
   * the signal's targets in the order the price reaches them (a post's, /signal's, a webhook's):
   * with two or more, up to three before the last become this position's partial levels (SPEC §9)
   */
  targets?: readonly number[];
}

export type EntryResult =
  | { kind: 'opened'; position: PositionRecord }
  | { kind: 'failed'; message: string }
  | { kind: 'unknown'; position: PositionRecord };

export function createEntries(ctx: EngineContext, track: (p: PositionRecord) => void) {
  const { repos, clock } = ctx;
  const tx = <T>(fn: (t: Db) => Promise<T>) => ctx.database.db.transaction((t) => fn(t as unknown as Db));

  async function place(plan: EntryPlan, port: ExchangePort): Promise<EntryResult> {
    const now = clock.now();
    const monitorSettings = withTargets(toMonitorSettings(plan.settings), plan.side, plan.price, plan.targets ?? [], plan.takeProfit);
    const positionId = randomUUID();
    // the entry's intent is its position: attempt n goes under `ase<position>n<n>`
    const clientOrderId = intentClientOrderId(positionId, 1);
    const orderId = randomUUID();
    const position: PositionRecord = {
      id: positionId,
      userId: plan.userId,
      accountId: plan.accountId,
      signalId: plan.signalId,
      exchange: plan.exchange,
      isPaper: plan.isPaper,
      symbol: plan.symbol,
      state: openPosition(
        { side: plan.side, entry: plan.price, qty: plan.qty, stopLoss: plan.stopLoss, takeProfit: plan.takeProfit, openedAt: now, mode: plan.settings.mode, leverage: plan.leverage },
        monitorSettings,
      ),
      settings: monitorSettings,
      status: 'pending',
      closeReason: null,
      realizedPnl: 0,
      feesPaid: 0,
      entryFee: 0,
      closedAt: null,
      pendingAction: { orderId, clientOrderId, purpose: 'entry', source: 'position_monitor', action: null },
      rev: 0,
    };
    await tx(async (t) => {
      await holdFence(t, fenceFor(ctx.ownership, plan.userId));
      await repos.positions.insert(position, t);
      await repos.orders.insertPending(
        {
          id: orderId,
          userId: plan.userId,
          accountId: plan.accountId,
          positionId,
          signalId: plan.signalId,
          clientOrderId,
          symbol: plan.symbol,
          side: plan.side === 'long' ? 'buy' : 'sell',
          type: 'market',
          purpose: 'entry',
          qty: plan.qty,
          price: null,
          reduceOnly: false,
        },
        now,
        t,
      );
      await repos.executions.finish(plan.executionId, 'claimed', [], positionId, now, t);
    });
    const outcome = await send(position, port, clientOrderId);
    return complete(position, plan.executionId, outcome, port, plan.concentration ?? null);
  }

  /** One send of the entry's intent, under `clientOrderId` (its quantity, side and leverage are the position's). */
  function send(position: PositionRecord, port: ExchangePort, clientOrderId: string): Promise<SendOutcome> {
    const s = position.state;
    return sendOnce(port, position.symbol, clientOrderId, () => clock.now(), () =>
      port.placeOrder({
        symbol: position.symbol,
        side: s.side === 'long' ? 'buy' : 'sell',
        type: 'market',
        qty: s.qty,
        clientOrderId,
        ...(s.mode !== 'spot' ? { leverage: s.leverage, marginMode: port.account.marginMode ?? 'isolated' } : {}),
      }),
    );
  }

  /**
   * The entry's last send was certainly never taken: the same intent goes again under its next
   * client id (the old row rejected, the new one written, before the send).
   */
  async function resend(position: PositionRecord, executionId: string | null, port: ExchangePort, concentration: number | null): Promise<EntryResult> {
    const now = clock.now();
    const pending = position.pendingAction!;
    const previous = await repos.orders.byId(pending.orderId);
    const clientOrderId = intentClientOrderId(position.id, attemptOf(pending.clientOrderId) + 1);
    const orderId = randomUUID();
    position.pendingAction = { ...pending, orderId, clientOrderId };
    await tx(async (t) => {
      await holdFence(t, fenceFor(ctx.ownership, position.userId));
      await repos.orders.markStatus(pending.orderId, 'rejected', 'the exchange never took the order: sent again under the next client id', now, t);
      await repos.orders.insertPending(
        {
          id: orderId,
          userId: position.userId,
          accountId: position.accountId,
          positionId: position.id,
          signalId: position.signalId,
          clientOrderId,
          symbol: position.symbol,
          side: position.state.side === 'long' ? 'buy' : 'sell',
          type: 'market',
          purpose: 'entry',
          qty: previous?.qty ?? position.state.qty,
          price: null,
          reduceOnly: false,
        },
        now,
        t,
      );
      await repos.positions.save(position, now, t);
    });
    return complete(position, executionId, await send(position, port, clientOrderId), port, concentration);
  }

  /** Finishes an entry from its order's outcome (right after sending, or in recovery). */
  async function complete(position: PositionRecord, executionId: string | null, outcome: SendOutcome, port: ExchangePort, concentration: number | null = null): Promise<EntryResult> {
    const now = clock.now();
    const pending = position.pendingAction!;
    if (outcome.kind === 'unknown') {
      // held as pending: no other entry of this signal and account, and the sweep keeps looking it up
      if (outcome.lostAt !== undefined) await repos.orders.markLost(pending.orderId, outcome.message, outcome.lostAt);
      // else a lookup that did not settle it: the row keeps its status, and the horizon its start
      track(position);
      return { kind: 'unknown', position };
    }
    if (outcome.kind === 'absent' && attemptOf(pending.clientOrderId) < MAX_ATTEMPTS && now - position.state.openedAt <= ENTRY_RESEND_WINDOW_MS) {
      return resend(position, executionId, port, concentration);
    }
    if (outcome.kind !== 'placed' || outcome.result.filledQty <= 0) {
      const message =
        outcome.kind === 'absent' && attemptOf(pending.clientOrderId) < MAX_ATTEMPTS
          ? `${outcome.message}, and the signal is too old to send it again`
          : outcome.kind !== 'placed'
            ? outcome.message
            : 'the entry order was not filled';
      await tx(async (t) => {
        if (outcome.kind === 'placed') await repos.orders.recordResult(pending.orderId, outcome.result, now, t);
        else await repos.orders.markStatus(pending.orderId, 'rejected', message, now, t);
        if (executionId) await repos.executions.finish(executionId, 'failed', [message], null, now, t);
        await repos.positions.delete(position.id, t);
      });
      return { kind: 'failed', message };
    }
    const fill = outcome.result;
    const s = position.state;
    const filled = cloneState(s, fill.avgPrice);
    // what the account holds: a fee the exchange took in the bought coin is not ours to sell (SPEC §11)
    const entry = accountEntry(fill);
    filled.entry = entry.entry;
    filled.qtyInitial = entry.qty;
    filled.qty = entry.qty;
    position.state = filled;
    // the signal's own levels are prices: their percent is from the fill
    const targetPrices = position.settings.targetPrices;
    if (targetPrices) position.settings = { ...position.settings, partialTpLevels: levelsFromPrices(filled.side, filled.entry, targetPrices) };
    position.entryFee = entry.entryFee;
    position.feesPaid = position.entryFee;
    position.status = 'open';
    position.pendingAction = null;
    if (s.mode !== 'spot') {
      const onExchange = await port.fetchPositions([position.symbol]).catch(() => []);
      const liq = onExchange.find((x) => x.symbol === position.symbol && x.side === position.state.side)?.liquidationPrice;
      if (liq !== undefined && liq > 0) position.state = { ...position.state, liquidationPrice: liq };
    }
    await tx(async (t) => {
      await holdFence(t, fenceFor(ctx.ownership, position.userId));
      await repos.orders.recordResult(pending.orderId, fill, now, t);
      await repos.positions.save(position, now, t);
      if (executionId) await repos.executions.finish(executionId, 'executed', [], position.id, now, t);
    });
    track(position);
    await ctx.emit(
      {
        kind: 'position_opened',
        userId: position.userId,
        positionId: position.id,
        symbol: position.symbol,
        side: position.state.side,
        exchange: position.exchange,
        isPaper: position.isPaper,
        entryPrice: position.state.entry,
        qty: position.state.qty,
        stopLoss: position.state.stopLoss,
        takeProfit: position.state.takeProfit,
        signalId: position.signalId,
        ...(await positionDetails(ctx, position)),
        plan: entryPlanOf(position),
        ...(await signalOf(ctx, position)),
        ...(concentration !== null ? { concentration } : {}),
      },
      `open:${position.id}`,
    );
    await ctx.backstops?.afterEntry(position);
    return { kind: 'opened', position };
  }

  /** Recovery and the sweep: look the entry order up and finish the position, send it again, or drop it. */
  async function resolve(position: PositionRecord, executionId: string | null): Promise<EntryResult> {
    const port = await ctx.exchanges.forAccount(position.accountId);
    const pending = position.pendingAction;
    if (!pending) return { kind: 'failed', message: 'no entry order recorded' };
    const order = await repos.orders.byId(pending.orderId);
    const now = clock.now();
    const certainAt = order ? certainAfter(order, port, ctx.startedAt) : now;
    const outcome = await lookUp(port, position.symbol, pending.clientOrderId, { certainAt, now, sentAt: order?.createdAt ?? position.state.openedAt });
    return complete(position, executionId, outcome, port);
  }

  return { place, resolve };
}

export type Entries = ReturnType<typeof createEntries>;

/**
 * A position's monitor settings with its signal's targets (SPEC §9): with two or more targets the
 * first (up to three) before the last become its partial levels, on even when the trader's own
 * partial levels are off; the prices are kept (targetPrices) so applying new settings keeps them.
 * The ladder must lead to the position's take profit: targets out of order for the side, or a take
 * profit the entry decision did not take from the signal (not sane at the market), leave the
 * trader's own levels.
 */
export function withTargets(settings: MonitorSettings, side: Side, entry: number, targets: readonly number[], takeProfit: number | null): MonitorSettings {
  const ordered = targets.every((t, i) => i === 0 || (side === 'long' ? t > targets[i - 1]! : t < targets[i - 1]!));
  const plan = planTargets(targets);
  if (plan.partials.length === 0 || !ordered || plan.takeProfit !== takeProfit) return settings;
  return { ...settings, partialTpEnabled: true, partialTpLevels: levelsFromPrices(side, entry, plan.partials), targetPrices: plan.partials };
}
