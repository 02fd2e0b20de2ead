import { checkTradeLimits } from '../domain/limits.ts';
import { analyzeTrade, baseAsset, type Holding } from '../domain/portfolio.ts';
import { effectiveLeverage, effectiveRiskPerTrade, toProtectionSettings, type TradingSettings } from '../domain/settings.ts';
import { activeProtections, type ExitFact } from '../domain/protections.ts';
import { isThinSession, validateSignal, type Signal } from '../domain/signals.ts';
import { calculatePositionSize, type TradeHistory } from '../domain/sizing.ts';
import { computeSlTp } from '../domain/sltp.ts';
import { planAgainstOpen } from '../domain/one-position.ts';
import { dailyVolatility } from '../domain/volatility.ts';
import type { Candle, Side } from '../domain/types.ts';

/** What the backtest knows when a signal reaches the open of a candle. */
export interface EntryContext {
  /** the symbol's candles and the index of the candle whose open is the entry */
  candles: readonly Candle[];
  index: number;
  /** recent hourly candles for the regime and ATR (see regimeWindow) */
  regimeCandles: readonly Candle[];
  /** other signals of the symbol created up to this candle (consensus) */
  live: readonly Signal[];
  settings: TradingSettings;
  /** free cash, quote currency */
  cash: number;
  /** open positions' exposure per base asset, quote currency */
  exposures: readonly Holding[];
  openPositions: number;
  /** open times of earlier entries (rate limits) */
  entryTimes: readonly number[];
  history: TradeHistory | null;
  fee: number;
  slippage: number;
  fixedQty: number | null;
  trustedSources?: readonly string[];
  /** side of the position already open in this symbol, if any (one position per symbol) */
  openSide: Side | null;
  /** closed trades so far, for the protections (each at its last exit's time and reason) */
  exits?: readonly ExitFact[];
  /** equity now (cash plus margin in open positions), the drawdown guard's base */
  equity?: number;
}

export type EntryDecision =
  | {
      ok: true;
      action: 'open';
      side: Side;
      /** fill price: open ± slippage */
      entry: number;
      qty: number;
      stopLoss: number;
      takeProfit: number;
      leverage: number;
      /** cash locked: notional / leverage */
      margin: number;
    }
  /** a valid signal against the open position closes it (signal_reverse); the reverse opens after, if it can */
  | { ok: true; action: 'reverse'; reopen: boolean }
  | { ok: false; reasons: string[] };

/**
 * SPEC §3 + §4 + §5 for a BUY/SELL reaching the open of candle `index`: validation, then the
 * one-position rule (domain/one-position.ts: an opposite signal reverses, the same side is refused),
 * rate limits, SL/TP, sizing, portfolio and balance. With fixedQty only validation and the
 * rate/count limits apply (sizing, portfolio limits and balance checks are skipped).
 */
export function decideEntry(signal: Signal, ctx: EntryContext): EntryDecision {
  const candle = ctx.candles[ctx.index] as Candle;
  const s = ctx.settings;
  const volatility = dailyVolatility(ctx.candles, ctx.index);
  const v = validateSignal(signal, {
    now: candle.time,
    mode: s.mode,
    hasOpenLong: ctx.openSide === 'long',
    threshold: { volatility, sourceAccuracy: null, thinSession: isThinSession(candle.time) },
    live: ctx.live,
    ...(ctx.trustedSources ? { trustedSources: ctx.trustedSources } : {}),
  });
  const reasons = [...v.reasons];
  if (reasons.length > 0 || (signal.action !== 'BUY' && signal.action !== 'SELL')) return { ok: false, reasons: reasons.length > 0 ? reasons : ['nothing to do'] };
  const plan = planAgainstOpen({ symbol: signal.symbol, action: signal.action, mode: s.mode, open: ctx.openSide });
  if (plan.kind === 'refuse') return { ok: false, reasons: [plan.reason] };
  if (plan.kind === 'reverse') return { ok: true, action: 'reverse', reopen: plan.open !== null };
  // the protections, as live (src/engine/decide-entry.ts)
  const locks = activeProtections({ now: candle.time, symbol: signal.symbol, exits: ctx.exits ?? [], equity: ctx.equity ?? ctx.cash, settings: toProtectionSettings(s) });
  if (locks.length > 0) return { ok: false, reasons: locks.map((l) => l.reason) };
  const limits = checkTradeLimits({
    now: candle.time,
    recentTradeTimes: ctx.entryTimes,
    openPositions: ctx.openPositions,
    maxPositions: s.maxPositions,
    dailyTradeLimit: s.dailyTradeLimit,
    hourlyTradeLimit: s.hourlyTradeLimit,
  });
  if (!limits.execute) return { ok: false, reasons: limits.reasons };
  const side: Side = plan.side;
  const entry = side === 'long' ? candle.open * (1 + ctx.slippage) : candle.open * (1 - ctx.slippage);
  const sltp = computeSlTp({
    side,
    entry,
    signalStopLoss: signal.stopLoss,
    signalTakeProfit: signal.takeProfit,
    candles: ctx.regimeCandles,
    stopLossPct: s.stopLossPct,
    takeProfitPct: s.takeProfitPct,
  });
  const leverage = effectiveLeverage(s);
  const base = { ok: true as const, action: 'open' as const, side, entry, stopLoss: sltp.stopLoss, takeProfit: sltp.takeProfit, leverage };
  if (ctx.fixedQty !== null) {
    return { ...base, qty: ctx.fixedQty, margin: (ctx.fixedQty * entry) / leverage };
  }
  const size = calculatePositionSize({
    balance: ctx.cash,
    riskPerTradePct: effectiveRiskPerTrade(s),
    stopLossPct: sltp.stopLossPct,
    volatility,
    confidence: v.score,
    maxPosition: s.maxPosition,
    leverage,
    mode: s.mode,
    history: ctx.history,
  });
  const portfolio = analyzeTrade(
    [...ctx.exposures, { asset: 'USDT', value: Math.max(0, ctx.cash) }],
    { asset: baseAsset(signal.symbol), value: size.notional, kind: 'open' },
  );
  if (!portfolio.execute) return { ok: false, reasons: portfolio.reasons };
  let notional = size.notional * portfolio.sizeMultiplier;
  // balance: margin plus the entry fee must be paid from cash
  const affordable = ctx.cash / (1 / leverage + ctx.fee);
  if (notional > affordable) notional = Math.max(0, affordable);
  if (!(notional > 0)) {
    const h = ctx.history;
    if (size.cappedBy === 'half_kelly' && h) {
      const why = `half-Kelly stake is 0: ${h.closedTrades} closed trades, win rate ${(h.winRate * 100).toFixed(1)} %, avg win ${h.avgWin.toFixed(2)}, avg loss ${h.avgLoss.toFixed(2)} (no edge)`;
      return { ok: false, reasons: [why] };
    }
    return { ok: false, reasons: ['position size is zero (no free balance)'] };
  }
  return { ...base, qty: notional / entry, margin: notional / leverage };
}
