/**
 * A small, stateful, in-memory EngineFacade for bot tests: positions with a per-position lock
 * (concurrent controls queue like the real engine's), trades, signals, balances, pause flags.
 * Tests drive it with `open`, `setPrice`, `addSignal`; it emits events through an optional Notifier
 * and, like the engine, audits every action it takes (same action names) when given the audit repo.
 */
import type {
  Actor,
  BalanceView,
  ControlResult,
  DailyReport,
  PerformanceReport,
  EngineFacade,
  DatabaseOutage,
  EngineStatus,
  KeyCheck,
  NewAccountInput,
  AccountView,
  AccountChange,
  NotifyLevel,
  PauseResult,
  Period,
  PnlReport,
  TraderDesk,
  PositionView,
  SignalView,
  TradeView,
} from '../../src/engine/facade.ts';
import type { Notifier } from '../../src/engine/events.ts';
import type { ExchangeId, TradingMode } from '../../src/exchange/port.ts';
import type { AccountsRepo } from '../../src/db/repos/accounts.ts';
import { accountLabel, accountQuote } from '../../src/engine/account-label.ts';
import { quoteOfTrades } from '../../src/engine/facade-impl.ts';
import { createTraderDesk, type Desk, type PauseControls } from '../../src/engine/trader-desk.ts';
import { createAuditRepo } from '../../src/db/repos/audit.ts';
import { createTradingControlsRepo } from '../../src/db/repos/trading-controls.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { createSettingsRepo } from '../../src/db/repos/settings.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import type { Db } from '../../src/db/client.ts';
import type { AuditRepo } from '../../src/db/repos/audit.ts';

export interface FakeOpen {
  userId: string;
  accountId?: string;
  symbol?: string;
  side?: 'long' | 'short';
  entryPrice?: number;
  qty?: number;
  stopLoss?: number | null;
  takeProfit?: number | null;
  mode?: TradingMode;
  openedAt?: Date;
  /** the market's precision, as a real exchange would say it */
  amountStep?: number;
  priceTick?: number;
}

export interface FakeActionRecord {
  action: string;
  actor: Actor;
  userId?: string;
  positionId?: string;
  value?: number;
}

const PERIOD_MS: Record<Period, number> = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 };

