/**
 * Start-up: restore every position that is not closed, finish what a crash interrupted (orders
 * are looked up by clientOrderId, never re-sent), then reconcile with the exchange:
 * closed there → closed here with the reason recorded; there but unknown here → its owner is
 * told (never adopted, never dropped).
 */
import { exitTrade } from './exit-trade.ts';
import { DUST } from '../domain/monitor/state.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { Db } from '../db/client.ts';
import type { EngineContext } from './context.ts';
import type { ActionRunner } from './action-runner.ts';
import type { Entries } from './open-position.ts';
import { exitPnl, splitSymbol } from '../domain/fills.ts';
import type { ExchangePort } from '../exchange/port.ts';
import { forEachBounded } from './bounded.ts';

/** orders in flight looked up, and accounts reconciled, at once at a start or a takeover */
const RECOVERY_CONCURRENCY = 16;

/** for messages: 8 significant digits at most */
const round = (x: number) => Number(x.toPrecision(8));

export interface RecoveryReport {
  restored: number;
  entriesResolved: number;
  exitsResolved: number;
  stillUnknown: number;
  interruptedClaims: number;
  closedOnExchange: number;
  unknownOnExchange: number;
  /** backstops found fired on the exchange while the bot was away, each recorded as exchange_stop */
  backstopsFired: number;
}

/** close_reason of a position found closed on the exchange while we were away */
export const CLOSED_ON_EXCHANGE = 'closed_on_exchange';

