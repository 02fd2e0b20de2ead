/**
 * What the Telegram layer (and any other UI) may ask of the engine. The bot never reaches ccxt or
 * drizzle directly: every feature calls this facade and formats what it returns.
 * All ids are our database ids (users.id, positions.id, api_keys.id); prices are quote per base.
 */
import type { ExchangeId, MarginMode, TradingMode } from '../exchange/port.ts';
import type { TradingSettings } from '../domain/settings.ts';
import type { TraderSummary } from '../db/repos/recipients.ts';

export type Period = 'day' | 'week' | 'month';

/** Who asked for an action: written to the audit log. */
export interface Actor {
  telegramId: number;
  userId?: string;
  admin?: boolean;
}

export interface PositionView {
  id: string;
  /** the trader's own trade number ("#3"); null when the position has none (loaded in bulk) */
  number: number | null;
  userId: string;
  accountId: string;
  /** the account's one name: "Binance futures (cross) ·1234" */
  accountLabel: string;
  /** the market's quote currency (USDT, USD …): what P&L is counted in */
  quote: string;
  /** the market's amount step (base units) and price tick; null when the exchange did not say */
  amountStep: number | null;
  priceTick: number | null;
  exchange: string;
  isPaper: boolean;
  symbol: string;
  side: 'long' | 'short';
  mode: TradingMode;
  leverage: number;
  entryPrice: number;
  qtyInitial: number;
  qty: number;
  stopLoss: number | null;
  takeProfit: number | null;
  trailingActive: boolean;
  trailingStop: number | null;
  liquidationPrice: number | null;
  /** partial levels taken so far, e.g. [true, false, false] */
  partialTaken: boolean[];
  openedAt: Date;
  status: 'open' | 'closing' | 'closed';
  closeReason: string | null;
  /** latest price seen by the shared feed, when there is one */
  lastPrice: number | null;
  /**
   * the protective stop on the exchange (SPEC §10): its price when one rests there, else why not;
   * undefined when the engine has not tried yet
   */
  exchangeStop?: { stopPrice: number } | { stopPrice: null; problem: string };
  /** quote units, on the remaining quantity, after its share of the entry fee (the exit's fee is not known yet) */
  unrealizedPnl: number | null;
  /** unrealizedPnl as a percent of the remaining quantity at the entry price, 1.5 = 1.5 % */
  unrealizedPct: number | null;
  /** quote units, net of fees, of partial exits so far */
  realizedPnl: number;
}

export interface TradeView {
  id: string;
  positionId: string | null;
  symbol: string;
  side: 'long' | 'short';
  quantity: number;
  entryPrice: number;
  exitPrice: number | null;
  /** net of fees, quote units */
  pnl: number | null;
  fee: number;
  closeReason: string | null;
  closedAt: Date | null;
}

export interface PnlReport {
  period: Period;
  from: Date;
  to: Date;
  trades: number;
  wins: number;
  losses: number;
  /** 0..1 */
  winRate: number;
  /** gross profit / gross loss; null when there was no loss */
  profitFactor: number | null;
  /** net, quote units */
  pnl: number;
  fees: number;
  /** the quote currency of these trades ("USDT"; "USD + USDT" when they mix) */
  quote: string;
  /** cumulative net P&L after each trade, for the chart */
  series: Array<{ time: Date; cumulativePnl: number }>;
}

/** /daily: closed trades per UTC day, newest first (days without a trade included, as zero) */
export interface DailyReport {
  days: Array<{ day: string; trades: number; pnl: number; fees: number }>;
  /** the quote currency of these trades */
  quote: string;
}

/** /performance: every closed trade per market, best first */
export interface PerformanceReport {
  pairs: Array<{
    symbol: string;
    trades: number;
    wins: number;
    /** net of fees, quote units */
    pnl: number;
    /** pnl as a percent of what was traded (Σ quantity × entry price) */
    pct: number;
  }>;
  quote: string;
}

export type SignalOutcome = 'executed' | 'rejected' | 'failed' | 'pending' | 'hold' | 'not_processed';

export interface SignalView {
  id: string;
  symbol: string;
  action: string;
  confidence: number | null;
  source: string;
  createdAt: Date;
  outcome: SignalOutcome;
  reasons: string[];
  positionId: string | null;
}

export interface BalanceView {
  accountId: string;
  /** the account's one name ("Binance futures (cross) ·1234") */
  label: string;
  /** the account's quote currency (USDT, USD): shown as money, to the cent */
  quote: string;
  /** per currency, the amount step of its market on this account (shown to that precision) */
  steps: Record<string, number>;
  exchange: string;
  mode: TradingMode;
  isPaper: boolean;
  balances: Record<string, { free: number; used: number; total: number }>;
  /** set when the exchange could not be asked (trader-facing message) */
  error?: string;
}

/** queued: sent to the process that owns the trader (SPEC §12), which has not answered in time; an alert follows */
export type ControlFailure = 'not_found' | 'not_owner' | 'closed' | 'invalid' | 'exchange_error' | 'busy' | 'queued';

