/**
 * The entry decision for one signal on one account, the one function live trading, paper and the
 * backtest call (SPEC §3 rule 7: one function decides it for all three). In order: validation
 * (§3 rules 1–5) → one position per account and symbol (rule 7) → protections → limits (rule 6)
 * → SL/TP (§4) → leverage and size (§4) → portfolio (§5) → balance. Every refusal is a reason.
 *
 * Pure: the callers gather the inputs. The engine reads the market (price, balance, holdings) only
 * for a signal that passes every check before it: it calls once with `market: null`, which stops
 * at `ready`, then again with the market. The backtest knows the market up front.
 */
import { isThinSession, validateSignal, type Signal } from './signals.ts';
import { planAgainstOpen } from './one-position.ts';
import { locksOnPair, type ProtectionLock } from './protections.ts';
import { checkTradeLimits } from './limits.ts';
import { computeSlTp } from './sltp.ts';
import { calculatePositionSize, type TradeHistory } from './sizing.ts';
import { analyzeTrade, baseAsset, categoryOf, type Holding } from './portfolio.ts';
import { effectiveLeverage, effectiveRiskPerTrade, riskLevelNotes, type TradingSettings } from './settings.ts';
import { splitSymbol } from './fills.ts';
import type { Candle, Side } from './types.ts';

export interface EntryInput {
  /** the signal, already well-formed (the engine refuses malformed rows first; the CSV parser does for the backtest) */
  signal: Signal;
  /** ms since epoch: when the decision is made */
  now: number;
  /** the account's market symbol ('BTC/USDT', 'BTC/USDT:USDT') */
  symbol: string;
  settings: TradingSettings;
  trustedSources?: readonly string[] | undefined;
  /** the trader the decision is for (null: the backtest's single trader) */
  userId?: string | null | undefined;
  /** other signals that may count for consensus (the domain decides which do) */
  live: readonly Signal[];
  /** recent accuracy of the other signals' sources (0..1, null = unknown) */
  liveAccuracy?: Readonly<Record<string, number | null>> | undefined;
  /** recent accuracy of this signal's source (0..1, null = unknown): see sourceAccuracy() */
  sourceAccuracy: number | null;
  /** per-day realised volatility of the recent candles (fraction) */
  volatility: number;
  /** the recent candles ATR and the regime read for SL/TP */
  regimeCandles: readonly Candle[];
  /** the account's position already open on the symbol; `busy` while an order of it is in flight */
  open: { side: Side; busy: boolean } | null;
  /** the trader's open positions over all accounts */
  openPositions: number;
  /** ms since epoch of the trader's entries in the last day (rate limits) */
  recentTradeTimes: readonly number[];
  /** every protection lock on the account now (accountProtections) */
  locks: readonly ProtectionLock[];
  /** the trader's closed trades, for half-Kelly (null: none) */
  history: TradeHistory | null;
  market: EntryMarket | null;
}

export interface EntryMarket {
  /** the price the decision sees (the feed's last tick; the backtest's candle open), quote per base; the fill adds slippage */
  price: number;
  /** free balance in the symbol's quote currency */
  free: number;
  /** what the account holds, valued in quote (accountHoldings) */
  holdings: readonly Holding[];
  /** the market's maximum leverage, when the exchange says */
  maxLeverage?: number | undefined;
  /** a channel post's own leverage: never more than the trader's settings allow */
  leverageCap?: number | null | undefined;
  /** taker fee rate the entry pays (fraction): margin plus this fee must fit the free balance */
  feeRate: number;
  /** the backtest's --fixed-qty: every entry this quantity, sizing, portfolio and balance checks skipped (SPEC §8) */
  fixedQty?: number | null | undefined;
}

export type EntryDecision =
  | { kind: 'reject'; reasons: string[] }
  /** SPEC §3 rule 7: the open position closes (signal_reverse); then, when `reopen`, decide again on the balance after it */
  | { kind: 'reverse'; reopen: boolean }
  /** every check that needs no market passed: call again with `market` */
  | { kind: 'ready' }
  | {
      kind: 'open';
      side: Side;
      /** base units */
      qty: number;
      /** the price the size and levels were computed at */
      price: number;
      stopLoss: number;
      takeProfit: number;
      leverage: number;
      /** sizing and portfolio notes (caps that applied) */
      notes: string[];
      /** Herfindahl index of the holdings after this entry when it reached the warning level (SPEC §5), else null */
      concentration: number | null;
    };

