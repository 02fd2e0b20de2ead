/**
 * Protections active on each account, for /status (SPEC §9 protections). Derived from the trades
 * the protections read, the same way an entry decision derives them: at start for every account
 * with exits recent enough to matter (so a restart shows the true state at once), then again at
 * each entry decision of the account. A lock that has run out drops from the view by itself.
 */
import { accountProtections, protectionLookbackMs, type ExitFact, type ProtectionLock, type ProtectionSettings } from '../domain/protections.ts';
import { toProtectionSettings } from '../domain/settings.ts';
import type { TradeRecord } from '../db/repos/trades.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { ExchangePort } from '../exchange/port.ts';
import type { EngineContext } from './context.ts';
import { splitSymbol } from '../domain/fills.ts';

export interface ProtectedAccount {
  userId: string;
  accountId: string;
  locks: ProtectionLock[];
}

/** ms: the longest lookback the settings allow (a 90-day drawdown window; settings.ts bounds them) */
export const MAX_PROTECTION_LOOKBACK_MS = 90 * 24 * 3_600_000;

export function createProtectionState() {
  const byAccount = new Map<string, ProtectedAccount>();
  /** accounts a decision judged since start: what the start-up derivation found is older */
  const decided = new Set<string>();
  let derived: Promise<unknown> = Promise.resolve();
  return {
    /** every lock a decision found on the account (empty clears it) */
    record(userId: string, accountId: string, locks: readonly ProtectionLock[]): void {
      decided.add(accountId);
      if (locks.length === 0) byAccount.delete(accountId);
      else byAccount.set(accountId, { userId, accountId, locks: [...locks] });
    },
    /** what the start-up derivation found, unless a decision has judged the account since */
    seed(userId: string, accountId: string, locks: readonly ProtectionLock[]): void {
      if (decided.has(accountId) || locks.length === 0) return;
      byAccount.set(accountId, { userId, accountId, locks: [...locks] });
    },
    forget(accountId: string): void {
      byAccount.delete(accountId);
    },
    /** the start-up derivation under way; /status waits for it (bounded) */
    deriving(work: Promise<unknown>): void {
      derived = work.catch(() => {});
    },
    settled(): Promise<unknown> {
      return derived;
    },
    /** accounts with a lock still running at `now`, latest end first */
    active(now: number): ProtectedAccount[] {
      const out: ProtectedAccount[] = [];
      for (const [id, a] of byAccount) {
        const locks = a.locks.filter((l) => now < l.until);
        if (locks.length === 0) byAccount.delete(id);
        else out.push({ ...a, locks });
      }
      return out.sort((x, y) => Math.max(...y.locks.map((l) => l.until)) - Math.max(...x.locks.map((l) => l.until)));
    },
  };
}

export type ProtectionState = ReturnType<typeof createProtectionState>;

export function toExitFacts(rows: readonly TradeRecord[]): ExitFact[] {
  return rows.map((t) => ({ symbol: t.symbol, closedAt: t.closedAt ?? 0, pnl: t.pnl ?? 0, reason: t.closeReason ?? '' }));
}

/**
 * Every lock on the account now (accountProtections). The equity, a balance read, is asked only
 * when a drawdown can show: the drawdown guard is on and an exit lost money.
 */
export async function locksFromExits(now: number, exits: readonly ExitFact[], settings: ProtectionSettings, equity: () => Promise<number>): Promise<ProtectionLock[]> {
  if (exits.length === 0) return [];
  const drawdownPossible = settings.maxDrawdown.enabled && exits.some((e) => e.pnl < 0 && e.closedAt <= now);
  return accountProtections({ now, exits, equity: drawdownPossible ? await equity() : 0, settings });
}

/** The account's equity in `symbol`'s quote: its balance, plus its open spot positions at entry (the drawdown base). */
export async function accountEquity(ctx: EngineContext, accountId: string, port: ExchangePort, symbol: string, mine: readonly PositionRecord[]): Promise<number> {
  const { quote } = splitSymbol(symbol);
  const balance = await ctx.balances.get(accountId, port);
  const spot = mine.filter((p) => p.accountId === accountId && p.state.mode === 'spot').reduce((s, p) => s + p.state.qty * p.state.entry, 0);
  return (balance[quote]?.total ?? 0) + spot;
}

/**
 * At start: the locks of every active account with an exit within the longest lookback, from the
 * database, into `ctx.protectionLocks`. One account failing (its exchange unreachable for the
 * equity) is logged and skipped: its next entry decision derives the locks again.
 */
export async function deriveProtectionsAtStart(ctx: EngineContext): Promise<number> {
  const state = ctx.protectionLocks;
  if (!state) return 0;
  const now = ctx.clock.now();
  const accounts = await ctx.repos.trades.accountsWithExitsSince(now - MAX_PROTECTION_LOOKBACK_MS);
  let held = 0;
  for (const { userId, accountId } of accounts) {
    try {
      const settings = toProtectionSettings((await ctx.repos.settings.get(userId)).settings);
      const lookback = protectionLookbackMs(settings);
      if (lookback === 0) continue;
      const exits = toExitFacts(await ctx.repos.trades.accountExitsSince(userId, accountId, now - lookback));
      const last = exits.at(-1);
      const locks = await locksFromExits(now, exits, settings, async () =>
        accountEquity(ctx, accountId, await ctx.exchanges.forAccount(accountId), last?.symbol ?? 'BTC/USDT', ctx.book.forUser(userId)),
      );
      state.seed(userId, accountId, locks);
      if (locks.length > 0) held++;
    } catch (error) {
      ctx.logger.warn({ err: error, accountId }, 'protections of an account not derived at start; its next entry decision derives them');
    }
  }
  return held;
}
