/**
 * The backstop (SPEC §10): one protective stop per live position, resting on the exchange, so a
 * crashed bot, a dead host or a lost database never leaves a position unprotected. The bot's
 * monitor stays the real stop; the backstop sits beyond it (never inside it) and inside the
 * liquidation price.
 *
 * - Placed right after the entry fills; its client id is derived from the position id and a
 *   sequence number, so a lost answer is found by lookup.
 * - Moved only on events, never on ticks: a fill (resized), the stop moved to breakeven or by the
 *   trader, the trailing stop passing a step of at least 1 % of price (checked by the sweep, in
 *   memory) — at most once per 60 s per position. A replacement is placed before the old stop is
 *   cancelled, except where the stop holds the coins (spot stop-limit): there it is cancelled first.
 * - Where the stop locks the coins, a sell shrinks it first and restores it if the sell fails.
 * - Cancelled when the position closes, before the close is recorded. Reconciliation (at start
 *   and every few minutes) cancels backstops of closed positions and records one that fired while
 *   the bot was away: reason `exchange_stop`, P&L from the exchange's fill, one alert.
 * - A refused backstop never closes the position: the trader is told once and it is retried.
 */
import { ownsUser } from './shard-leases.ts';
import type { PositionRecord, StoredBackstop } from '../db/repos/positions.ts';
import { isExchangeError, type ExchangePort, type StopOrderState } from '../exchange/port.ts';
import type { EngineContext } from './context.ts';
import { positionRef } from './action-runner.ts';
import { exitPnl, remainingQty } from '../domain/fills.ts';
import { createFiredRecorder } from './backstop-fired.ts';
import { BACKSTOP_BUFFER, BACKSTOP_MIN_MOVE_MS, BACKSTOP_RECONCILE_MS, BACKSTOP_STEP, backstopClientId, backstopPrice, CLOSE_TOLERANCE, QTY_TOLERANCE } from '../domain/backstop.ts';
import { DatabaseUnavailableError } from './db-health.ts';

export { BACKSTOP_BUFFER, BACKSTOP_DEFAULT_DISTANCE, BACKSTOP_MIN_MOVE_MS, BACKSTOP_RECONCILE_MS, BACKSTOP_STEP, backstopClientId, backstopPrice } from '../domain/backstop.ts';

export interface BackstopDeps {
  /** the position closed (fired stop): drop it from the book and the feed */
  onClosed(p: PositionRecord): void;
}