export type ControlResult =
  | { ok: true; message: string; position?: PositionView }
  | { ok: false; code: ControlFailure; message: string };

export interface EngineStatus {
  startedAt: Date;
  traders: number;
  pausedTraders: number;
  openPositions: number;
  pausedGlobally: boolean;
  lastCycle: { at: Date; signals: number; executed: number; rejected: number } | null;
  /** staleSymbols: symbols whose stream went quiet while the feed lives (re-polled over REST) */
  marketData: Array<{ exchange: string; stale: boolean; lastTickAt: Date | null; symbols: number; staleSymbols: string[] }>;
  databaseOk: boolean;
  /** SPEC §10: while the database is down, exits go through the local journal and wait there to be recorded */
  database: DatabaseStatus;
  outboxDepth: number;
  /**
   * Traders whose open positions are concentrated (SPEC §5): Herfindahl index over their open
   * positions' value (spot: at entry; margin/futures: the margin) at or above `threshold`, highest first.
   */
  concentration: { threshold: number; traders: Array<{ userId: string; herfindahl: number; positions: number }> };
  /** accounts whose latest entry decision found a protection active that still runs (SPEC §9 protections) */
  protections?: Array<{ userId: string; accountId: string; locks: Array<{ protection: string; scope: string; until: Date; reason: string; /** the numbers that tripped it */ detail?: string }> }>;
  /** the built-in council (SPEC §9): null when it is off */
  council?: CouncilStatus | null;
  /** several processes on one PostgreSQL (SPEC §12): each live one and its shards; absent with one process */
  processes?: ProcessStatus[];
}

export interface ProcessStatus {
  id: string;
  host: string;
  pid: number;
  startedAt: Date;
  heartbeatAt: Date;
  shards: number[];
  /** the process that answers */
  self: boolean;
}

export interface CouncilStatus {
  minutes: number;
  symbols: string[];
  /** the latest run: each symbol's verdict, or why it was skipped */
  lastRun: { at: Date; results: Array<{ symbol: string; action: string | null; confidence: number | null; note: string }> } | null;
}

export interface KeyCheck {
  ok: boolean;
  /** trader-facing reason when not ok */
  message?: string;
  /** true/false when the exchange reports it; undefined when it cannot tell */
  canWithdraw?: boolean;
}

/** One account as /accounts shows it (SPEC §11). */
export interface AccountView {
  id: string;
  /** "Binance futures (cross) ·1234" */
  label: string;
  /** the currency the account counts money in (USDT; Kraken Futures: USD) */
  quote: string;
  exchange: string;
  mode: TradingMode;
  marginMode: MarginMode | null;
  isPaper: boolean;
  /** takes new signals; a switched-off account keeps its open positions protected */
  enabled: boolean;
  openPositions: Array<{ id: string; symbol: string; side: 'long' | 'short'; qty: number }>;
}

/**
 * SPEC §12: the action was sent to the process that owns the trader, which has not answered in
 * time; it runs there and the trader gets an alert. Thrown by a method whose result cannot say so
 * (applySettingsToOpenPositions); the others answer code 'queued'.
 */
export class ActionQueuedError extends Error {
  override name = 'ActionQueuedError';
}

/** queued: as for ControlFailure */
export type AccountChange = { ok: true; message: string } | { ok: false; code: 'not_found' | 'has_positions' | 'queued'; message: string };

export interface NewAccountInput {
  userId: string;
  exchange: ExchangeId;
  mode: TradingMode;
  /** margin and futures: cross or isolated (SPEC §11) */
  marginMode?: MarginMode;
  paper: boolean;
  label?: string;
  credentials?: { apiKey: string; secret: string; password?: string };
}

/** A trader as the chat knows them. */
export interface TraderView {
  id: string;
  telegramId: number;
  chatId: number;
  username: string | null;
  firstName: string | null;
  /** paused by the trader */
  paused: boolean;
  /** paused by an administrator: only an administrator resumes */
  pausedByAdmin: boolean;
  /** alert levels chosen per event kind (absent: the kind's default) */
  notifyPrefs: NotifyPrefs;
}

/** a trader in the admins' list (/users): the recipients repo's row as it is */
export type { TraderSummary };

export type NotifyLevel = 'on' | 'silent' | 'off';
export type NotifyPrefs = Partial<Record<string, NotifyLevel>>;

/** An action only an administrator may take, asked by someone else (ADMIN_TELEGRAM_IDS is checked by the engine). */
export interface NotAdmin {
  ok: false;
  code: 'not_admin';
  message: string;
}

/**
 * Who wins: an administrator's pause of a trader holds until an administrator resumes; the
 * trader's own /resume lifts only the trader's own pause and says the hold remains.
 */
export type PauseResult =
  | { ok: true; message: string; target: { userId: string; paused: boolean; heldByAdmin: boolean } | 'everyone' }
  | NotAdmin
  | { ok: false; code: 'not_found'; message: string };

