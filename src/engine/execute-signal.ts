/**
 * A signal arrives (NOTIFY, Realtime or the sweep): every user it is for is processed
 * concurrently (bounded), each exactly once thanks to the (user, signal) claim made before
 * anything else. One user's failure (bad key, exchange down) is recorded for that user only.
 */
import type { SignalRecord } from '../db/repos/signals.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import { applyManualClose } from '../domain/monitor/manual.ts';
import type { EngineContext } from './context.ts';
import { feedOf } from './ports.ts';
import type { ActionRunner } from './action-runner.ts';
import { forEachBounded } from './bounded.ts';
import { decideEntry, liveSignals, type CandleSource, type LiveSignals } from './decide-entry.ts';

/** read once per signal, for all its users */
interface Shared {
  live: LiveSignals;
  pausedAll: boolean;
  sourceAccuracy: number | null;
}
import type { Entries } from './open-position.ts';
import { marketSymbol } from './market-symbol.ts';

export type UserOutcome = 'executed' | 'rejected' | 'failed' | 'skipped' | 'pending';

export interface CycleReport {
  signalId: string;
  executed: number;
  rejected: number;
  failed: number;
}

export interface SignalProcessorOptions {
  trustedSources: readonly string[];
  /** users processed at once for one signal */
  concurrency: number;
  candles?: CandleSource | undefined;
}

export function createSignalProcessor(ctx: EngineContext, entries: Entries, runner: ActionRunner, options: SignalProcessorOptions) {
  const { repos, clock, logger } = ctx;

  async function processSignal(signal: SignalRecord): Promise<CycleReport> {
    const report: CycleReport = { signalId: signal.id, executed: 0, rejected: 0, failed: 0 };
    if (signal.action.toUpperCase() === 'HOLD') return report;
    const userIds = await repos.signals.usersWithoutExecution(signal);
    if (userIds.length === 0) return report;
    const shared: Shared = {
      live: await liveSignals(ctx, options.trustedSources),
      pausedAll: await repos.controls.pausedAll(),
      sourceAccuracy: await repos.trades.sourceAccuracy(signal.source),
    };
    const results = await forEachBounded(userIds, options.concurrency, (userId) =>
      ctx.locks.run(`user:${userId}`, () => executeForUser(signal, userId, shared)),
    );
    for (const [i, r] of results.entries()) {
      const outcome = r.ok ? r.value : 'failed';
      if (!r.ok) logger.error({ err: r.error, userId: userIds[i], signalId: signal.id }, 'signal execution failed');
      if (outcome === 'executed') report.executed++;
      else if (outcome === 'rejected') report.rejected++;
      else if (outcome === 'failed') report.failed++;
    }
    return report;
  }

  async function executeForUser(signal: SignalRecord, userId: string, shared?: Shared): Promise<UserOutcome> {
    const accounts = await ctx.repos.accounts.listForUser(userId);
    const account = accounts[0];
    const executionId = await repos.executions.claim(userId, signal.id, account?.id ?? null, clock.now());
    if (!executionId) return 'skipped';
    const reject = async (reasons: string[]): Promise<UserOutcome> => {
      await repos.executions.finish(executionId, 'rejected', reasons, null, clock.now());
      await ctx.emit({ kind: 'signal_rejected', userId, signalId: signal.id, symbol: signal.symbol, action: signal.action, reasons }, `rejected:${executionId}`);
      return 'rejected';
    };
    const fail = async (message: string): Promise<UserOutcome> => {
      await repos.executions.finish(executionId, 'failed', [message], null, clock.now());
      await ctx.emit({ kind: 'order_failed', userId, symbol: signal.symbol, message }, `failed:${executionId}`);
      return 'failed';
    };
    try {
      if (!account) return await reject(['no active exchange account']);
      const pausedAll = shared ? shared.pausedAll : await repos.controls.pausedAll();
      if (pausedAll || (await repos.controls.isUserPaused(userId))) return await reject(['trading is paused']);
      const read = await repos.settings.get(userId);
      const settings = { ...read.settings, mode: account.mode };
      const symbol = marketSymbol(signal.symbol, account.mode);
      const port = await ctx.exchanges.forAccount(account.id);
      const decision = await decideEntry(ctx, {
        signal,
        symbol,
        userId,
        settings,
        port,
        exchange: account.exchange,
        trustedSources: options.trustedSources,
        candles: options.candles,
        live: shared?.live,
        sourceAccuracy: shared?.sourceAccuracy,
      });
      if (decision.kind === 'reject') return await reject(decision.reasons);
      if (decision.kind === 'close_long') return await closeLongs(executionId, userId, symbol);
      const result = await entries.place(
        {
          executionId,
          signalId: signal.id,
          userId,
          accountId: account.id,
          exchange: account.exchange,
          isPaper: account.isPaper,
          symbol,
          side: decision.side,
          qty: decision.qty,
          price: decision.price,
          stopLoss: decision.stopLoss,
          takeProfit: decision.takeProfit,
          leverage: decision.leverage,
          settings,
          concentration: decision.concentration,
        },
        port,
      );
      if (result.kind === 'opened') return 'executed';
      if (result.kind === 'unknown') return 'pending';
      await ctx.emit({ kind: 'order_failed', userId, symbol, message: `Entry not placed: ${result.message}` }, `failed:${executionId}`);
      return 'failed';
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
  }

  /** Spot SELL with an open long: close the long(s) of that symbol through the runner. */
  async function closeLongs(executionId: string, userId: string, symbol: string): Promise<UserOutcome> {
    const longs = ctx.book.forUser(userId).filter((p: PositionRecord) => p.symbol === symbol && p.state.side === 'long' && p.status === 'open');
    for (const p of longs) {
      await ctx.locks.run(p.id, async () => {
        if (p.status !== 'open' || p.pendingAction) return;
        const price = feedOf(ctx.feeds, p)?.lastTick(p.symbol)?.price ?? p.state.lastPrice ?? p.state.entry;
        await runner.run(p, applyManualClose(p.state, 1, price, clock.now()), 'signal');
      });
    }
    await repos.executions.finish(executionId, 'executed', ['closed the open long (spot SELL)'], longs[0]?.id ?? null, clock.now());
    return 'executed';
  }

  return { processSignal, executeForUser };
}

export type SignalProcessor = ReturnType<typeof createSignalProcessor>;
