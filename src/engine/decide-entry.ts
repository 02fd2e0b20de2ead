/**
 * The story of one signal for one account, up to the order: this file gathers the inputs
 * (open positions, history, candles, protections, price, balance, holdings) and asks the domain's
 * one entry decision (domain/entry-decision.ts), the same function the backtest calls.
 */
import { MAX_SIGNAL_AGE_MS, type Signal } from '../domain/signals.ts';
import { accountHoldings, decideEntry as decideDomainEntry, type EntryDecision as DomainEntryDecision, type EntryMarket } from '../domain/entry-decision.ts';
import { dailyVolatility } from '../domain/volatility.ts';
import { DAY_MS } from '../domain/limits.ts';
import type { Candle } from '../domain/types.ts';
import { toProtectionSettings, type TradingSettings } from '../domain/settings.ts';
import { protectionLookbackMs, type ProtectionLock } from '../domain/protections.ts';
import { accountEquity, locksFromExits, toExitFacts } from './protection-state.ts';
import type { SignalRecord } from '../db/repos/signals.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { ExchangePort, TradingMode } from '../exchange/port.ts';
import type { EngineContext } from './context.ts';
import { splitSymbol } from '../domain/fills.ts';
import { signalRowProblems } from './signal-row.ts';
import { ownsUser } from './shard-leases.ts';

export type CandleSource = (exchange: string, symbol: string) => Promise<Candle[]>;

/** The domain's decision with the market known, as the engine acts on it. */
export type EntryDecision =
  | { kind: 'reject'; reasons: string[] }
  /** SPEC §3 rule 7: the account's open position of the symbol is closed (signal_reverse); then `reopen` decides again */
  | { kind: 'reverse'; position: PositionRecord; reopen: boolean }
  /** `free`: the free quote balance the size was computed from */
  | (Extract<DomainEntryDecision, { kind: 'open' }> & { free: number });

export interface DecideInput {
  signal: SignalRecord;
  /** unified market symbol of the account's mode */
  symbol: string;
  userId: string;
  /** the account the entry would trade on */
  accountId: string;
  settings: TradingSettings;
  port: ExchangePort;
  exchange: string;
  trustedSources: readonly string[];
  candles?: CandleSource | undefined;
  /** the live signals for consensus, read once per signal for all its users */
  live?: LiveSignals | undefined;
  /** the source's recent accuracy (0..1, null = unknown), read once per signal */
  sourceAccuracy?: number | null | undefined;
  /** the signal's own leverage (a channel post's): never more than the trader's settings allow */
  leverageCap?: number | null | undefined;
}

/** What consensus reads once per signal, for every trader it is judged for. */
export interface LiveSignals {
  /** well-formed rows young enough to count (the domain decides which of them count for whom) */
  signals: readonly Signal[];
  /** recent accuracy of each trusted source among them, for each signal's own threshold */
  accuracy: Readonly<Record<string, number | null>>;
}

/**
 * Signals young enough to count for consensus (the age limit is the domain's). A malformed row
 * is left out here: its domain shape (an unknown action as HOLD, a missing confidence as 0)
 * would not say what it was.
 */
export async function liveSignals(ctx: EngineContext, trustedSources: readonly string[]): Promise<LiveSignals> {
  const rows = await ctx.repos.signals.createdSince(ctx.clock.now() - MAX_SIGNAL_AGE_MS);
  const signals = rows.filter((r) => signalRowProblems(r).length === 0).map(toDomainSignal);
  // one query per trusted source among them, side by side
  const sources = [...new Set(signals.map((s) => s.source))].filter((source) => trustedSources.includes(source));
  const accuracies = await Promise.all(sources.map((source) => ctx.repos.trades.sourceAccuracy(source)));
  const accuracy: Record<string, number | null> = {};
  sources.forEach((source, i) => (accuracy[source] = accuracies[i] ?? null));
  return { signals, accuracy };
}

export function toDomainSignal(s: SignalRecord): Signal {
  return {
    id: s.id,
    symbol: s.symbol,
    action: (['BUY', 'SELL', 'HOLD'].includes(s.action.trim().toUpperCase()) ? s.action.trim().toUpperCase() : 'HOLD') as Signal['action'],
    confidence: s.confidence ?? 0,
    source: s.source,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
    stopLoss: s.stopLoss,
    takeProfit: s.takeProfit,
    userId: s.userId,
  };
}