export type SettingsChange = { ok: true; settings: TradingSettings } | { ok: false; message: string };

/** The trader records, settings, alert levels and the audit log, as the chat needs them. */
export interface TraderDesk {
  traderByTelegramId(telegramId: number): Promise<TraderView | undefined>;
  /** on /start: creates the trader (default settings) or refreshes chat and names */
  registerTrader(who: { telegramId: number; chatId: number; username?: string | undefined; firstName?: string | undefined }): Promise<{ trader: TraderView; created: boolean }>;
  tradingSettings(userId: string): Promise<TradingSettings>;
  /** validated; written to the audit log */
  updateSettings(actor: Actor, userId: string, patch: Partial<TradingSettings>): Promise<SettingsChange>;
  notifyPrefs(userId: string): Promise<NotifyPrefs>;
  setNotifyLevel(actor: Actor, userId: string, kind: string, level: NotifyLevel): Promise<NotifyPrefs>;
  /** administrators only */
  listTraders(actor: Actor, limit: number): Promise<{ ok: true; traders: TraderSummary[] } | NotAdmin>;
  /** is this person an administrator (by the engine's own list, never by what the caller claims) */
  isAdmin(actor: Actor): boolean;
  /** an event only the chat sees (a refused button, a refused key); never put a secret in details */
  recordAudit(actor: Actor, action: string, target?: string, details?: Record<string, unknown>): Promise<void>;
}

export interface EngineFacade extends TraderDesk {
  // positions
  listPositions(userId: string): Promise<PositionView[]>;
  getPosition(userId: string, positionId: string): Promise<PositionView | undefined>;
  /** fraction 0 < f ≤ 1 of the remaining quantity; under the position lock; a closed position answers 'closed' */
  closePosition(actor: Actor, userId: string, positionId: string, fraction: number): Promise<ControlResult>;
  moveStopLoss(actor: Actor, userId: string, positionId: string, price: number): Promise<ControlResult>;
  moveTakeProfit(actor: Actor, userId: string, positionId: string, price: number): Promise<ControlResult>;
  stopLossToBreakeven(actor: Actor, userId: string, positionId: string): Promise<ControlResult>;

  // reports
  balances(userId: string): Promise<BalanceView[]>;
  recentTrades(userId: string, limit: number): Promise<TradeView[]>;
  pnl(userId: string, period: Period): Promise<PnlReport>;
  /** the last `days` UTC days, today included */
  daily(userId: string, days: number): Promise<DailyReport>;
  performance(userId: string): Promise<PerformanceReport>;
  recentSignals(userId: string, limit: number): Promise<SignalView[]>;

  // accounts
  /** asks the exchange (a balance call; withdrawal permission where reported) before anything is saved */
  /**
   * Checks a key before it is stored: refused when it is already connected on another account of
   * the bot (`userId`'s own or another trader's: two accounts on one key net their positions on
   * the exchange), else asked of the exchange (it works; whether it can withdraw).
   */
  checkKey(exchange: ExchangeId, mode: TradingMode, credentials: { apiKey: string; secret: string; password?: string }, userId?: string): Promise<KeyCheck>;
  addAccount(actor: Actor, input: NewAccountInput): Promise<{ accountId: string }>;
  listAccounts(userId: string): Promise<AccountView[]>;
  /** switches an account's signal trading on or off (its open positions stay monitored) */
  setAccountEnabled(actor: Actor, userId: string, accountId: string, enabled: boolean): Promise<AccountChange>;
  /**
   * Removes an account without open positions, under the same per-trader lock as signal
   * execution (no entry can be under way on it), and drops every cached exchange client holding its keys.
   */
  removeAccount(actor: Actor, userId: string, accountId: string): Promise<AccountChange>;

  // settings changes: to new positions, and to open ones when asked
  applySettingsToOpenPositions(actor: Actor, userId: string): Promise<number>;

  // controls (paused = no new entries; open positions stay protected)
  // a trader pauses or resumes themself; an administrator another trader or everyone (PauseResult says who wins)
  pauseUser(actor: Actor, userId: string): Promise<PauseResult>;
  resumeUser(actor: Actor, userId: string): Promise<PauseResult>;
  pauseAll(actor: Actor): Promise<PauseResult>;
  resumeAll(actor: Actor): Promise<PauseResult>;
  status(): Promise<EngineStatus>;
  /** null while the database answers; else since when it does not (no database call: safe during the outage) */
  databaseOutage(): DatabaseOutage | null;
}

/** The database as the engine sees it (for /status and /healthz). */
export interface DatabaseStatus {
  available: boolean;
  /** when the outage began; null while available */
  downSince: Date | null;
  /** exits sent to the exchange during the outage, not yet recorded in the database */
  exitsAwaitingRecord: number;
}

export interface DatabaseOutage {
  since: Date;
  exitsAwaitingRecord: number;
}
