/** EngineFacade: what the Telegram layer calls. Reads come from the book and the repos; actions go to controls. */
import { accountLabel, accountQuote } from './account-label.ts';
import { splitSymbol } from '../domain/fills.ts';
import { mergeSignalViews } from './input-views.ts';
import { toMonitorSettings } from '../domain/settings.ts';
import { baseAsset, DEFAULT_PORTFOLIO_LIMITS, herfindahl, type Holding } from '../domain/portfolio.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { AccountRecord } from '../db/repos/accounts.ts';
import { exchangeName } from '../exchange/quirks/index.ts';
import { isExchangeError, type ExchangeAccount, type ExchangePort, type TradingMode } from '../exchange/port.ts';
import type { EngineContext } from './context.ts';
import { userLockKey } from './keyed-lock.ts';
import { ownsUser } from './shard-leases.ts';
import type { Controls } from './controls.ts';
import type {
  AccountChange,
  Actor,
  BalanceView,
  DailyReport,
  EngineFacade,
  PerformanceReport,
  EngineStatus,
  KeyCheck,
  PnlReport,
  SignalOutcome,
  SignalView,
} from './facade.ts';
import { toTradeView } from './views.ts';
import { createTraderDesk } from './trader-desk.ts';

const PERIOD_MS = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 } as const;

export interface FacadeDeps {
  ctx: EngineContext;
  controls: Controls;
  createExchange: (account: ExchangeAccount) => ExchangePort | Promise<ExchangePort>;
  startedAt: () => number;
  /** SPEC §12: the processes sharing the database, for /status */
  processes?: () => Promise<import('./facade.ts').ProcessStatus[]>;
  lastCycle: () => { at: number; signals: number; executed: number; rejected: number } | null;
  marketData: () => EngineStatus['marketData'];
  outboxDepth?: (() => Promise<number>) | undefined;
  /** exits sent while the database was down, not yet recorded */
  exitsAwaitingRecord: () => number;
  /** ADMIN_TELEGRAM_IDS */
  adminIds?: readonly number[];
  /** the council's state for /status (absent: the council is off) */
  council?: (() => import('./facade.ts').CouncilStatus) | undefined;
}

const NOT_YOURS = { ok: false, code: 'not_owner', message: 'This position belongs to someone else.' } as const;