export async function decideEntry(ctx: EngineContext, input: DecideInput): Promise<EntryDecision> {
  const { signal, settings, port, symbol } = input;
  const malformed = signalRowProblems(signal);
  if (malformed.length > 0) return { kind: 'reject', reasons: malformed };
  const now = ctx.clock.now();
  // a preview asked in a process that does not own the trader (SPEC §12) reads the positions the owner wrote
  const held = ownsUser(ctx.ownership, input.userId) ? ctx.book.forUser(input.userId) : await ctx.repos.positions.listForUser(input.userId);
  const mine = held.filter((p) => p.status !== 'closed');
  const open = mine.find((p) => p.accountId === input.accountId && p.symbol === symbol);
  // everything the decision reads that is not the exchange's, at once: cached candles and the
  // database (signal →  order is one round trip to the exchange when the price and balance are known)
  const protections = toProtectionSettings(settings);
  const lookback = protectionLookbackMs(protections);
  const [candles, live, sourceAccuracy, recentTradeTimes, stats, exits] = await Promise.all([
    input.candles ? input.candles(input.exchange, symbol).catch(() => []) : Promise.resolve([]),
    input.live ?? liveSignals(ctx, input.trustedSources),
    input.sourceAccuracy !== undefined ? Promise.resolve(input.sourceAccuracy) : ctx.repos.trades.sourceAccuracy(signal.source),
    ctx.repos.executions.executedTimesSince(input.userId, now - DAY_MS),
    ctx.repos.trades.stats(input.userId),
    lookback > 0 ? ctx.repos.trades.accountExitsSince(input.userId, input.accountId, now - lookback) : Promise.resolve([]),
  ]);
  const decide = (locks: readonly ProtectionLock[], market: EntryMarket | null) =>
    decideDomainEntry({
      signal: toDomainSignal(signal),
      now,
      symbol,
      settings,
      trustedSources: input.trustedSources,
      userId: input.userId,
      live: live.signals,
      liveAccuracy: live.accuracy,
      sourceAccuracy,
      // per-day volatility of the recent candles, as the backtest reads it (the seed's 0.02 is daily)
      volatility: dailyVolatility(candles, candles.length),
      regimeCandles: candles,
      open: open ? { side: open.state.side, busy: open.status !== 'open' || open.pendingAction !== null } : null,
      openPositions: mine.length,
      recentTradeTimes,
      locks,
      history: stats.count > 0 ? { closedTrades: stats.count, winRate: stats.wins / stats.count, avgWin: stats.avgWin, avgLoss: stats.avgLoss } : null,
      market,
    });

  // protections (stop-loss guard, max drawdown, cooldown after an exit): the same derivation as
  // /status after a restart (protection-state.ts); the equity is read only when a drawdown can show
  let locks: ProtectionLock[] = [];
  if (lookback > 0) {
    locks = await locksFromExits(now, toExitFacts(exits), protections, () => accountEquity(ctx, input.accountId, port, symbol, mine));
    ctx.protectionLocks?.record(input.userId, input.accountId, locks);
  }
  // every check that needs no market first: the exchange is asked only for a signal that passes them
  const screened = decide(locks, null);
  if (screened.kind === 'reject') return screened;
  if (screened.kind === 'reverse') return { kind: 'reverse', position: open!, reopen: screened.reopen };

  // the price from the shared feed when it is fresh, and the balance from the cache, together
  const { quote } = splitSymbol(symbol);
  const [price, balance, maxLeverage] = await Promise.all([
    feedPrice(ctx, input.exchange, settings.mode, symbol, now) ?? port.fetchPrice(symbol),
    ctx.balances.get(input.accountId, port),
    port.maxLeverage ? port.maxLeverage(symbol) : port.market(symbol).then((m) => m.maxLeverage),
  ]);
  const free = balance[quote]?.free ?? 0;
  const spot = ctx.feeds(input.exchange, 'spot');
  const holdings = accountHoldings(
    Object.entries(balance).map(([asset, b]) => [asset, b.total] as [string, number]),
    quote,
    (asset) => spot?.lastTick(`${asset}/${quote}`)?.price,
    mine.map((p) => ({ symbol: p.symbol, qty: p.state.qty, entry: p.state.entry, mode: p.state.mode, leverage: p.state.leverage })),
  );
  // the exchange refuses an order it cannot fund; the fee is its own and not known here
  const d = decide(locks, { price, free, holdings, maxLeverage, leverageCap: input.leverageCap, feeRate: 0 });
  if (d.kind === 'open') return { ...d, free };
  if (d.kind === 'reject') return d;
  throw new Error(`entry decision ${d.kind} with the market known`);
}

/** ms: a feed price older than this is asked for over REST instead */
const FEED_PRICE_MAX_AGE_MS = 5_000;

/** the shared feed's last price of `symbol` when the feed is live and the tick recent */
function feedPrice(ctx: EngineContext, exchange: string, mode: TradingMode, symbol: string, now: number): number | undefined {
  const feed = ctx.feeds(exchange, mode);
  const tick = feed && !feed.isStale() ? feed.lastTick(symbol) : undefined;
  return tick && tick.price > 0 && now - tick.time <= FEED_PRICE_MAX_AGE_MS ? tick.price : undefined;
}
