/**
 * The story of one signal for one account, up to the order: validate (SPEC §3) → one position per
 * account and symbol (rule 7) → limits → SL/TP
 * (§4) → size (§4) → portfolio (§5). Every rule is the domain's; this file only gathers the
 * inputs (balance, prices, history, open positions) and collects every refusal reason.
 */
import { MAX_SIGNAL_AGE_MS, validateSignal, isThinSession, type Signal } from '../domain/signals.ts';
import { planAgainstOpen } from '../domain/one-position.ts';
import { dailyVolatility } from '../domain/volatility.ts';
import { checkTradeLimits, DAY_MS } from '../domain/limits.ts';
import { computeSlTp } from '../domain/sltp.ts';
import { calculatePositionSize } from '../domain/sizing.ts';
import { analyzeTrade, baseAsset, categoryOf, type Holding } from '../domain/portfolio.ts';
import type { Candle, Side } from '../domain/types.ts';
import { effectiveLeverage, effectiveRiskPerTrade, riskLevelNotes, toProtectionSettings, type TradingSettings } from '../domain/settings.ts';
import { locksOnPair, protectionLookbackMs } from '../domain/protections.ts';
import { accountEquity, locksFromExits, toExitFacts } from './protection-state.ts';
import type { SignalRecord } from '../db/repos/signals.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { ExchangePort, TradingMode } from '../exchange/port.ts';
import type { EngineContext } from './context.ts';
import { splitSymbol } from './fills.ts';
import { signalRowProblems } from './signal-row.ts';

export type CandleSource = (exchange: string, symbol: string) => Promise<Candle[]>;

export type EntryDecision =
  | { kind: 'reject'; reasons: string[] }
  /** SPEC §3 rule 7: the account's open position of the symbol is closed (signal_reverse); then `reopen` decides again */
  | { kind: 'reverse'; position: PositionRecord; reopen: boolean }
  | {
      kind: 'open';
      side: Side;
      /** base units */
      qty: number;
      /** reference price the size was computed at */
      price: number;
      stopLoss: number;
      takeProfit: number;
      leverage: number;
      /** sizing and portfolio notes (caps that applied) */
      notes: string[];
      /** Herfindahl index of the holdings after this entry when it reached the warning level (SPEC §5), else null */
      concentration: number | null;
      /** the free quote balance the size was computed from */
      free: number;
    };

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
  const accuracy: Record<string, number | null> = {};
  for (const source of new Set(signals.map((s) => s.source))) {
    if (trustedSources.includes(source)) accuracy[source] = await ctx.repos.trades.sourceAccuracy(source);
  }
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
  const mine = ctx.book.forUser(input.userId).filter((p) => p.status !== 'closed');
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
  // per-day volatility of the recent candles, as the backtest reads it (the seed's 0.02 is daily)
  const volatility = dailyVolatility(candles, candles.length);

  const decision = validateSignal(toDomainSignal(signal), {
    now,
    mode: settings.mode,
    hasOpenLong: open?.state.side === 'long',
    threshold: {
      volatility,
      sourceAccuracy,
      thinSession: isThinSession(now),
    },
    live: live.signals,
    userId: input.userId,
    sourceAccuracy: live.accuracy,
    trustedSources: input.trustedSources,
  });
  if (!decision.execute || decision.intent === null) return { kind: 'reject', reasons: decision.reasons };
  const action = signal.action.toUpperCase() === 'BUY' ? 'BUY' : 'SELL';
  const plan = planAgainstOpen({ symbol, action, mode: settings.mode, open: open?.state.side ?? null });
  if (plan.kind === 'refuse') return { kind: 'reject', reasons: [plan.reason] };
  if (plan.kind === 'reverse' && open) {
    if (open.status !== 'open' || open.pendingAction) return { kind: 'reject', reasons: [`an order of the open ${open.state.side} of ${symbol} is still in progress`] };
    return { kind: 'reverse', position: open, reopen: plan.open !== null };
  }

  // protections (stop-loss guard, max drawdown, cooldown after an exit): the same domain functions as
  // the backtest, and the same derivation as /status after a restart (protection-state.ts)
  if (lookback > 0) {
    const all = await locksFromExits(now, toExitFacts(exits), protections, () => accountEquity(ctx, input.accountId, port, symbol, mine));
    ctx.protectionLocks?.record(input.userId, input.accountId, all);
    const locks = locksOnPair(all, symbol);
    if (locks.length > 0) return { kind: 'reject', reasons: locks.map((l) => l.reason) };
  }

  const limits = checkTradeLimits({
    now,
    recentTradeTimes,
    openPositions: mine.length,
    maxPositions: settings.maxPositions,
    dailyTradeLimit: settings.dailyTradeLimit,
    hourlyTradeLimit: settings.hourlyTradeLimit,
  });
  if (!limits.execute) return { kind: 'reject', reasons: limits.reasons };

  const side: Side = plan.kind === 'open' ? plan.side : action === 'BUY' ? 'long' : 'short';
  // the price from the shared feed when it is fresh, and the balance from the cache, together
  const { quote } = splitSymbol(symbol);
  const [price, balance] = await Promise.all([feedPrice(ctx, input.exchange, settings.mode, symbol, now) ?? port.fetchPrice(symbol), ctx.balances.get(input.accountId, port)]);
  const levels = computeSlTp({
    side,
    entry: price,
    signalStopLoss: signal.stopLoss,
    signalTakeProfit: signal.takeProfit,
    candles,
    stopLossPct: settings.stopLossPct,
    takeProfitPct: settings.takeProfitPct,
  });
  // never more leverage than the market itself allows (the exchange's market list, and its leverage brackets where it has them)
  const maxLeverage = port.maxLeverage ? await port.maxLeverage(symbol) : (await port.market(symbol)).maxLeverage;
  const wantedLeverage = input.leverageCap != null && input.leverageCap >= 1 ? Math.min(effectiveLeverage(settings), Math.floor(input.leverageCap)) : effectiveLeverage(settings);
  const leverage = maxLeverage !== undefined && wantedLeverage > maxLeverage ? maxLeverage : wantedLeverage;
  const free = balance[quote]?.free ?? 0;
  const sizing = calculatePositionSize({
    balance: free,
    riskPerTradePct: effectiveRiskPerTrade(settings),
    stopLossPct: levels.stopLossPct,
    volatility,
    confidence: decision.score,
    maxPosition: settings.maxPosition,
    leverage,
    mode: settings.mode,
    history: stats.count > 0 ? { closedTrades: stats.count, winRate: stats.wins / stats.count, avgWin: stats.avgWin, avgLoss: stats.avgLoss } : null,
  });
  if (!(sizing.notional > 0)) return { kind: 'reject', reasons: [`no size: free ${quote} balance is ${free}`] };

  const holdings = await holdingsOf(ctx, balance, quote, mine, input.exchange);
  const portfolio = analyzeTrade(holdings, { asset: baseAsset(symbol), value: sizing.notional, kind: 'open' });
  if (!portfolio.execute) return { kind: 'reject', reasons: portfolio.reasons };
  const notional = sizing.notional * portfolio.sizeMultiplier;
  const notes = [...riskLevelNotes(settings), ...(leverage < wantedLeverage ? [`leverage capped at the market's maximum ${leverage}×`] : []), ...(sizing.cappedBy ? [`size capped by ${sizing.cappedBy}`] : []), ...portfolio.reasons];
  return {
    kind: 'open',
    side,
    qty: notional / price,
    price,
    stopLoss: levels.stopLoss,
    takeProfit: levels.takeProfit,
    leverage: sizing.leverage,
    notes,
    concentration: portfolio.concentration,
    free,
  };
}