export function createFacade(deps: FacadeDeps): EngineFacade {
  const { ctx, controls } = deps;
  const { repos, book, clock } = ctx;

  const open = (p: PositionRecord) => p.status !== 'closed' && p.status !== 'pending';
  const { actsFor, ...desk } = createTraderDesk({ users: repos.users, settings: repos.traderSettings, recipients: repos.recipients, audit: repos.audit, controls: repos.controls, clock, adminIds: deps.adminIds ?? [] });
  /**
   * The trader's positions: from the monitor's book where this process owns the trader, else as
   * the owner last wrote them (SPEC §12: a stop the trader moved is written at once, the monitor's
   * own changes within a flush, 5 s)
   */
  const heldPositions = async (userId: string): Promise<PositionRecord[]> => (ownsUser(ctx.ownership, userId) ? book.forUser(userId) : repos.positions.listForUser(userId));
  const refused = async (actor: Actor, action: string, target: string) => {
    await desk.recordAudit(actor, `${action}.refused`, target, { reason: 'not_owner' });
    return NOT_YOURS;
  };

  return {
    ...desk,
    async listPositions(userId) {
      const live = (await heldPositions(userId)).filter(open);
      return Promise.all(live.map((p) => controls.view(p)));
    },

    async getPosition(userId, positionId) {
      const p = book.get(positionId) ?? (await repos.positions.get(positionId));
      if (!p || p.userId !== userId) return undefined;
      return controls.view(p);
    },

    closePosition: async (actor, userId, positionId, fraction) =>
      (await actsFor(actor, userId)) ? controls.closePosition(actor, userId, positionId, fraction) : refused(actor, 'position.close', positionId),
    moveStopLoss: async (actor, userId, positionId, price) =>
      (await actsFor(actor, userId)) ? controls.moveStop(actor, userId, positionId, price) : refused(actor, 'position.move_stop_loss', positionId),
    moveTakeProfit: async (actor, userId, positionId, price) =>
      (await actsFor(actor, userId)) ? controls.moveTarget(actor, userId, positionId, price) : refused(actor, 'position.move_take_profit', positionId),
    stopLossToBreakeven: async (actor, userId, positionId) =>
      (await actsFor(actor, userId)) ? controls.breakeven(actor, userId, positionId) : refused(actor, 'position.breakeven', positionId),

    async balances(userId) {
      const accounts = await repos.accounts.listForUser(userId);
      return Promise.all(
        accounts.map(async (a): Promise<BalanceView> => {
          const quote = accountQuote(a);
          const base = { accountId: a.id, label: accountLabel(a), quote, exchange: a.exchange, mode: a.mode, isPaper: a.isPaper, steps: {} };
          try {
            const port = await ctx.exchanges.forAccount(a.id);
            const balance = await port.fetchBalance();
            const balances: BalanceView['balances'] = {};
            for (const [k, v] of Object.entries(balance)) if (v.total > 0) balances[k] = { ...v };
            // each coin at its market's amount step (BTC/USDT's 0.00001 for BTC), where the exchange says it
            const markets = await port.loadMarkets().catch(() => ({}) as Awaited<ReturnType<ExchangePort['loadMarkets']>>);
            const steps: Record<string, number> = {};
            for (const m of Object.values(markets)) {
              if (!(m.base in balances) || !(m.stepSize > 0)) continue;
              if (steps[m.base] === undefined || m.quote === quote) steps[m.base] = m.stepSize;
            }
            return { ...base, balances, steps };
          } catch (error) {
            return { ...base, balances: {}, error: error instanceof Error ? error.message : 'The exchange could not be reached.' };
          }
        }),
      );
    },

    async recentTrades(userId, limit) {
      return (await repos.trades.recent(userId, limit)).map(toTradeView);
    },

    async pnl(userId, period): Promise<PnlReport> {
      const to = clock.now();
      const from = to - PERIOD_MS[period];
      const trades = await repos.trades.between(userId, from, to + 1);
      let cumulative = 0;
      let grossProfit = 0;
      let grossLoss = 0;
      let wins = 0;
      let losses = 0;
      let fees = 0;
      const series: PnlReport['series'] = [];
      for (const t of trades) {
        const pnl = t.pnl ?? 0;
        cumulative += pnl;
        fees += t.fee;
        if (pnl > 0) {
          wins++;
          grossProfit += pnl;
        } else if (pnl < 0) {
          losses++;
          grossLoss -= pnl;
        }
        series.push({ time: new Date(t.closedAt ?? to), cumulativePnl: cumulative });
      }
      return {
        period,
        from: new Date(from),
        to: new Date(to),
        quote: quoteOfTrades(trades.map((t) => t.symbol)),
        trades: trades.length,
        wins,
        losses,
        winRate: trades.length > 0 ? wins / trades.length : 0,
        profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
        pnl: cumulative,
        fees,
        series,
      };
    },

    async daily(userId, days): Promise<DailyReport> {
      const today = Math.floor(clock.now() / 86_400_000) * 86_400_000;
      const from = today - (days - 1) * 86_400_000;
      const totals = new Map((await repos.trades.dailyTotals(userId, from)).map((d) => [d.day, d]));
      const list: DailyReport['days'] = [];
      for (let t = today; t >= from; t -= 86_400_000) {
        const day = new Date(t).toISOString().slice(0, 10);
        list.push(totals.get(day) ?? { day, trades: 0, pnl: 0, fees: 0 });
      }
      const symbols = (await repos.trades.perSymbol(userId)).map((p) => p.symbol);
      return { days: list, quote: quoteOfTrades(symbols) };
    },

    async performance(userId): Promise<PerformanceReport> {
      const rows = await repos.trades.perSymbol(userId);
      return {
        pairs: rows.map((r) => ({ symbol: r.symbol, trades: r.trades, wins: r.wins, pnl: r.pnl, pct: r.basis > 0 ? (r.pnl / r.basis) * 100 : 0 })),
        quote: quoteOfTrades(rows.map((r) => r.symbol)),
      };
    },

    async recentSignals(userId, limit): Promise<SignalView[]> {
      const rows = await repos.signals.recentForUser(userId, limit);
      const inputs = await repos.signalInputs.recentWithoutSignal(userId, limit);
      const views = rows.map((r): SignalView => {
        const outcome: SignalOutcome =
          r.signal.action.toUpperCase() === 'HOLD'
            ? 'hold'
            : r.status === 'executed' || r.status === 'rejected' || r.status === 'failed'
              ? r.status
              : r.status === 'claimed'
                ? 'pending'
                : 'not_processed';
        return {
          id: r.signal.id,
          symbol: r.signal.symbol,
          action: r.signal.action,
          confidence: r.signal.confidence,
          source: r.signal.source,
          createdAt: new Date(r.signal.createdAt),
          outcome,
          reasons: r.reasons,
          positionId: r.positionId,
        };
      });
      return mergeSignalViews(views, inputs, limit, clock.now());
    },

    async checkKey(exchange, mode, credentials, userId) {
      const taken = await repos.accounts.findByApiKey(exchange, credentials.apiKey, sharedWallets(mode));
      if (taken) return { ok: false, message: keyInUseMessage(taken, userId) };
      let port: ExchangePort | undefined;
      try {
        port = await deps.createExchange({ exchange, mode, credentials });
        await port.fetchBalance();
        // the key works; whether it can withdraw is asked separately, and not knowing is no failure
        const check: KeyCheck = { ok: true };
        if (port.keyPermissions) {
          const permissions = await port.keyPermissions().catch((error: unknown) => {
            ctx.logger.warn({ exchange, code: isExchangeError(error) ? error.code : 'UNKNOWN' }, 'key permissions could not be read');
            return undefined;
          });
          if (permissions?.canWithdraw !== undefined) check.canWithdraw = permissions.canWithdraw;
        }
        return check;
      } catch (error) {
        const message = isExchangeError(error) ? error.message : 'The exchange could not check this key.';
        return { ok: false, message };
      } finally {
        await port?.close().catch(() => {});
      }
    },

    async addAccount(actor, input) {
      if (!input.paper && !input.credentials) throw new Error('a live account needs credentials');
      // checked again: two /connect dialogs may have sent the same key at once
      const taken = input.credentials && !input.paper ? await repos.accounts.findByApiKey(input.exchange, input.credentials.apiKey, sharedWallets(input.mode)) : undefined;
      if (taken) throw new Error(keyInUseMessage(taken, input.userId));
      const record = await repos.accounts.create({
        userId: input.userId,
        exchange: input.exchange,
        mode: input.mode,
        ...(input.marginMode ? { marginMode: input.marginMode } : {}),
        ...(input.label ? { label: input.label } : {}),
        ...(input.paper ? {} : { credentials: input.credentials! }),
      });
      await controls.audit(actor, 'account.add', record.id, { userId: input.userId, exchange: input.exchange, mode: input.mode, marginMode: record.marginMode, paper: input.paper });
      return { accountId: record.id };
    },

    async listAccounts(userId) {
      const accounts = await repos.accounts.listForUser(userId);
      const open = (await heldPositions(userId)).filter((p) => p.status !== 'closed');
      return accounts.map((a) => ({
        id: a.id,
        label: accountLabel(a),
        quote: accountQuote(a),
        exchange: a.exchange,
        mode: a.mode,
        marginMode: a.marginMode,
        isPaper: a.isPaper,
        enabled: a.enabled,
        openPositions: open.filter((p) => p.accountId === a.id).map((p) => ({ id: p.id, symbol: p.symbol, side: p.state.side, qty: p.state.qty })),
      }));
    },

    async setAccountEnabled(actor, userId, accountId, enabled) {
      if (!(await actsFor(actor, userId))) return { ok: false, code: 'not_found', message: 'This account is not in your list.' };
      const record = await repos.accounts.get(accountId);
      if (!record || record.userId !== userId || !record.active) return { ok: false, code: 'not_found', message: 'This account is not in your list (already removed?).' };
      await repos.accounts.setEnabled(accountId, userId, enabled);
      ctx.labels.forget(accountId);
      await controls.audit(actor, enabled ? 'account.enable' : 'account.disable', accountId, { userId });
      return { ok: true, message: enabled ? `${accountLabel(record)} takes signals again.` : `${accountLabel(record)} takes no new signals; its open positions stay protected.` };
    },

    async removeAccount(actor, userId, accountId) {
      if (!(await actsFor(actor, userId))) return { ok: false, code: 'not_found', message: 'This account is not in your list.' };
      // the signal processor holds this lock while it trades for the user: no entry is under way on the account
      return ctx.locks.run(userLockKey(userId), async (): Promise<AccountChange> => {
        const record = await repos.accounts.get(accountId);
        if (!record || record.userId !== userId || !record.active) return { ok: false, code: 'not_found', message: 'This account is not in your list (already removed?).' };
        const open = book.forUser(userId).filter((p) => p.accountId === accountId && p.status !== 'closed');
        if (open.length > 0) {
          const list = open.map((p) => `${p.symbol} ${p.state.side}`).join(', ');
          return { ok: false, code: 'has_positions', message: `This account has ${open.length} open position${open.length === 1 ? '' : 's'} (${list}). Close ${open.length === 1 ? 'it' : 'them'} first (/positions).` };
        }
        await repos.accounts.deactivate(accountId, userId);
        await ctx.exchanges.forget(accountId);
        ctx.protectionLocks?.forget(accountId);
        ctx.labels.forget(accountId);
        await controls.audit(actor, 'account.remove', accountId, { userId, exchange: record.exchange, mode: record.mode, paper: record.isPaper });
        return { ok: true, message: `Removed ${accountLabel(record)}.` };
      });
    },

    async applySettingsToOpenPositions(actor, userId) {
      const { settings } = await repos.settings.get(userId);
      const monitor = toMonitorSettings(settings);
      let changed = 0;
      for (const p of book.forUser(userId).filter(open)) {
        await ctx.locks.run(p.id, async () => {
          if (p.status === 'closed') return;
          // a position's own levels from its signal's targets stay (SPEC §9); the rest follows the settings
          const own = p.settings.targetPrices ? { partialTpEnabled: true, partialTpLevels: p.settings.partialTpLevels, targetPrices: p.settings.targetPrices } : {};
          const next = { ...monitor, ...own };
          const taken = next.partialTpLevels.map((_, i) => p.state.partialTaken[i] ?? false);
          p.settings = next;
          p.state = { ...p.state, partialTaken: taken };
          await repos.positions.save(p, clock.now());
          changed++;
        });
      }
      await controls.audit(actor, 'settings.apply_to_open', userId, { positions: changed });
      return changed;
    },


    databaseOutage() {
      const since = ctx.health.downSince();
      return since === null ? null : { since: new Date(since), exitsAwaitingRecord: deps.exitsAwaitingRecord() };
    },

    async status(): Promise<EngineStatus> {
      // right after a start the locks are still being derived from the trades: wait for them a little
      const protectionsNow = async () => {
        const state = ctx.protectionLocks;
        if (!state) return [];
        await Promise.race([state.settled(), new Promise((r) => setTimeout(r, 3_000).unref())]);
        return state.active(ctx.clock.now());
      };
      // while the database is down nothing here waits on it: what needs it reads as unknown
      const up = ctx.health.available();
      const databaseOk = up ? await ctx.health.bounded(() => ctx.database.ping(), 2_000).catch(() => false) : false;
      const down = !databaseOk;
      const counts = down ? { traders: 0, paused: 0 } : await repos.controls.countUsers().catch(() => ({ traders: 0, paused: 0 }));
      const last = deps.lastCycle();
      let openPositions = 0;
      const byUser = new Map<string, Holding[]>();
      for (const p of book.all()) {
        if (!open(p)) continue;
        openPositions++;
        const value = (p.state.qty * p.state.entry) / (p.state.mode === 'spot' ? 1 : Math.max(1, p.state.leverage));
        const list = byUser.get(p.userId) ?? [];
        list.push({ asset: baseAsset(p.symbol), value });
        byUser.set(p.userId, list);
      }
      const threshold = DEFAULT_PORTFOLIO_LIMITS.concentrationWarning;
      const concentrated = [...byUser]
        .map(([userId, holdings]) => ({ userId, herfindahl: herfindahl(holdings), positions: holdings.length }))
        .filter((t) => t.herfindahl >= threshold)
        .sort((a, b) => b.herfindahl - a.herfindahl);
      return {
        startedAt: new Date(deps.startedAt()),
        traders: counts.traders,
        pausedTraders: counts.paused,
        openPositions,
        pausedGlobally: down ? false : await repos.controls.pausedAll().catch(() => false),
        lastCycle: last ? { at: new Date(last.at), signals: last.signals, executed: last.executed, rejected: last.rejected } : null,
        marketData: deps.marketData(),
        databaseOk,
        database: { available: ctx.health.available(), downSince: ctx.health.downSince() === null ? null : new Date(ctx.health.downSince()!), exitsAwaitingRecord: deps.exitsAwaitingRecord() },
        outboxDepth: deps.outboxDepth && !down ? await deps.outboxDepth().catch(() => 0) : 0,
        concentration: { threshold, traders: concentrated },
        protections: (await protectionsNow()).map((a) => ({
          userId: a.userId,
          accountId: a.accountId,
          locks: a.locks.map((l) => ({ protection: l.protection, scope: l.scope, until: new Date(l.until), reason: l.reason, detail: l.detail })),
        })),
        council: deps.council?.() ?? null,
        ...(deps.processes && !down ? { processes: await deps.processes().catch(() => []) } : {}),
      };
    },
  };
}

/** the quote currency of a set of trades: "USDT", or "USD + USDT" when they mix (no trade: USDT) */
export function quoteOfTrades(symbols: readonly string[]): string {
  const quotes = [...new Set(symbols.map((s) => splitSymbol(s).quote).filter(Boolean))].sort();
  return quotes.length === 0 ? 'USDT' : quotes.join(' + ');
}

/**
 * The modes whose accounts on one key would trade the same holdings as an account of `mode`: spot
 * and margin share the coins on unified accounts (Bybit, OKX), futures positions are their own.
 * One key may serve a spot and a futures account; never two accounts over the same holdings.
 */
function sharedWallets(mode: TradingMode): TradingMode[] {
  return mode === 'futures' ? ['futures'] : ['spot', 'margin'];
}

/** Why a key already connected is refused, naming the exchange and the account that holds it. */
export function keyInUseMessage(holder: AccountRecord, userId: string | undefined): string {
  const exchange = exchangeName(holder.exchange);
  const where = holder.userId === userId ? `your account ${accountLabel(holder)}` : `another trader's account (${accountLabel(holder)})`;
  return `This ${exchange} API key is already connected to ${where}. Two accounts on one key would net their positions on ${exchange}: create a separate API key on ${exchange} for this account.`;
}