export class FakeEngineFacade implements EngineFacade {
  readonly positions = new Map<string, PositionView>();
  readonly trades: Array<TradeView & { userId: string }> = [];
  readonly signals = new Map<string, SignalView[]>();
  readonly paused = new Set<string>();
  readonly actions: FakeActionRecord[] = [];
  /** symbols /status reports as quiet on the stream (tests set it) */
  quietSymbols: string[] = [];
  readonly accounts: Array<NewAccountInput & { id: string; enabled: boolean }> = [];
  pausedGlobally = false;
  prices = new Map<string, number>();
  /** fee rate per side on closes */
  feeRate = 0.001;
  /** ms a control spends "at the exchange" while holding the lock */
  controlDelayMs = 5;
  /** the exchange's refusal of the next close, after its time "at the exchange" (tests set it) */
  closeRefusal: string | undefined;
  startedAt = new Date('2026-11-24T20:00:00Z');
  lastCycle: EngineStatus['lastCycle'] = null;
  /** what status() reports as concentrated traders (tests set it) */
  concentrated: EngineStatus['concentration']['traders'] = [];
  appliedSettings = new Map<string, number>();
  private seq = 0;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly deps: {
      notifier?: Notifier;
      accountsRepo?: AccountsRepo;
      auditRepo?: Pick<AuditRepo, 'record'>;
      now?: () => Date;
      /** trader records, settings, alert levels, pause: the engine's real desk (fakeDesk) */
      desk?: TraderDesk & PauseControls;
    } = {},
  ) {}

  private async audit(actor: Actor, action: string, target: string | null, details: Record<string, unknown> = {}): Promise<void> {
    await this.deps.auditRepo?.record({ actorTelegramId: actor.telegramId, actorUserId: actor.userId ?? null, action, target, details, at: this.now().getTime() });
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  private id(prefix: string): string {
    this.seq++;
    // uuid-shaped so callback data has the real length
    return `${prefix.padEnd(8, '0').slice(0, 8)}-0000-4000-8000-${String(this.seq).padStart(12, '0')}`;
  }

  private async locked<T>(positionId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(positionId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    this.locks.set(positionId, run.catch(() => undefined));
    return run;
  }

  // ---- test drivers ----

  async open(o: FakeOpen): Promise<PositionView> {
    const entry = o.entryPrice ?? 100_000;
    const side = o.side ?? 'long';
    const number = [...this.positions.values()].filter((x) => x.userId === o.userId).length + 1;
    const symbol = o.symbol ?? 'BTC/USDT';
    const p: PositionView = {
      id: this.id('b0517000'),
      number,
      userId: o.userId,
      accountId: o.accountId ?? 'paper',
      accountLabel: 'Paper Binance spot',
      quote: (symbol.split('/')[1] ?? 'USDT').split(':')[0]!,
      amountStep: o.amountStep ?? null,
      priceTick: o.priceTick ?? null,
      exchange: 'binance',
      isPaper: true,
      symbol,
      side,
      mode: o.mode ?? 'spot',
      leverage: 1,
      entryPrice: entry,
      qtyInitial: o.qty ?? 0.01,
      qty: o.qty ?? 0.01,
      stopLoss: o.stopLoss === undefined ? entry * (side === 'long' ? 0.98 : 1.02) : o.stopLoss,
      takeProfit: o.takeProfit === undefined ? entry * (side === 'long' ? 1.1 : 0.9) : o.takeProfit,
      trailingActive: false,
      trailingStop: null,
      liquidationPrice: null,
      partialTaken: [false, false, false],
      openedAt: o.openedAt ?? this.now(),
      status: 'open',
      closeReason: null,
      lastPrice: entry,
      unrealizedPnl: 0,
      unrealizedPct: 0,
      realizedPnl: 0,
    };
    this.positions.set(p.id, p);
    this.prices.set(p.symbol, entry);
    await this.deps.notifier?.notify(
      {
        kind: 'position_opened',
        userId: p.userId,
        positionId: p.id,
        symbol: p.symbol,
        side: p.side,
        exchange: p.exchange,
        isPaper: p.isPaper,
        entryPrice: entry,
        qty: p.qty,
        stopLoss: p.stopLoss,
        takeProfit: p.takeProfit,
        signalId: null,
      },
      `opened:${p.id}`,
    );
    return { ...p };
  }

  setPrice(symbol: string, price: number): void {
    this.prices.set(symbol, price);
  }

  addSignal(userId: string, s: Omit<SignalView, 'id'> & { id?: string }): void {
    const list = this.signals.get(userId) ?? [];
    list.unshift({ ...s, id: s.id ?? this.id('5e9a1000') });
    this.signals.set(userId, list);
  }

  private view(p: PositionView): PositionView {
    const last = this.prices.get(p.symbol) ?? p.entryPrice;
    const dir = p.side === 'long' ? 1 : -1;
    return {
      ...p,
      partialTaken: [...p.partialTaken],
      lastPrice: last,
      // after the remaining quantity's entry fee, as the engine reports it
      unrealizedPnl: p.status === 'open' ? (last - p.entryPrice) * p.qty * dir - p.qty * p.entryPrice * this.feeRate : null,
      unrealizedPct: p.status === 'open' ? (((last - p.entryPrice) * dir - p.entryPrice * this.feeRate) / p.entryPrice) * 100 : null,
    };
  }

  // ---- positions ----

  async listPositions(userId: string): Promise<PositionView[]> {
    return [...this.positions.values()].filter((p) => p.userId === userId && p.status === 'open').map((p) => this.view(p));
  }

  async getPosition(userId: string, positionId: string): Promise<PositionView | undefined> {
    const p = this.positions.get(positionId);
    return p && p.userId === userId ? this.view(p) : undefined;
  }

  private guard(userId: string, positionId: string): PositionView | ControlResult {
    const p = this.positions.get(positionId);
    if (!p) return { ok: false, code: 'not_found', message: 'No such position.' };
    if (p.userId !== userId) return { ok: false, code: 'not_owner', message: 'This position is not yours.' };
    if (p.status !== 'open') return { ok: false, code: 'closed', message: 'This position is already closed.' };
    return p;
  }

  async closePosition(actor: Actor, userId: string, positionId: string, fraction: number): Promise<ControlResult> {
    return this.locked(positionId, async () => {
      const p = this.guard(userId, positionId);
      if ('ok' in p) return p;
      if (!(fraction > 0 && fraction <= 1)) return { ok: false, code: 'invalid', message: 'Fraction must be in (0, 1].' };
      await new Promise((r) => setTimeout(r, this.controlDelayMs));
      const refusal = this.closeRefusal;
      if (refusal !== undefined) {
        this.closeRefusal = undefined;
        return { ok: false, code: 'exchange_error', message: refusal };
      }
      const price = this.prices.get(p.symbol) ?? p.entryPrice;
      const qty = fraction === 1 ? p.qty : p.qty * fraction;
      const dir = p.side === 'long' ? 1 : -1;
      const fee = qty * price * this.feeRate + qty * p.entryPrice * this.feeRate;
      const pnl = (price - p.entryPrice) * qty * dir - fee;
      p.qty = fraction === 1 ? 0 : p.qty - qty;
      p.realizedPnl += pnl;
      if (p.qty === 0) {
        p.status = 'closed';
        p.closeReason = 'manual';
      }
      this.actions.push({ action: 'close', actor, userId, positionId, value: fraction });
      await this.audit(actor, fraction >= 1 ? 'position.close' : 'position.close_partial', positionId, { userId, fraction, ok: true });
      this.trades.unshift({
        id: this.id('7ade0000'),
        userId,
        positionId,
        symbol: p.symbol,
        side: p.side,
        quantity: qty,
        entryPrice: p.entryPrice,
        exitPrice: price,
        pnl,
        fee,
        closeReason: 'manual',
        closedAt: this.now(),
      });
      await this.deps.notifier?.notify(
        {
          kind: 'manual',
          userId,
          positionId,
          symbol: p.symbol,
          side: p.side,
          exchange: p.exchange,
          isPaper: p.isPaper,
          price,
          qty,
          remainingQty: p.qty,
          pnl,
          // after fees, like the amount (as the engine reports it)
          pct: (pnl / (p.entryPrice * qty)) * 100,
          number: p.number ?? undefined,
          accountLabel: p.accountLabel,
          ...(p.amountStep !== null ? { amountStep: p.amountStep } : {}),
          ...(p.priceTick !== null ? { priceTick: p.priceTick } : {}),
          durationMs: this.now().getTime() - p.openedAt.getTime(),
        },
        `manual:${positionId}:${this.trades.length}`,
      );
      const message = p.qty === 0 ? `Closed ${qty} ${p.symbol} at ${price}.` : `Closed ${qty} ${p.symbol} at ${price}; ${p.qty} left.`;
      return { ok: true, message, position: this.view(p) };
    });
  }

  private async moveLevel(actor: Actor, userId: string, positionId: string, which: 'sl' | 'tp', price: number, action = which === 'sl' ? 'position.move_stop_loss' : 'position.move_take_profit'): Promise<ControlResult> {
    return this.locked(positionId, async () => {
      const p = this.guard(userId, positionId);
      if ('ok' in p) return p;
      const last = this.prices.get(p.symbol) ?? p.entryPrice;
      const below = (which === 'sl') === (p.side === 'long');
      if (!(price > 0) || (below ? price >= last : price <= last)) {
        return { ok: false, code: 'invalid', message: `The ${which === 'sl' ? 'stop loss' : 'take profit'} must be ${below ? 'below' : 'above'} the current price ${last}.` };
      }
      if (which === 'sl') p.stopLoss = price;
      else p.takeProfit = price;
      this.actions.push({ action: which === 'sl' ? 'move_sl' : 'move_tp', actor, userId, positionId, value: price });
      await this.audit(actor, action, positionId, { userId, price, ok: true });
      return { ok: true, message: `${which === 'sl' ? 'Stop loss' : 'Take profit'} set to ${price}.`, position: this.view(p) };
    });
  }

  moveStopLoss(actor: Actor, userId: string, positionId: string, price: number) {
    return this.moveLevel(actor, userId, positionId, 'sl', price);
  }

  moveTakeProfit(actor: Actor, userId: string, positionId: string, price: number) {
    return this.moveLevel(actor, userId, positionId, 'tp', price);
  }

  async stopLossToBreakeven(actor: Actor, userId: string, positionId: string): Promise<ControlResult> {
    const p = this.positions.get(positionId);
    return this.moveLevel(actor, userId, positionId, 'sl', p?.entryPrice ?? 0, 'position.breakeven');
  }

  // ---- reports ----

  async balances(userId: string): Promise<BalanceView[]> {
    const mine = this.accounts.filter((a) => a.userId === userId);
    return mine.map((a) => ({
      accountId: a.id,
      label: accountLabel({ exchange: a.exchange, mode: a.mode, isPaper: a.paper, apiKeyHint: a.credentials ? `…${a.credentials.apiKey.slice(-4)}` : null, marginMode: a.mode === 'spot' ? null : (a.marginMode ?? 'isolated') }),
      quote: accountQuote(a),
      steps: { BTC: 0.00001 },
      exchange: a.exchange,
      mode: a.mode,
      isPaper: a.paper,
      balances: { USDT: { free: 9_000, used: 1_000, total: 10_000 }, BTC: { free: 0.01, used: 0, total: 0.01 } },
    }));
  }

  async recentTrades(userId: string, limit: number): Promise<TradeView[]> {
    return this.trades.filter((t) => t.userId === userId).slice(0, limit).map(({ userId: _u, ...t }) => t);
  }

  async pnl(userId: string, period: Period): Promise<PnlReport> {
    const to = this.now();
    const from = new Date(to.getTime() - PERIOD_MS[period]);
    const list = this.trades
      .filter((t) => t.userId === userId && t.closedAt && t.closedAt >= from && t.pnl !== null)
      .sort((a, b) => a.closedAt!.getTime() - b.closedAt!.getTime());
    const wins = list.filter((t) => t.pnl! > 0);
    const losses = list.filter((t) => t.pnl! <= 0);
    const grossWin = wins.reduce((s, t) => s + t.pnl!, 0);
    const grossLoss = -losses.reduce((s, t) => s + t.pnl!, 0);
    let cum = 0;
    const series = list.map((t) => ({ time: t.closedAt!, cumulativePnl: (cum += t.pnl!) }));
    return {
      period,
      from,
      to,
      trades: list.length,
      wins: wins.length,
      losses: losses.length,
      winRate: list.length ? wins.length / list.length : 0,
      profitFactor: grossLoss > 0 ? grossWin / grossLoss : null,
      pnl: cum,
      fees: list.reduce((s, t) => s + t.fee, 0),
      quote: quoteOfTrades(list.map((t) => t.symbol)),
      series,
    };
  }

  async daily(userId: string, days: number): Promise<DailyReport> {
    const today = Math.floor(this.now().getTime() / 86_400_000) * 86_400_000;
    const list: DailyReport['days'] = [];
    for (let i = 0; i < days; i++) {
      const day = new Date(today - i * 86_400_000).toISOString().slice(0, 10);
      const mine = this.trades.filter((t) => t.userId === userId && t.quantity > 0 && t.closedAt?.toISOString().slice(0, 10) === day);
      list.push({ day, trades: mine.length, pnl: mine.reduce((s, t) => s + (t.pnl ?? 0), 0), fees: mine.reduce((s, t) => s + t.fee, 0) });
    }
    return { days: list, quote: quoteOfTrades(this.trades.filter((t) => t.userId === userId).map((t) => t.symbol)) };
  }

  async performance(userId: string): Promise<PerformanceReport> {
    const by = new Map<string, PerformanceReport['pairs'][number] & { basis: number }>();
    for (const t of this.trades.filter((x) => x.userId === userId && x.quantity > 0)) {
      const row = by.get(t.symbol) ?? { symbol: t.symbol, trades: 0, wins: 0, pnl: 0, pct: 0, basis: 0 };
      row.trades++;
      if ((t.pnl ?? 0) > 0) row.wins++;
      row.pnl += t.pnl ?? 0;
      row.basis += t.quantity * t.entryPrice;
      row.pct = (row.pnl / row.basis) * 100;
      by.set(t.symbol, row);
    }
    const pairs = [...by.values()].sort((a, b) => b.pnl - a.pnl).map(({ basis: _b, ...r }) => r);
    return { pairs, quote: quoteOfTrades(pairs.map((p) => p.symbol)) };
  }

  async recentSignals(userId: string, limit: number): Promise<SignalView[]> {
    return (this.signals.get(userId) ?? []).slice(0, limit);
  }

  // ---- accounts ----

  async checkKey(exchange: ExchangeId, _mode: TradingMode, credentials: { apiKey: string; secret: string; password?: string }): Promise<KeyCheck> {
    if (credentials.apiKey.startsWith('bad') || credentials.secret.startsWith('bad')) {
      return { ok: false, message: 'The exchange rejected the API key (invalid key, secret or passphrase).' };
    }
    if (credentials.apiKey.startsWith('withdraw')) return { ok: true, canWithdraw: exchange === 'binance' ? true : undefined };
    return { ok: true, canWithdraw: exchange === 'binance' ? false : undefined };
  }

  async addAccount(actor: Actor, input: NewAccountInput): Promise<{ accountId: string }> {
    let id = this.id('acc00000');
    if (this.deps.accountsRepo) {
      const rec = await this.deps.accountsRepo.create({
        userId: input.userId,
        exchange: input.exchange,
        mode: input.mode,
        ...(input.marginMode ? { marginMode: input.marginMode } : {}),
        ...(input.label ? { label: input.label } : {}),
        ...(input.credentials && !input.paper ? { credentials: input.credentials } : {}),
      });
      id = rec.id;
    }
    this.accounts.push({ ...input, id, enabled: true });
    this.actions.push({ action: 'add_account', actor, userId: input.userId });
    await this.audit(actor, 'account.add', id, { userId: input.userId, exchange: input.exchange, mode: input.mode, paper: input.paper });
    return { accountId: id };
  }

  async listAccounts(userId: string): Promise<AccountView[]> {
    const open = await this.listPositions(userId);
    return this.accounts
      .filter((a) => a.userId === userId)
      .map((a) => ({
        id: a.id,
        label: accountLabel({ exchange: a.exchange, mode: a.mode, isPaper: a.paper, apiKeyHint: a.credentials ? `…${a.credentials.apiKey.slice(-4)}` : null, marginMode: a.mode === 'spot' ? null : (a.marginMode ?? 'isolated') }),
        quote: accountQuote(a),
        exchange: a.exchange,
        mode: a.mode,
        marginMode: a.mode === 'spot' ? null : (a.marginMode ?? 'isolated'),
        isPaper: a.paper,
        enabled: a.enabled,
        openPositions: open.filter((p) => p.accountId === a.id).map((p) => ({ id: p.id, symbol: p.symbol, side: p.side, qty: p.qty })),
      }));
  }

  async setAccountEnabled(actor: Actor, userId: string, accountId: string, enabled: boolean): Promise<AccountChange> {
    const a = this.accounts.find((x) => x.id === accountId && x.userId === userId);
    if (!a) return { ok: false, code: 'not_found', message: 'This account is not in your list (already removed?).' };
    a.enabled = enabled;
    await this.audit(actor, enabled ? 'account.enable' : 'account.disable', accountId, { userId });
    return { ok: true, message: enabled ? 'takes signals again' : 'takes no new signals' };
  }

  async removeAccount(actor: Actor, userId: string, accountId: string): Promise<AccountChange> {
    const i = this.accounts.findIndex((x) => x.id === accountId && x.userId === userId);
    if (i < 0) return { ok: false, code: 'not_found', message: 'This account is not in your list (already removed?).' };
    const open = (await this.listPositions(userId)).filter((p) => p.accountId === accountId);
    if (open.length > 0) return { ok: false, code: 'has_positions', message: `This account has ${open.length} open position${open.length === 1 ? '' : 's'}. Close them first (/positions).` };
    this.accounts.splice(i, 1);
    await this.deps.accountsRepo?.deactivate(accountId, userId);
    await this.audit(actor, 'account.remove', accountId, { userId });
    return { ok: true, message: 'Removed.' };
  }

  async applySettingsToOpenPositions(actor: Actor, userId: string): Promise<number> {
    const n = (await this.listPositions(userId)).length;
    this.appliedSettings.set(userId, (this.appliedSettings.get(userId) ?? 0) + 1);
    this.actions.push({ action: 'apply_settings', actor, userId, value: n });
    await this.audit(actor, 'settings.apply_to_open', userId, { positions: n });
    return n;
  }

  // ---- controls ----

  // ---- traders, settings, alert levels, audit, pause: the engine's own desk over the test database ----

  private get desk(): TraderDesk & PauseControls {
    if (!this.deps.desk) throw new Error('FakeEngineFacade: give it a desk (fakeDesk(db)) for trader records');
    return this.deps.desk;
  }

  traderByTelegramId(telegramId: number) {
    return this.deps.desk ? this.deps.desk.traderByTelegramId(telegramId) : Promise.resolve(undefined);
  }
  registerTrader(who: Parameters<TraderDesk['registerTrader']>[0]) {
    return this.desk.registerTrader(who);
  }
  tradingSettings(userId: string) {
    return this.desk.tradingSettings(userId);
  }
  updateSettings(actor: Actor, userId: string, patch: Parameters<TraderDesk['updateSettings']>[2]) {
    return this.desk.updateSettings(actor, userId, patch);
  }
  notifyPrefs(userId: string) {
    return this.desk.notifyPrefs(userId);
  }
  setNotifyLevel(actor: Actor, userId: string, kind: string, level: NotifyLevel) {
    return this.desk.setNotifyLevel(actor, userId, kind, level);
  }
  listTraders(actor: Actor, limit: number) {
    return this.desk.listTraders(actor, limit);
  }
  isAdmin(actor: Actor): boolean {
    return this.deps.desk ? this.deps.desk.isAdmin(actor) : false;
  }
  recordAudit(actor: Actor, action: string, target?: string, details?: Record<string, unknown>) {
    return this.deps.desk ? this.deps.desk.recordAudit(actor, action, target, details) : Promise.resolve();
  }

  private mirror(r: PauseResult, action: string, actor: Actor, userId?: string): PauseResult {
    if (!r.ok) return r;
    this.actions.push({ action, actor, ...(userId ? { userId } : {}) });
    if (r.target === 'everyone') this.pausedGlobally = action === 'pause_all';
    else if (r.target.paused) this.paused.add(r.target.userId);
    else this.paused.delete(r.target.userId);
    return r;
  }

  async pauseUser(actor: Actor, userId: string): Promise<PauseResult> {
    return this.mirror(await this.desk.pauseUser(actor, userId), 'pause', actor, userId);
  }

  async resumeUser(actor: Actor, userId: string): Promise<PauseResult> {
    return this.mirror(await this.desk.resumeUser(actor, userId), 'resume', actor, userId);
  }

  async pauseAll(actor: Actor): Promise<PauseResult> {
    return this.mirror(await this.desk.pauseAll(actor), 'pause_all', actor);
  }

  async resumeAll(actor: Actor): Promise<PauseResult> {
    return this.mirror(await this.desk.resumeAll(actor), 'resume_all', actor);
  }

  async status(): Promise<EngineStatus> {
    const users = new Set([...this.positions.values()].map((p) => p.userId).concat(this.accounts.map((a) => a.userId)));
    return {
      startedAt: this.startedAt,
      traders: users.size,
      pausedTraders: this.paused.size,
      openPositions: [...this.positions.values()].filter((p) => p.status === 'open').length,
      pausedGlobally: this.pausedGlobally,
      lastCycle: this.lastCycle,
      marketData: [{ exchange: 'binance', stale: false, lastTickAt: this.now(), symbols: this.prices.size, staleSymbols: this.quietSymbols }],
      databaseOk: this.outage === null,
      database: { available: this.outage === null, downSince: this.outage?.since ?? null, exitsAwaitingRecord: this.outage?.exitsAwaitingRecord ?? 0 },
      outboxDepth: 0,
      concentration: { threshold: 0.7, traders: this.concentrated },
    };
  }

  /** what databaseOutage() reports (tests set it) */
  outage: DatabaseOutage | null = null;

  databaseOutage(): DatabaseOutage | null {
    return this.outage;
  }
}

/** The engine's own trader desk over a test database, for the fake facade. */
export function fakeDesk(db: Db, adminIds: readonly number[] = []): Desk {
  return createTraderDesk({ users: createUsersRepo(db), settings: createSettingsRepo(db), recipients: createRecipientsRepo(db), audit: createAuditRepo(db), controls: createTradingControlsRepo(db), clock: { now: () => Date.now() }, adminIds });
}