export function createBackstops(ctx: EngineContext, deps: BackstopDeps) {
  const { repos, clock, logger } = ctx;
  let reconciledAt = Number.NEGATIVE_INFINITY;
  const recordFired = createFiredRecorder(ctx, deps.onClosed);

  async function portOf(p: PositionRecord): Promise<ExchangePort | undefined> {
    const port = await ctx.exchanges.forAccount(p.accountId);
    return port.backstopTraits?.() && port.placeStop && port.cancelStop && port.fetchStop ? port : undefined;
  }

  /** Positions whose backstop changed while the database was down: written when it is back. */
  const unsaved = new Set<PositionRecord>();

  async function store(p: PositionRecord, b: StoredBackstop): Promise<void> {
    p.backstop = b;
    try {
      await ctx.health.bounded(() => repos.positions.saveBackstop(p.id, b));
      unsaved.delete(p);
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      unsaved.add(p); // the exchange has the stop; the row follows when the database is back
    }
  }

  /** After a database outage: the stops moved meanwhile are written. */
  async function saveUnsaved(): Promise<void> {
    for (const p of [...unsaved]) {
      if (p.backstop) await repos.positions.saveBackstop(p.id, p.backstop);
      unsaved.delete(p);
    }
  }

  /** Told once per problem; the next success clears it. `placing`: a stop whose answer was lost, looked up later. */
  async function refused(p: PositionRecord, seq: number, problem: string, placing: string | null = null): Promise<void> {
    const prior = p.backstop;
    const told = prior?.status === 'missing' && prior.problem === problem && prior.told;
    const b: StoredBackstop = { status: 'missing', seq, clientOrderId: null, orderId: null, stopPrice: null, qty: 0, movedAt: clock.now(), problem, told: true, placing };
    await store(p, b);
    logger.warn({ positionId: p.id, problem }, 'backstop not placed');
    if (!told) {
      await ctx.emit(
        { kind: 'action_needed', userId: p.userId, accountId: p.accountId, positionId: p.id, message: `${p.symbol} ${p.state.side} is not protected on the exchange: ${problem} The bot still watches it and retries the stop.` },
        `backstop:${p.id}:${seq}`,
      );
    }
  }

  function describe(error: unknown, stopPrice: number): string {
    if (isExchangeError(error, 'INVALID_ORDER')) return `the exchange refused a stop at ${stopPrice} (too far from or already past the price).`;
    if (isExchangeError(error, 'INSUFFICIENT_FUNDS')) return `the exchange says the coins to cover a stop at ${stopPrice} are not free.`;
    if (isExchangeError(error)) return error.message;
    return error instanceof Error ? error.message : String(error);
  }

  async function cancelOn(port: ExchangePort, p: PositionRecord, b: StoredBackstop): Promise<boolean> {
    if (b.status !== 'live' || !b.clientOrderId) return true;
    try {
      await port.cancelStop!(p.symbol, b.orderId ? { id: b.orderId } : { clientOrderId: b.clientOrderId });
      return true;
    } catch (error) {
      logger.warn({ err: error, positionId: p.id }, 'backstop cancel failed; reconciliation retries');
      return false;
    }
  }

  /**
   * Places the backstop for `qty` at the current level, replacing a live one: a new stop before
   * the old is cancelled, or (where the stop locks the coins) the old cancelled first.
   */
  async function replace(p: PositionRecord, qty = p.state.qty): Promise<void> {
    const port = await portOf(p);
    if (port && !(await settlePlacing(port, p))) return;
    const prior = p.backstop ?? null;
    const seq = (prior?.seq ?? 0) + 1;
    if (!port) {
      // not offered on this venue and mode: kept in memory only (/positions says so; no alert, no write per position)
      if (!prior) p.backstop = { ...emptyBackstop(), movedAt: clock.now(), problem: `the bot places no stop on ${p.exchange} ${p.state.mode}.`, told: true };
      return;
    }
    const { locksBalance: locks, amendable } = port.backstopTraits!()!;
    if (prior?.status === 'live' && prior.clientOrderId && qty > 0 && amendable && port.amendStop && (await amend(port, p, prior, qty))) return;
    if (prior?.status === 'live' && locks && !(await cancelOn(port, p, prior))) return;
    if (!(qty > 0)) {
      if (prior?.status === 'live' && !locks) await cancelOn(port, p, prior);
      await store(p, { ...(prior ?? emptyBackstop()), status: 'cancelled', movedAt: clock.now() });
      return;
    }
    const stopPrice = backstopPrice(p.state);
    const clientOrderId = backstopClientId(p.id, seq);
    // written ahead: a kill before the outcome is stored leaves the client id to look up, never an
    // unknown stop on the exchange (one that would lock the coins, or fire unrecorded)
    await store(p, { ...(prior ?? emptyBackstop()), seq, placing: clientOrderId });
    let placed: StopOrderState;
    try {
      placed = await port.placeStop!({ symbol: p.symbol, side: p.state.side, qty, stopPrice, clientOrderId });
    } catch (error) {
      const lost = answerLost(error) ? clientOrderId : null;
      if (prior?.status === 'live' && !locks) return keepOld(p, { ...prior, seq, placing: lost }, error);
      await refused(p, seq, describe(error, stopPrice), lost);
      return;
    }
    if (prior?.status === 'live' && !locks) await cancelOn(port, p, prior);
    await store(p, { status: 'live', seq, clientOrderId, orderId: placed.id, stopPrice: placed.stopPrice, qty: placed.qty, basisStopLoss: p.state.stopLoss, movedAt: clock.now(), problem: null, told: false, placing: null });
  }

  /**
   * A stop whose placement outcome was never stored, looked up by its client id (`seq`: its number
   * in the position's sequence): the write-ahead `placing` id after a kill or a lost answer, or at
   * start the next id of the sequence, where even that write may have been lost. Resting → it
   * becomes the live stop; fired → its exit is recorded; either way the older stop it was to
   * replace comes off first (never two of ours resting). Absent → the placing id is forgotten.
   * 'retry': the older stop could not be cancelled (or the lookup failed: it throws); tried again later.
   */
  async function settleUnrecorded(port: ExchangePort, p: PositionRecord, clientOrderId: string, seq: number): Promise<'adopted' | 'fired' | 'none' | 'retry'> {
    const b = p.backstop;
    const seen = await port.fetchStop!(p.symbol, { clientOrderId });
    if (!seen || !(seen.status === 'open' || (seen.status === 'closed' && seen.fill))) {
      if (b?.placing) await store(p, { ...b, placing: null });
      return 'none';
    }
    const older = b?.status === 'live' && b.clientOrderId !== clientOrderId ? b : undefined;
    if (older && !(await cancelOn(port, p, older))) return 'retry';
    logger.warn({ positionId: p.id, clientOrderId, status: seen.status }, 'found a backstop whose placement was never recorded');
    const found: StoredBackstop = { status: 'live', seq, clientOrderId, orderId: seen.id, stopPrice: seen.stopPrice, qty: seen.qty, basisStopLoss: p.state.stopLoss, movedAt: clock.now(), problem: null, told: false, placing: null };
    await store(p, found);
    if (seen.status === 'open') return 'adopted';
    await recordFired(p, found, seen);
    return 'fired';
  }

  /** Before anything is placed: a write-ahead placing is settled first. False when the position is closed by it or it waits. */
  async function settlePlacing(port: ExchangePort, p: PositionRecord): Promise<boolean> {
    const b = p.backstop;
    if (!b?.placing) return true;
    const outcome = await settleUnrecorded(port, p, b.placing, b.seq);
    return outcome !== 'retry' && !isClosed(p);
  }

  /**
   * Moves the live stop in place (one call, never a moment with two stops or none). False when the
   * exchange no longer holds it: then a new one is placed as where nothing can be amended.
   */
  async function amend(port: ExchangePort, p: PositionRecord, prior: StoredBackstop, qty: number): Promise<boolean> {
    const stopPrice = backstopPrice(p.state);
    const clientOrderId = prior.clientOrderId!;
    let amended: StopOrderState | undefined;
    try {
      amended = await port.amendStop!(p.symbol, prior.orderId ? { id: prior.orderId } : { clientOrderId }, { symbol: p.symbol, side: p.state.side, qty, stopPrice, clientOrderId });
    } catch (error) {
      await keepOld(p, prior, error);
      return true;
    }
    if (!amended) return false;
    await store(p, { ...prior, status: 'live', orderId: amended.id || prior.orderId, stopPrice: amended.stopPrice, qty: amended.qty, basisStopLoss: p.state.stopLoss, movedAt: clock.now(), problem: null, told: false });
    return true;
  }

  /** no answer came (the request may have reached the exchange): the stop's client id is looked up later */
  function answerLost(error: unknown): boolean {
    return !isExchangeError(error) || error.code === 'NETWORK' || error.code === 'TIMEOUT' || error.code === 'EXCHANGE_UNAVAILABLE';
  }

  /** A refused move keeps the old stop (still protective); retried after the next interval. */
  async function keepOld(p: PositionRecord, prior: StoredBackstop, error: unknown): Promise<void> {
    logger.warn({ err: error, positionId: p.id }, 'backstop move refused; the old stop stays');
    await store(p, { ...prior, movedAt: clock.now() });
  }

  /** Right after the entry filled. */
  async function afterEntry(p: PositionRecord): Promise<void> {
    await guard(p, () => replace(p));
  }

  /**
   * Before a sell of `qty`: where the stop holds the coins it shrinks to what remains. A stop the
   * price gapped through may have fired already: then that exit is recorded and nothing is sold
   * (the caller reads the position's status).
   */
  async function beforeExit(p: PositionRecord, qty: number): Promise<void> {
    await guard(p, async () => {
      const port = await portOf(p);
      if (port && !(await settlePlacing(port, p))) return;
      const b = p.backstop;
      if (b?.status !== 'live') return;
      if (!port || !b.clientOrderId) return;
      const locks = port.backstopTraits!()!.locksBalance;
      // a stop that holds the coins is cancelled first; a reduce-only one only when the price came
      // near it (else, in hedge mode, a fired stop and our close would both take from a shared side)
      if (!locks && !mayHaveFired(p, b)) return;
      const cancelled = await port.cancelStop!(p.symbol, b.orderId ? { id: b.orderId } : { clientOrderId: b.clientOrderId });
      if (cancelled === undefined && (await firedCheck(port, p, b))) return;
      await store(p, { ...b, status: 'cancelled', movedAt: clock.now() });
      if (!locks) return; // placed again for what remains after the fill (resize), or restored if the sell fails
      const remaining = Math.max(0, p.state.qty - qty);
      await replace(p, remaining > p.state.qtyInitial * CLOSE_TOLERANCE ? remaining : 0);
    });
  }

  /** After an exit fill or a refused exit: the stop covers what is held (resized or restored). */
  async function resize(p: PositionRecord): Promise<void> {
    await guard(p, async () => {
      if (p.status === 'closed') return;
      const b = p.backstop;
      // a refused exit after a gap: the exchange's stop may have closed the position already
      if (b?.status === 'live' && mayHaveFired(p, b)) {
        const port = await portOf(p);
        if (port && (await firedCheck(port, p, b)) && isClosed(p)) return;
      }
      if (b?.status === 'live' && Math.abs(b.qty - p.state.qty) <= p.state.qty * QTY_TOLERANCE && !(stopLossChanged(p, b) && levelMoved(p, b))) return;
      if (p.state.qty <= 0) return;
      await replace(p);
    });
  }

  /**
   * An exit the exchange refused (a reduce-only close with nothing left to reduce): the backstop
   * may have fired at a price the feed never showed. True when it had, and its exit is recorded.
   */
  async function firedInstead(p: PositionRecord): Promise<boolean> {
    const b = p.backstop;
    if (b?.status !== 'live' || p.state.mode === 'spot') return false; // a spot stop was cancelled before the sell
    const port = await portOf(p).catch(() => undefined);
    return port !== undefined && (await firedCheck(port, p, b).catch(() => false));
  }

  /** The position is closing: the stop comes off before the close is recorded. */
  async function cancel(p: PositionRecord): Promise<void> {
    await guard(p, async () => {
      const port = await portOf(p);
      if (port && p.backstop?.placing) await cancelPlacing(port, p);
      const b = p.backstop;
      if (b?.status !== 'live') return;
      if (!port) return;
      // a failed cancel stays 'live' on the closed position: reconciliation cancels it later
      if (await cancelOn(port, p, b)) await store(p, { ...b, status: 'cancelled', movedAt: clock.now() });
    });
  }

  /** The trader (or breakeven) moved the stop: the backstop follows, at most once per interval. */
  async function onStopMoved(p: PositionRecord): Promise<void> {
    await guard(p, async () => {
      const b = p.backstop;
      if (b?.status === 'live' && clock.now() - b.movedAt < BACKSTOP_MIN_MOVE_MS) return; // the sweep moves it once the interval passed
      if (b?.status === 'live' && !levelMoved(p, b)) return;
      await replace(p);
    });
  }

  /** the wanted level differs from the placed one by at least a tick's worth (any direction: the trader may loosen) */
  function levelMoved(p: PositionRecord, b: StoredBackstop): boolean {
    if (b.stopPrice === null) return true;
    return Math.abs(backstopPrice(p.state) - b.stopPrice) > b.stopPrice * 1e-6;
  }

  /** the bot's stop loss (breakeven, the trader) changed since the backstop was placed */
  function stopLossChanged(p: PositionRecord, b: StoredBackstop): boolean {
    return (b.basisStopLoss ?? null) !== p.state.stopLoss;
  }

  /** The trailing stop passed a step: worth an exchange call (protective direction only). */
  function trailingStepPassed(p: PositionRecord, b: StoredBackstop): boolean {
    if (b.stopPrice === null) return false;
    const wanted = backstopPrice(p.state);
    const gain = p.state.side === 'long' ? wanted - b.stopPrice : b.stopPrice - wanted;
    return gain >= b.stopPrice * BACKSTOP_STEP;
  }

  /**
   * The sweep's part (every monitor sweep, never per tick): moves due after a step or a changed
   * level (at most once per interval), and a reconciliation every few minutes.
   */
  async function sweep(): Promise<void> {
    const now = clock.now();
    for (const p of [...ctx.book.all()]) {
      if (p.status !== 'open' || p.pendingAction || p.state.qty <= 0) continue;
      const b = p.backstop;
      if (!b || now - b.movedAt < BACKSTOP_MIN_MOVE_MS) continue;
      const due = b.status === 'live' && (trailingStepPassed(p, b) || (stopLossChanged(p, b) && levelMoved(p, b))); // a missing one is retried by reconciliation and on events
      if (!due) continue;
      await ctx.locks.run(p.id, async () => {
        if (p.status === 'open' && !p.pendingAction) await guard(p, () => replace(p));
      });
    }
    if (now - reconciledAt >= BACKSTOP_RECONCILE_MS) await reconcile({ full: false });
  }

  /**
   * While the bot watches a position, its own stop sits before the backstop: a live backstop is
   * only looked up when the last price came past the bot's stop, near it (or none was seen).
   */
  function mayHaveFired(p: PositionRecord, b: StoredBackstop): boolean {
    const last = p.state.lastPrice;
    if (last === null || last === undefined || b.stopPrice === null) return true;
    const room = p.state.side === 'long' ? last - b.stopPrice : b.stopPrice - last;
    return room <= b.stopPrice * BACKSTOP_BUFFER * 2;
  }

  /**
   * At start (full) and every few minutes: backstops of closed positions are cancelled; a stop
   * that fired while the bot was away is recorded once as `exchange_stop`; one that vanished (or
   * was refused) is placed again. The periodic pass looks up only stops the price came near.
   */
  async function reconcile(options: { full: boolean; place?: boolean; missingOnly?: boolean; adopt?: boolean } = { full: true }): Promise<{ fired: number; cancelled: number; placed: number }> {
    const place = options.place ?? true;
    reconciledAt = clock.now();
    const out = { fired: 0, cancelled: 0, placed: 0 };
    for (const p of (await repos.positions.listClosedWithLiveBackstop().catch(() => [])).filter((x) => ownsUser(ctx.ownership, x.userId))) {
      const port = await portOf(p).catch(() => undefined);
      if (port && p.backstop?.placing) await guard(p, () => cancelPlacing(port, p));
      if (port && p.backstop?.status === 'live' && (await cancelOn(port, p, p.backstop))) {
        await store(p, { ...p.backstop, status: 'cancelled', movedAt: clock.now() });
        out.cancelled++;
      }
    }
    for (const p of [...ctx.book.all()]) {
      if (p.status !== 'open' || p.pendingAction) continue;
      await ctx.locks.run(p.id, () =>
        guard(p, async () => {
          if (p.status !== 'open' || p.pendingAction) return;
          // a placement written ahead is looked up by its client id; where even that write may
          // have been lost, the next id of the sequence is looked up at start (see unrecordedLookup)
          const lookup = unrecordedLookup(p, options.adopt === true);
          if (lookup) {
            const port = await portOf(p);
            const outcome = port ? await settleUnrecorded(port, p, lookup.clientOrderId, lookup.seq) : 'none';
            if (outcome === 'fired') out.fired++;
            if (outcome === 'retry' || outcome === 'adopted' || isClosed(p)) return;
          }
          const b = p.backstop;
          if (b?.status === 'live' && !options.full && !mayHaveFired(p, b)) return;
          if (b?.status === 'live' && options.missingOnly) return; // just looked up
          if (b?.status === 'live' && b.clientOrderId) {
            const port = await portOf(p);
            if (!port) return;
            const seen = await port.fetchStop!(p.symbol, { clientOrderId: b.clientOrderId });
            if (seen?.status === 'open') return;
            if (seen?.status === 'closed' && seen.fill) {
              await recordFired(p, b, seen);
              out.fired++;
              if (isClosed(p)) return;
            }
            // gone without firing (the trader cancelled it to sell?): not placed again until the
            // account check has seen the coins still held, or the retry would tell a false alarm
            if (!place) return store(p, { ...b, status: 'cancelled', movedAt: clock.now() });
          }
          if (!place) return;
          await replace(p);
          if (p.backstop?.status === 'live') out.placed++;
        }),
      );
    }
    return out;
  }

  /**
   * Which client id to look up for a stop that may rest on the exchange unrecorded: the write-ahead
   * placing id; at start (`atStart`) otherwise the next id of the sequence, for every position. The
   * start-up lookup is not narrowed to positions whose last write failed: a write can be lost
   * without this process seeing a failure (a database restored from a backup, a failover to a
   * replica behind the primary, a DATA_DIR that did not survive a redeploy), and a missed stop
   * would fire unrecorded or lock the coins. It costs one lookup per open position per start.
   */
  function unrecordedLookup(p: PositionRecord, atStart: boolean): { clientOrderId: string; seq: number } | null {
    const b = p.backstop;
    if (b?.placing) return { clientOrderId: b.placing, seq: b.seq };
    if (!atStart) return null;
    const seq = (b?.seq ?? 0) + 1;
    return { clientOrderId: backstopClientId(p.id, seq), seq };
  }

  /** A closed position's stop whose placement was never stored: taken off if it rests, then forgotten. */
  async function cancelPlacing(port: ExchangePort, p: PositionRecord): Promise<void> {
    const b = p.backstop!;
    const seen = await port.fetchStop!(p.symbol, { clientOrderId: b.placing! });
    if (seen?.status === 'open') await port.cancelStop!(p.symbol, { id: seen.id });
    else if (seen?.status === 'closed' && seen.fill) {
      logger.error({ positionId: p.id, clientOrderId: b.placing }, 'a stop placed as the position closed has fired');
      await ctx.emit(
        { kind: 'action_needed', userId: p.userId, accountId: p.accountId, positionId: p.id, message: `A protective stop for ${p.symbol} placed as the position closed has fired on the exchange (${seen.fill.filledQty} at ${seen.fill.avgPrice}). Check the account's holdings.` },
        `backstop-late:${b.placing}`,
      );
    }
    await store(p, { ...b, placing: null });
  }

  /** Looks the live stop up; when it fired, records that exit. True when it had fired. */
  async function firedCheck(port: ExchangePort, p: PositionRecord, b: StoredBackstop): Promise<boolean> {
    if (!b.clientOrderId) return false;
    const seen = await port.fetchStop!(p.symbol, { clientOrderId: b.clientOrderId });
    if (seen?.status !== 'closed' || !seen.fill) return false;
    await recordFired(p, b, seen);
    return true;
  }

  /** one failing exchange or database call never breaks the caller's exit: logged, retried by reconciliation */
  async function guard(p: PositionRecord, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      logger.warn({ err: error, positionId: p.id }, 'backstop step failed; reconciliation retries');
    }
  }

  return { afterEntry, beforeExit, resize, cancel, firedInstead, onStopMoved, sweep, reconcile, saveUnsaved };
}

/** read after an await: recording a fired stop changes the status */
function isClosed(p: PositionRecord): boolean {
  return p.status === 'closed';
}

function emptyBackstop(): StoredBackstop {
  return { status: 'missing', seq: 0, clientOrderId: null, orderId: null, stopPrice: null, qty: 0, movedAt: 0, problem: null, told: false };
}

export type Backstops = ReturnType<typeof createBackstops>;
