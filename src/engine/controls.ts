/**
 * The trader's and the admin's actions on positions and trading: every one under the same
 * per-position lock as the monitor and through the same runner, every one in the audit log.
 * A stale request (position already closed) answers 'closed' and does nothing.
 */
import { accountLabel } from './account-label.ts';
import { applyManualClose, checkStopLossPrice, checkTakeProfitPrice, moveStopLoss, moveTakeProfit, stopToBreakeven } from '../domain/monitor/manual.ts';
import type { MonitorResult } from '../domain/types.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { EngineContext } from './context.ts';
import { feedOf } from './ports.ts';
import { positionRef, type ActionRunner } from './action-runner.ts';
import type { Actor, ControlResult, PositionView } from './facade.ts';
import { reevaluationRow } from './reevaluation-rows.ts';
import { toPositionView } from './views.ts';
import { marketPrecision, positionDetails } from './position-details.ts';
import { decimalsOf } from '../domain/step-decimals.ts';

export function createControls(ctx: EngineContext, runner: ActionRunner) {
  const { repos, clock, book } = ctx;

  const audit = (actor: Actor, action: string, target: string | null, details: Record<string, unknown>) =>
    repos.audit.record({ actorTelegramId: actor.telegramId, actorUserId: actor.userId ?? null, action, target, details, at: clock.now() });

  async function view(p: PositionRecord): Promise<PositionView> {
    const [account, precision] = await Promise.all([repos.accounts.get(p.accountId), marketPrecision(ctx, p.accountId, p.symbol)]);
    const price = feedOf(ctx.feeds, p)?.lastTick(p.symbol)?.price ?? p.state.lastPrice;
    return toPositionView(p, { accountLabel: account ? accountLabel(account) : p.exchange, lastPrice: price, ...precision });
  }

  /** a price in a toast as the trader reads prices: grouped, at most the market's tick decimals ("100,050", "2,950.5") */
  async function shownPrice(p: PositionRecord, price: number): Promise<string> {
    const { priceTick } = await marketPrecision(ctx, p.accountId, p.symbol);
    return price.toLocaleString('en-US', { maximumFractionDigits: priceTick ? decimalsOf(priceTick) : 8 });
  }

  async function currentPrice(p: PositionRecord): Promise<number> {
    const tick = feedOf(ctx.feeds, p)?.lastTick(p.symbol);
    if (tick) return tick.price;
    const port = await ctx.exchanges.forAccount(p.accountId);
    return port.fetchPrice(p.symbol);
  }

  /** Finds the live position of this user, or says why not. */
  async function find(userId: string, positionId: string): Promise<{ p: PositionRecord } | { fail: ControlResult }> {
    const p = book.get(positionId);
    if (p) {
      if (p.userId !== userId) return { fail: { ok: false, code: 'not_owner', message: 'This position belongs to someone else.' } };
      return { p };
    }
    const stored = await repos.positions.get(positionId).catch(() => undefined);
    if (!stored) return { fail: { ok: false, code: 'not_found', message: 'No such position.' } };
    if (stored.userId !== userId) return { fail: { ok: false, code: 'not_owner', message: 'This position belongs to someone else.' } };
    return { fail: { ok: false, code: 'closed', message: 'This position is already closed.' } };
  }

  /** Runs `fn` under the position's lock after re-checking it is still open. */
  async function withPosition(userId: string, positionId: string, fn: (p: PositionRecord) => Promise<ControlResult>): Promise<ControlResult> {
    const found = await find(userId, positionId);
    if ('fail' in found) return found.fail;
    const p = found.p;
    return ctx.locks.run(p.id, async () => {
      if (p.status === 'closed') return { ok: false, code: 'closed', message: 'This position is already closed.' };
      if (p.status !== 'open' || p.pendingAction) return { ok: false, code: 'busy', message: 'An order for this position is still being confirmed; try again in a moment.' };
      return fn(p);
    });
  }

  async function closePosition(actor: Actor, userId: string, positionId: string, fraction: number): Promise<ControlResult> {
    const result = await (async (): Promise<ControlResult> => {
      if (!(fraction > 0 && fraction <= 1)) return { ok: false, code: 'invalid', message: 'The fraction must be above 0 and at most 1 (100 %).' };
      return withPosition(userId, positionId, async (p) => {
        let price: number;
        try {
          price = await currentPrice(p);
        } catch (error) {
          return { ok: false, code: 'exchange_error', message: error instanceof Error ? error.message : 'No price available.' };
        }
        const before = p.state.qty;
        const summary = await runner.run(p, applyManualClose(p.state, fraction, price, clock.now()), 'manual', { force: true });
        if (summary.filled <= 0) return { ok: false, code: 'exchange_error', message: summary.error ?? 'The exchange did not fill the order.' };
        const message = p.status === 'closed' ? `Closed ${p.symbol}.` : `Closed ${((summary.filled / before) * 100).toFixed(2).replace(/\.?0+$/, '')} % of ${p.symbol}.`;
        return { ok: true, message, position: await view(p) };
      });
    })();
    await audit(actor, fraction >= 1 ? 'position.close' : 'position.close_partial', positionId, { userId, fraction, ok: result.ok, ...(result.ok ? {} : { code: result.code }) });
    return result;
  }

  /** A stop or take-profit change: written with its reevaluation row at once, then announced. */
  async function applyLevel(p: PositionRecord, result: MonitorResult, what: 'stop' | 'take_profit'): Promise<void> {
    const now = clock.now();
    p.state = result.next;
    const rows = result.actions.flatMap((a) => (a.type === 'reevaluation' ? [reevaluationRow(p.id, a, 'manual')] : []));
    await repos.reevaluations.insertMany(rows);
    await repos.positions.save(p, now);
    if (what === 'stop') await ctx.backstops?.onStopMoved(p);
    for (const a of result.actions) {
      if (a.type !== 'reevaluation' || a.new === null) continue;
      const ref = { ...positionRef(p), ...(await positionDetails(ctx, p)) };
      if (what === 'stop') await ctx.emit({ ...ref, kind: 'stop_moved', oldStop: a.old, newStop: a.new, reason: a.reason });
      else await ctx.emit({ ...ref, kind: 'take_profit_moved', oldTakeProfit: a.old, newTakeProfit: a.new, reason: a.reason });
    }
  }

  async function moveStop(actor: Actor, userId: string, positionId: string, price: number): Promise<ControlResult> {
    const result = await withPosition(userId, positionId, async (p) => {
      const current = await currentPrice(p).catch(() => p.state.lastPrice ?? p.state.entry);
      const problem = checkStopLossPrice(p.state, price, current);
      if (problem) return { ok: false, code: 'invalid', message: problem };
      await applyLevel(p, moveStopLoss(p.state, price, clock.now()), 'stop');
      return { ok: true, message: `Stop loss set to ${await shownPrice(p, price)}.`, position: await view(p) };
    });
    await audit(actor, 'position.move_stop_loss', positionId, { userId, price, ok: result.ok });
    return result;
  }

  async function moveTarget(actor: Actor, userId: string, positionId: string, price: number): Promise<ControlResult> {
    const result = await withPosition(userId, positionId, async (p) => {
      const current = await currentPrice(p).catch(() => p.state.lastPrice ?? p.state.entry);
      const problem = checkTakeProfitPrice(p.state, price, current);
      if (problem) return { ok: false, code: 'invalid', message: problem };
      await applyLevel(p, moveTakeProfit(p.state, price, clock.now()), 'take_profit');
      return { ok: true, message: `Take profit set to ${await shownPrice(p, price)}.`, position: await view(p) };
    });
    await audit(actor, 'position.move_take_profit', positionId, { userId, price, ok: result.ok });
    return result;
  }

  async function breakeven(actor: Actor, userId: string, positionId: string): Promise<ControlResult> {
    const result = await withPosition(userId, positionId, async (p) => {
      const moved = stopToBreakeven(p.state, clock.now());
      if (moved.actions.length === 0) return { ok: true, message: 'The stop loss is already at or beyond breakeven.', position: await view(p) };
      const current = await currentPrice(p).catch(() => null);
      if (current !== null && checkStopLossPrice(p.state, p.state.entry, current)) {
        return { ok: false, code: 'invalid', message: `The price ${await shownPrice(p, current)} is on the loss side of the entry ${await shownPrice(p, p.state.entry)}: a breakeven stop would close at once.` };
      }
      await applyLevel(p, moved, 'stop');
      return { ok: true, message: `Stop loss moved to breakeven (${await shownPrice(p, p.state.entry)}).`, position: await view(p) };
    });
    await audit(actor, 'position.breakeven', positionId, { userId, ok: result.ok });
    return result;
  }

  return { closePosition, moveStop, moveTarget, breakeven, view, audit };
}

export type Controls = ReturnType<typeof createControls>;
