/**
 * A signal arrives (NOTIFY, Realtime or the sweep): every user it is for is processed
 * concurrently (bounded), each exactly once thanks to the (user, signal) claim made before
 * anything else. One user's failure (bad key, exchange down) is recorded for that user only.
 */
import { FencedError } from '../db/repos/shard-leases.ts';
import { ownsUser } from './shard-leases.ts';
import type { SignalRecord } from '../db/repos/signals.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { AccountRecord } from '../db/repos/accounts.ts';
import { accountLabel } from './account-label.ts';
import { applyManualClose } from '../domain/monitor/manual.ts';
import type { EngineContext } from './context.ts';
import { userLockKey } from './keyed-lock.ts';
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
import { quirksFor } from '../exchange/quirks/index.ts';
import { EXCHANGE_IDS, type ExchangeId } from '../exchange/port.ts';
import { PERSONAL_SOURCES } from '../domain/signals.ts';
import { signalExtras, type SignalExtras } from './signal-extras.ts';

export type UserOutcome = 'executed' | 'rejected' | 'failed' | 'skipped' | 'pending';

/** a user's outcome over several accounts: the first of these that any account had */
const OUTCOME_ORDER: readonly UserOutcome[] = ['executed', 'pending', 'failed', 'rejected', 'skipped'];

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
  const inputs = repos.signalInputs;

  /**
   * `announce` (the signal sweep, run by one process for the bot, SPEC §12): a signal still lacking
   * executions of traders other processes own is announced again on the signals channel, so that
   * their owners execute it even when its first NOTIFY was missed.
   */
  async function processSignal(signal: SignalRecord, how: { announce?: boolean } = {}): Promise<CycleReport> {
    const report: CycleReport = { signalId: signal.id, executed: 0, rejected: 0, failed: 0 };
    if (signal.action.toUpperCase() === 'HOLD') return report;
    // several processes (SPEC §12): each executes the signal for the traders of the shards it owns
    const waiting = await repos.signals.usersWithoutExecution(signal);
    const userIds = waiting.filter((u) => ownsUser(ctx.ownership, u));
    if (how.announce && userIds.length < waiting.length) await repos.signals.announce(signal.id);
    if (userIds.length === 0) return report;
    const shared: Shared = {
      live: await liveSignals(ctx, options.trustedSources),
      pausedAll: await repos.controls.pausedAll(),
      sourceAccuracy: await repos.trades.sourceAccuracy(signal.source),
    };
    const results = await forEachBounded(userIds, options.concurrency, (userId) =>
      ctx.locks.run(userLockKey(userId), () => executeForUser(signal, userId, shared)),
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

  /**
   * SPEC §11: the signal trades on every enabled account of the trader that can take it, one after
   * another (each sized on its own balance, each claimed once). The user's outcome is the best of
   * its accounts' (executed > pending > failed > rejected).
   */
  async function executeForUser(signal: SignalRecord, userId: string, shared?: Shared): Promise<UserOutcome> {
    const accounts = await ctx.repos.accounts.listForUser(userId);
    const enabled = accounts.filter((a) => a.enabled);
    if (enabled.length === 0) {
      const executionId = await repos.executions.claim(userId, signal.id, null, clock.now());
      if (!executionId) return 'skipped';
      const reasons = [accounts.length === 0 ? 'no exchange account is connected' : 'every exchange account is switched off in /accounts'];
      await repos.executions.finish(executionId, 'rejected', reasons, null, clock.now());
      await ctx.emit({ kind: 'signal_rejected', userId, signalId: signal.id, symbol: signal.symbol, action: signal.action, reasons }, `rejected:${executionId}`);
      return 'rejected';
    }
    // a trader's own input (post, /signal, webhook) may carry targets and leverage beyond the row
    const extras = PERSONAL_SOURCES.includes(signal.source) ? signalExtras(await inputs.detailsForSignal(signal.id)) : null;
    const outcomes: UserOutcome[] = [];
    for (const account of enabled) {
      const label = enabled.length > 1 ? accountLabel(account) : null;
      outcomes.push(await executeOnAccount(signal, userId, account, label, shared, extras));
    }
    return OUTCOME_ORDER.find((o) => outcomes.includes(o)) ?? 'skipped';
  }

  async function executeOnAccount(signal: SignalRecord, userId: string, account: AccountRecord, label: string | null, shared?: Shared, extras?: SignalExtras | null): Promise<UserOutcome> {
    const executionId = await repos.executions.claim(userId, signal.id, account.id, clock.now());
    if (!executionId) return 'skipped';
    const named = (reasons: string[]) => (label ? reasons.map((r) => `${label}: ${r}`) : reasons);
    const reject = async (reasons: string[], positionId: string | null = null): Promise<UserOutcome> => {
      await repos.executions.finish(executionId, 'rejected', reasons, positionId, clock.now());
      await ctx.emit({ kind: 'signal_rejected', userId, signalId: signal.id, symbol: signal.symbol, action: signal.action, reasons: named(reasons) }, `rejected:${executionId}`);
      return 'rejected';
    };
    const fail = async (message: string): Promise<UserOutcome> => {
      await repos.executions.finish(executionId, 'failed', [message], null, clock.now());
      await ctx.emit({ kind: 'order_failed', userId, symbol: signal.symbol, message: named([message])[0]! }, `failed:${executionId}`);
      return 'failed';
    };
    try {
      const pausedAll = shared ? shared.pausedAll : await repos.controls.pausedAll();
      if (pausedAll || (await repos.controls.isUserPaused(userId))) return await reject(['trading is paused']);
      const read = await repos.settings.get(userId);
      const settings = { ...read.settings, mode: account.mode };
      const symbol = marketSymbol(signal.symbol, account.mode, (EXCHANGE_IDS as readonly string[]).includes(account.exchange) ? quirksFor(account.exchange as ExchangeId) : undefined);
      const port = await ctx.exchanges.forAccount(account.id);
      const decide = () =>
        decideEntry(ctx, {
          signal,
          symbol,
          userId,
          accountId: account.id,
          settings,
          port,
          exchange: account.exchange,
          trustedSources: options.trustedSources,
          candles: options.candles,
          live: shared?.live,
          sourceAccuracy: shared?.sourceAccuracy,
          leverageCap: extras?.leverage,
        });
      let decision = await decide();
      let reversed: PositionRecord | null = null;
      if (decision.kind === 'reverse') {
        const closed = await closeForReverse(decision.position);
        if (closed !== null) return await fail(`The open ${decision.position.state.side} of ${symbol} was not closed: ${closed}`);
        reversed = decision.position;
        const note = `closed the open ${reversed.state.side} of ${symbol} (opposite signal)`;
        if (!decision.reopen) {
          await repos.executions.finish(executionId, 'executed', [note], reversed.id, clock.now());
          return 'executed';
        }
        decision = await decide();
        if (decision.kind === 'reject') return await reject([note, ...decision.reasons], reversed.id);
      }
      if (decision.kind === 'reject') return await reject(decision.reasons);
      if (decision.kind === 'reverse') return await reject(['the open position of this symbol is still open']);
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
          marginMode: account.marginMode,
          settings,
          concentration: decision.concentration,
          targets: extras?.targets ?? [],
        },
        port,
      );
      if (result.kind === 'opened') return 'executed';
      if (result.kind === 'unknown') return 'pending';
      await ctx.emit({ kind: 'order_failed', userId, symbol, message: named([`Entry not placed: ${result.message}`])[0]! }, `failed:${executionId}`);
      return 'failed';
    } catch (error) {
      // the trader's shard went to another process: nothing of this is written here (its owner decides)
      if (error instanceof FencedError) {
        await repos.executions.release(executionId).catch(() => {});
        throw error;
      }
      return fail(error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * SPEC §3 rule 7: an opposite signal closes the account's open position of the symbol through
   * the runner (exit reason signal_reverse). Null when it closed, else why not.
   */
  async function closeForReverse(p: PositionRecord): Promise<string | null> {
    return ctx.locks.run(p.id, async () => {
      if (p.status !== 'open' || p.pendingAction) return 'an order of it is still in progress';
      const price = feedOf(ctx.feeds, p)?.lastTick(p.symbol)?.price ?? p.state.lastPrice ?? p.state.entry;
      const summary = await runner.run(p, applyManualClose(p.state, 1, price, clock.now(), 'signal_reverse'), 'signal', { force: true });
      return isClosed(p) ? null : (summary.error ?? 'the exchange did not fill the close');
    });
  }

  return { processSignal, executeForUser };
}

export type SignalProcessor = ReturnType<typeof createSignalProcessor>;

/** read after an await: the runner changes the status */
function isClosed(p: PositionRecord): boolean {
  return p.status === 'closed';
}