export function createRecovery(ctx: EngineContext, entries: Entries, runner: ActionRunner, track: (p: PositionRecord) => void) {
  const { repos, clock, logger } = ctx;
  const tx = <T>(fn: (t: Db) => Promise<T>) => ctx.database.db.transaction((t) => fn(t as unknown as Db));

  /**
   * `owned`: whose positions to take (with several processes, the traders of the shards this one
   * just took; SPEC §12 takeover is this same recovery). Positions already monitored are skipped.
   */
  async function recover(owned: (userId: string) => boolean = () => true): Promise<RecoveryReport> {
    const report: RecoveryReport = { restored: 0, entriesResolved: 0, exitsResolved: 0, stillUnknown: 0, interruptedClaims: 0, closedOnExchange: 0, unknownOnExchange: 0, backstopsFired: 0 };
    await runner.loadBackoffs();
    const active = (await repos.positions.loadActive()).filter((p) => owned(p.userId) && !ctx.book.get(p.id));
    const claims = (await repos.executions.listClaimed()).filter((c) => owned(c.userId));
    const claimByPosition = new Map(claims.filter((c) => c.positionId).map((c) => [c.positionId!, c.id]));

    // every position is back in the monitor first (a pending order keeps its position from acting
    // twice); then the orders in flight are looked up side by side, not one after another: each
    // may wait for its exchange's horizon (a takeover of a shard with many exits in flight)
    for (const p of active) {
      if (p.status === 'pending') continue; // its entry is looked up below: opened, dropped, or still unknown
      track(p);
      report.restored++;
    }
    await forEachBounded(active, RECOVERY_CONCURRENCY, async (p) => {
      if (p.status === 'pending') {
        const result = await entries.resolve(p, claimByPosition.get(p.id) ?? null).catch((error: unknown) => {
          logger.warn({ err: error, positionId: p.id }, 'entry lookup failed; retried by the sweep');
          return { kind: 'unknown' as const, position: p };
        });
        if (result.kind === 'unknown') {
          report.stillUnknown++;
          track(p);
        } else report.entriesResolved++;
        return;
      }
      if (p.pendingAction) {
        const ok = await ctx.locks.run(p.id, () => runner.resolvePending(p)).catch(() => false);
        if (ok) report.exitsResolved++;
        else report.stillUnknown++;
      }
    });

    // a claim without a position: the crash came before any order was written, so none was sent
    const known = new Set(active.map((p) => p.id));
    for (const c of claims) {
      if (c.positionId && known.has(c.positionId)) continue;
      if (c.positionId) continue;
      await repos.executions.finish(c.id, 'failed', ['interrupted by a restart before any order was sent'], null, clock.now());
      report.interruptedClaims++;
    }

    // before the account check: a stop that fired is an exchange_stop, not closed_on_exchange; none
    // is placed yet: a position the trader closed on the exchange has no coins left to cover one
    const backstops = await ctx.backstops?.reconcile({ full: true, place: false, adopt: true });
    report.backstopsFired += backstops?.fired ?? 0;
    const accounts = new Set([...ctx.book.all()].filter((p) => owned(p.userId)).map((p) => p.accountId));
    await forEachBounded([...accounts], RECOVERY_CONCURRENCY, async (accountId) => {
      const r = await reconcileAccount(accountId).catch((error: unknown) => {
        logger.warn({ err: error, accountId }, 'reconcile failed: positions stay monitored');
        return { closed: 0, unknown: 0 };
      });
      report.closedOnExchange += r.closed;
      report.unknownOnExchange += r.unknown;
    });
    await ctx.backstops?.reconcile({ full: true, missingOnly: true }); // the positions still open get back a stop that is missing
    return report;
  }

  async function reconcileAccount(accountId: string): Promise<{ closed: number; unknown: number }> {
    const ours = [...ctx.book.all()].filter((p) => p.accountId === accountId && p.status === 'open' && !p.pendingAction);
    if (ours.length === 0) return { closed: 0, unknown: 0 };
    const port = await ctx.exchanges.forAccount(accountId);
    let closed = 0;
    let unknown = 0;
    if (port.account.mode === 'spot' || port.reportsPositions?.() === false) {
      // spot holdings (and margin where the exchange reports no positions) are balances: what we
      // think we hold of a base asset must still be there; a margin short's debt is not in the
      // balance, so a short stays open and watched
      const balance = await port.fetchBalance();
      const byBase = new Map<string, PositionRecord[]>();
      for (const p of ours.filter((x) => x.state.side === 'long')) {
        const { base } = splitSymbol(p.symbol);
        byBase.set(base, [...(byBase.get(base) ?? []), p]);
      }
      for (const [base, list] of byBase) {
        const held = balance[base]?.total ?? 0;
        const expected = list.reduce((s, p) => s + p.state.qty, 0);
        if (held >= expected * 0.01) continue;
        for (const p of list) {
          await closeMissing(p);
          closed++;
        }
      }
      return { closed, unknown };
    }
    const onExchange = await port.fetchPositions();
    for (const p of ours) {
      const match = onExchange.find((x) => x.symbol === p.symbol && x.side === p.state.side);
      if (!match || match.qty <= p.state.qtyInitial * DUST) {
        await closeMissing(p);
        closed++;
      } else if (match.liquidationPrice !== undefined && match.liquidationPrice > 0 && match.liquidationPrice !== p.state.liquidationPrice) {
        p.state = { ...p.state, liquidationPrice: match.liquidationPrice };
        ctx.book.markDirty(p.id);
      }
    }
    const first = ours[0]!;
    for (const x of onExchange) {
      if (ours.some((p) => p.symbol === x.symbol && p.state.side === x.side)) continue;
      unknown++;
      await ctx.emit(
        {
          kind: 'action_needed',
          userId: first.userId,
          accountId,
          message: `${x.symbol} ${x.side} ${x.qty} is open on ${port.account.exchange} but was not opened by the bot: it is not managed. Close or keep it on the exchange.`,
        },
        `unknown:${accountId}:${x.symbol}:${x.side}:${clock.now()}`,
      );
    }
    return { closed, unknown };
  }

  /**
   * What closed a position on the exchange while we were away: the account's fills on the exit
   * side since the position opened, not counting the exits we booked ourselves. Undefined when
   * the history is not offered or does not cover the quantity.
   */
  async function fillsOfClose(p: PositionRecord, port: ExchangePort): Promise<{ price: number; fee: number } | undefined> {
    if (!port.fetchMyTrades) return undefined;
    const ours = new Set((await repos.orders.forPosition(p.id)).flatMap((o) => (o.exchangeOrderId ? [o.exchangeOrderId] : [])));
    const exitSide = p.state.side === 'long' ? 'sell' : 'buy';
    const fills = (await port.fetchMyTrades(p.symbol, p.state.openedAt)).filter((t) => t.side === exitSide && !ours.has(t.orderId));
    let qty = 0;
    let cost = 0;
    let fee = 0;
    for (const t of fills) {
      if (qty >= p.state.qty * (1 - 1e-9)) break;
      const take = Math.min(t.qty, p.state.qty - qty);
      qty += take;
      cost += take * t.price;
      fee += t.qty > 0 ? (t.feeInQuote * take) / t.qty : 0;
    }
    // a spot sale may leave the fee-sized remainder or dust: 99 % covered is the close
    if (qty < p.state.qty * 0.99) return undefined;
    return { price: cost / qty, fee };
  }

  /** Closed on the exchange while we were away: booked at the exchange's fill prices, or at the current price (an estimate, said so). */
  async function closeMissing(p: PositionRecord): Promise<void> {
    await ctx.locks.run(p.id, async () => {
      const port = await ctx.exchanges.forAccount(p.accountId);
      const fills = await fillsOfClose(p, port).catch((error: unknown) => {
        logger.warn({ err: error, positionId: p.id }, 'trade history not read: the exit price is estimated');
        return undefined;
      });
      const price = fills?.price ?? (await port.fetchPrice(p.symbol).catch(() => p.state.lastPrice ?? p.state.entry));
      const now = clock.now();
      const pnl = exitPnl({ side: p.state.side, entry: p.state.entry, exit: price, qty: p.state.qty, qtyInitial: p.state.qtyInitial, entryFee: p.entryFee, exitFee: fills?.fee ?? 0 });
      const qty = p.state.qty;
      p.state = { ...p.state, qty: 0, closed: true };
      p.status = 'closed';
      p.closeReason = CLOSED_ON_EXCHANGE;
      p.closedAt = now;
      p.realizedPnl += pnl.net;
      p.feesPaid += fills?.fee ?? 0;
      await tx(async (t) => {
        await repos.trades.insert(
          exitTrade(p, { quantity: qty, exitPrice: price, pnl: pnl.net, fee: pnl.fee, closeReason: CLOSED_ON_EXCHANGE, source: 'reconcile', closedAt: now }),
          t,
        );
        await repos.positions.save(p, now, t);
      });
      ctx.book.remove(p.id);
      await ctx.emit(
        {
          kind: 'action_needed',
          userId: p.userId,
          accountId: p.accountId,
          positionId: p.id,
          message: fills
            ? `${p.symbol} ${p.state.side} was closed on the exchange while the bot was away; recorded as closed at ${round(price)} (the exchange's fills), P&L ${round(pnl.net)}.`
            : `${p.symbol} ${p.state.side} was closed on the exchange while the bot was away; recorded as closed (exit price estimated at ${price}).`,
        },
        `reconciled:${p.id}`,
      );
    });
  }

  /**
   * The liquidation rule reads the exchange's liquidation price: refreshed for every account with
   * margin/futures positions (at open, at start, and by the sweep about once a minute).
   */
  async function refreshLiquidationPrices(): Promise<number> {
    const leveraged = [...ctx.book.all()].filter((p) => p.status === 'open' && p.state.mode !== 'spot');
    const byAccount = new Map<string, PositionRecord[]>();
    for (const p of leveraged) byAccount.set(p.accountId, [...(byAccount.get(p.accountId) ?? []), p]);
    let updated = 0;
    for (const [accountId, list] of byAccount) {
      try {
        const port = await ctx.exchanges.forAccount(accountId);
        const onExchange = await port.fetchPositions([...new Set(list.map((p) => p.symbol))]);
        for (const p of list) {
          const liq = onExchange.find((x) => x.symbol === p.symbol && x.side === p.state.side)?.liquidationPrice;
          if (liq === undefined || !(liq > 0) || liq === p.state.liquidationPrice) continue;
          const release = ctx.locks.tryAcquire(p.id);
          if (!release) continue;
          p.state = { ...p.state, liquidationPrice: liq };
          ctx.book.markDirty(p.id);
          release();
          updated++;
        }
      } catch (error) {
        logger.warn({ err: error, accountId }, 'liquidation prices not refreshed');
      }
    }
    return updated;
  }

  return { recover, reconcileAccount, refreshLiquidationPrices };
}