/** ms: a feed price older than this is asked for over REST instead */
const FEED_PRICE_MAX_AGE_MS = 5_000;

/** the shared feed's last price of `symbol` when the feed is live and the tick recent */
function feedPrice(ctx: EngineContext, exchange: string, mode: TradingMode, symbol: string, now: number): number | undefined {
  const feed = ctx.feeds(exchange, mode);
  const tick = feed && !feed.isStale() ? feed.lastTick(symbol) : undefined;
  return tick && tick.price > 0 && now - tick.time <= FEED_PRICE_MAX_AGE_MS ? tick.price : undefined;
}

/**
 * What the account holds, valued in quote: stablecoin and quote balances at 1, other spot
 * balances at the shared feed's last price, and the bot's open positions (margin at entry).
 */
async function holdingsOf(
  ctx: EngineContext,
  balance: Readonly<Record<string, { total: number }>>,
  quote: string,
  open: ReadonlyArray<{ symbol: string; exchange: string; state: { qty: number; entry: number; mode: string; leverage: number } }>,
  exchange: string,
): Promise<Holding[]> {
  const holdings: Holding[] = [];
  const feed = ctx.feeds(exchange, 'spot');
  for (const [asset, b] of Object.entries(balance)) {
    if (!(b.total > 0)) continue;
    if (asset === quote || categoryOf(asset) === 'stable') {
      holdings.push({ asset, value: b.total });
      continue;
    }
    const price = feed?.lastTick(`${asset}/${quote}`)?.price;
    if (price !== undefined) holdings.push({ asset, value: b.total * price });
  }
  for (const p of open) {
    if (p.state.mode === 'spot') {
      // spot positions are already in the balance above when the feed priced them
      if (holdings.some((h) => h.asset === baseAsset(p.symbol))) continue;
      holdings.push({ asset: baseAsset(p.symbol), value: p.state.qty * p.state.entry });
    } else {
      holdings.push({ asset: baseAsset(p.symbol), value: (p.state.qty * p.state.entry) / Math.max(1, p.state.leverage), exposure: p.state.qty * p.state.entry });
    }
  }
  return holdings;
}