export function decideEntry(input: EntryInput): EntryDecision {
  const { signal, settings: s, now, symbol } = input;
  const v = validateSignal(signal, {
    now,
    mode: s.mode,
    hasOpenLong: input.open?.side === 'long',
    threshold: { volatility: input.volatility, sourceAccuracy: input.sourceAccuracy, thinSession: isThinSession(now) },
    live: input.live,
    ...(input.userId != null ? { userId: input.userId } : {}),
    ...(input.liveAccuracy ? { sourceAccuracy: input.liveAccuracy } : {}),
    ...(input.trustedSources ? { trustedSources: input.trustedSources } : {}),
  });
  if (!v.execute || v.intent === null || (signal.action !== 'BUY' && signal.action !== 'SELL')) return { kind: 'reject', reasons: v.reasons };

  const plan = planAgainstOpen({ symbol, action: signal.action, mode: s.mode, open: input.open?.side ?? null });
  if (plan.kind === 'refuse') return { kind: 'reject', reasons: [plan.reason] };
  if (plan.kind === 'reverse') {
    if (input.open?.busy) return { kind: 'reject', reasons: [`an order of the open ${plan.close} of ${symbol} is still in progress`] };
    return { kind: 'reverse', reopen: plan.open !== null };
  }

  const locks = locksOnPair(input.locks, symbol);
  if (locks.length > 0) return { kind: 'reject', reasons: locks.map((l) => l.reason) };

  const limits = checkTradeLimits({
    now,
    recentTradeTimes: input.recentTradeTimes,
    openPositions: input.openPositions,
    maxPositions: s.maxPositions,
    dailyTradeLimit: s.dailyTradeLimit,
    hourlyTradeLimit: s.hourlyTradeLimit,
  });
  if (!limits.execute) return { kind: 'reject', reasons: limits.reasons };

  const m = input.market;
  if (m === null) return { kind: 'ready' };
  const side = plan.side;
  const levels = computeSlTp({
    side,
    entry: m.price,
    signalStopLoss: signal.stopLoss,
    signalTakeProfit: signal.takeProfit,
    candles: input.regimeCandles,
    stopLossPct: s.stopLossPct,
    takeProfitPct: s.takeProfitPct,
  });
  // never more leverage than the market itself allows, nor than a channel post asks for
  const wanted = m.leverageCap != null && m.leverageCap >= 1 ? Math.min(effectiveLeverage(s), Math.floor(m.leverageCap)) : effectiveLeverage(s);
  const leverage = m.maxLeverage !== undefined && wanted > m.maxLeverage ? m.maxLeverage : wanted;
  const base = { kind: 'open' as const, side, price: m.price, stopLoss: levels.stopLoss, takeProfit: levels.takeProfit };
  if (m.fixedQty != null) return { ...base, qty: m.fixedQty, leverage: s.mode === 'spot' ? 1 : Math.max(1, leverage), notes: [], concentration: null };

  const sizing = calculatePositionSize({
    balance: m.free,
    riskPerTradePct: effectiveRiskPerTrade(s),
    stopLossPct: levels.stopLossPct,
    volatility: input.volatility,
    confidence: v.score,
    maxPosition: s.maxPosition,
    leverage,
    mode: s.mode,
    history: input.history,
  });
  const portfolio = analyzeTrade(m.holdings, { asset: baseAsset(symbol), value: sizing.notional, kind: 'open' });
  if (!portfolio.execute) return { kind: 'reject', reasons: portfolio.reasons };
  let notional = sizing.notional * portfolio.sizeMultiplier;
  // the balance: the margin plus the entry fee are paid from the free balance
  const affordable = m.free / (1 / sizing.leverage + m.feeRate);
  if (notional > affordable) notional = Math.max(0, affordable);
  if (!(notional > 0)) {
    const h = input.history;
    if (sizing.cappedBy === 'half_kelly' && h) {
      return { kind: 'reject', reasons: [`half-Kelly stake is 0: ${h.closedTrades} closed trades, win rate ${(h.winRate * 100).toFixed(1)} %, avg win ${h.avgWin.toFixed(2)}, avg loss ${h.avgLoss.toFixed(2)} (no edge)`] };
    }
    return { kind: 'reject', reasons: [`no size: free ${splitSymbol(symbol).quote} balance is ${m.free}`] };
  }
  const notes = [
    ...riskLevelNotes(s),
    ...(leverage < wanted ? [`leverage capped at the market's maximum ${leverage}×`] : []),
    ...(sizing.cappedBy ? [`size capped by ${sizing.cappedBy}`] : []),
    ...portfolio.reasons,
  ];
  return { ...base, qty: notional / m.price, leverage: sizing.leverage, notes, concentration: portfolio.concentration };
}

/** An open position as the holdings read it. */
export interface HeldPosition {
  symbol: string;
  /** base units */
  qty: number;
  entry: number;
  mode: string;
  leverage: number;
}

/**
 * What the account holds, valued in `quote` (SPEC §5): stablecoin and quote balances at 1, other
 * balances at `priceOf` (left out when it has none), and the open positions (a spot position
 * already priced among the balances is not counted twice; margin and futures at their margin,
 * with their leveraged notional as exposure).
 */
export function accountHoldings(
  balances: Iterable<[string, number]>,
  quote: string,
  priceOf: (asset: string) => number | undefined,
  open: readonly HeldPosition[],
): Holding[] {
  const holdings: Holding[] = [];
  for (const [asset, total] of balances) {
    if (!(total > 0)) continue;
    if (asset === quote || categoryOf(asset) === 'stable') {
      holdings.push({ asset, value: total });
      continue;
    }
    const price = priceOf(asset);
    if (price !== undefined) holdings.push({ asset, value: total * price });
  }
  for (const p of open) {
    const asset = baseAsset(p.symbol);
    if (p.mode === 'spot') {
      if (holdings.some((h) => h.asset === asset)) continue;
      holdings.push({ asset, value: p.qty * p.entry });
    } else {
      holdings.push({ asset, value: (p.qty * p.entry) / Math.max(1, p.leverage), exposure: p.qty * p.entry });
    }
  }
  return holdings;
}

/** positions of a source judged for its accuracy (the latest), and how many it needs before it counts */
export const SOURCE_ACCURACY_WINDOW = 50;
export const SOURCE_ACCURACY_MINIMUM = 10;

/**
 * A source's recent accuracy (SPEC §3 rule 4): the share of winners among its latest closed
 * positions (net P&L per position, newest first, up to SOURCE_ACCURACY_WINDOW); null (unknown)
 * with fewer than SOURCE_ACCURACY_MINIMUM.
 */
export function sourceAccuracy(pnls: readonly number[]): number | null {
  const recent = pnls.slice(0, SOURCE_ACCURACY_WINDOW);
  if (recent.length < SOURCE_ACCURACY_MINIMUM) return null;
  return recent.filter((p) => p > 0).length / recent.length;
}
