import { backstopPrice } from '../domain/backstop.ts';
import { candleToTicks } from '../domain/candles.ts';
import { applyManualClose, candleWakes, cloneState, evaluate, openPosition, wakePrices, type Wake } from '../domain/monitor/index.ts';
import { CONSENSUS_WINDOW_MS, type Signal } from '../domain/signals.ts';
import { DAY_MS } from '../domain/limits.ts';
import { toMonitorSettings, toProtectionSettings, type TradingSettings } from '../domain/settings.ts';
import { accountProtections, protectionLookbackMs, type ExitFact } from '../domain/protections.ts';
import type { Candle, MonitorAction, MonitorSettings, PositionState, Tick } from '../domain/types.ts';
import { createLedger, type BacktestTrade, type OpenPosition as Open } from './ledger.ts';
import { decideEntry } from '../domain/entry-decision.ts';
import { splitSymbol } from '../domain/fills.ts';
import { dailyVolatility, REGIME_INTERVAL_MS, regimeSeries, regimeWindow } from '../domain/volatility.ts';

/**
 * The backtest: candles become ticks (SPEC §6), signals enter at the open of the first candle at
 * or after their creation through the same entry decision as live (domain/entry-decision.ts), and
 * every open position runs through the same evaluate() the live monitor calls. Money is a paper
 * account (ledger.ts): fills at the tick ± slippage, fees and P&L as the paper exchange and the
 * engine book them.
 */

export interface BacktestOptions {
  settings: TradingSettings;
  /** starting cash, quote currency */
  balance: number;
  /** fee rate per fill, 0.001 = 0.1 % */
  fee: number;
  /** slippage rate per fill, 0.0005 = 0.05 % */
  slippage: number;
  /** open every position with this quantity (no sizing, portfolio or balance checks) */
  fixedQty: number | null;
  trustedSources?: readonly string[];
}

export type { BacktestTrade, TradeExit } from './ledger.ts';

export interface Rejection {
  signal: Signal;
  reasons: string[];
}

export interface BacktestRun {
  trades: BacktestTrade[];
  rejections: Rejection[];
  /** ticks the candles stand for (4 per candle) */
  ticks: number;
  /**
   * exits on a gap tick that reached the exchange's protective stop as well (SPEC §10): there the
   * backstop would have fired too. Continuous moves meet the bot's own stop first, so with the bot
   * up this stays 0 unless the price gaps through both.
   */
  backstopFired: number;
  startBalance: number;
  endBalance: number;
  fees: number;
}

export function runBacktest(
  candlesBySymbol: ReadonlyMap<string, readonly Candle[]>,
  signals: readonly Signal[],
  opts: BacktestOptions,
): BacktestRun {
  const monitor: MonitorSettings = toMonitorSettings(opts.settings);
  const symbols = [...candlesBySymbol.keys()];
  const bySymbol = new Map<string, Signal[]>(symbols.map((s) => [s, []]));
  for (const s of [...signals].sort((a, b) => a.createdAt - b.createdAt)) bySymbol.get(s.symbol)?.push(s);
  const open = new Map<string, Open[]>(symbols.map((s) => [s, []]));
  const rejections: Rejection[] = [];
  /** open times of the entries, oldest first; the limits read the last day of them */
  const entryTimes: number[] = [];
  let entriesFrom = 0;
  const entriesOfLastDay = (now: number): readonly number[] => {
    while (entriesFrom < entryTimes.length && (entryTimes[entriesFrom] as number) <= now - DAY_MS) entriesFrom++;
    return entriesFrom === 0 ? entryTimes : entryTimes.slice(entriesFrom);
  };
  const quote = splitSymbol(symbols[0] ?? '').quote || 'USDT';
  const ledger = createLedger({ balance: opts.balance, fee: opts.fee, slippage: opts.slippage, mode: opts.settings.mode, quote, checkFunds: opts.fixedQty === null });
  /** last close per base asset, for valuing holdings */
  const markOf = new Map<string, number>();

  /** closed trades in closing order, as the protections read them (time and reason of the last exit) */
  const exitFacts: ExitFact[] = [];
  const protections = toProtectionSettings(opts.settings);
  const lookback = protectionLookbackMs(protections);
  const finish = (o: Open, list: Open[]) => {
    list.splice(list.indexOf(o), 1);
    ledger.close(o);
    const t = ledger.closed[ledger.closed.length - 1];
    const last = t?.exits[t.exits.length - 1];
    if (t) exitFacts.push({ symbol: t.symbol, closedAt: last?.time ?? t.entry_time, pnl: t.pnl, reason: last?.reason ?? 'manual' });
  };
  const recentExits = (now: number): readonly ExitFact[] => {
    if (lookback <= 0) return [];
    let i = exitFacts.length;
    while (i > 0 && (exitFacts[i - 1] as ExitFact).closedAt > now - lookback) i--;
    return exitFacts.slice(i);
  };

  // each state's wake prices (domain/monitor/wake.ts), derived once per state: a state is a
  // value, so a candle that leaves it alone asks again for free
  const wakes = new WeakMap<PositionState, Wake>();
  const candleMayAct = (s: PositionState, candle: Candle): boolean => {
    let w = wakes.get(s);
    if (w === undefined) wakes.set(s, (w = wakePrices(s, monitor)));
    return candleWakes(w, candle);
  };

  let backstopFired = 0;
  const step = (o: Open, list: Open[], tick: Tick): boolean => {
    const before = o.state;
    const r = evaluate(o.state, tick, monitor);
    o.state = r.next;
    if (r.actions.length > 0) {
      if (!tick.continuous && r.actions.some((a) => a.type === 'close_all' || a.type === 'partial' || a.type === 'reduce') && reachesBackstop(before, tick.price)) backstopFired++;
      ledger.fill(o, r.actions);
    }
    if (r.next.closed) {
      finish(o, list);
      return true;
    }
    return false;
  };

  const regimeOf = new Map<string, readonly Candle[]>();
  const enter = (symbol: string, candles: readonly Candle[], index: number, signal: Signal, live: readonly Signal[]) => {
    const candle = candles[index] as Candle;
    const list = open.get(symbol) as Open[];
    let series = regimeOf.get(symbol);
    if (series === undefined) {
      series = regimeSeries(candles);
      regimeOf.set(symbol, series);
    }
    const regimeCandles = regimeWindow(series, candle.time, series === candles ? intervalOf(candles) : REGIME_INTERVAL_MS);
    const volatility = dailyVolatility(candles, index);
    // the same decision as live (domain/entry-decision.ts), on what the backtest knows at this open
    const decide = () => {
      const everyOpen = [...open.values()].flat();
      const liveAccuracy: Record<string, number | null> = {};
      for (const l of live) liveAccuracy[l.source] ??= ledger.accuracy(l.source);
      return decideEntry({
        signal,
        now: candle.time,
        symbol,
        settings: opts.settings,
        trustedSources: opts.trustedSources,
        live,
        liveAccuracy,
        sourceAccuracy: ledger.accuracy(signal.source),
        volatility,
        regimeCandles,
        open: list[0] ? { side: list[0].trade.side, busy: false } : null,
        openPositions: ledger.openCount,
        recentTradeTimes: entriesOfLastDay(candle.time),
        locks: lookback > 0 ? accountProtections({ now: candle.time, exits: recentExits(candle.time), equity: ledger.equity, settings: protections }) : [],
        history: ledger.history(),
        market: {
          price: candle.open,
          free: ledger.cash,
          holdings: ledger.holdings(everyOpen, (asset) => markOf.get(asset)),
          feeRate: opts.fee,
          fixedQty: opts.fixedQty,
        },
      });
    };
    let d = decide();
    if (d.kind === 'reverse') {
      // SPEC §3 rule 7: the open position closes at this open, then the reverse is decided on the cash after it
      const current = list[0] as Open;
      const r = applyManualClose(current.state, 1, candle.open, candle.time, 'signal_reverse');
      current.state = r.next;
      ledger.fill(current, r.actions);
      finish(current, list);
      if (!d.reopen) return;
      d = decide();
    }
    if (d.kind !== 'open') {
      rejections.push({ signal, reasons: d.kind === 'reject' ? d.reasons : [`entry decision ${d.kind} with nothing open`] });
      return;
    }
    const filled = ledger.open(symbol, d.side, d.qty, candle.open, d.leverage);
    if (!filled.ok) {
      rejections.push({ signal, reasons: [filled.error.message] });
      return;
    }
    entryTimes.push(candle.time);
    const state = openPosition(
      { side: d.side, entry: filled.value.entry, qty: filled.value.qty, stopLoss: d.stopLoss, takeProfit: d.takeProfit, openedAt: candle.time, mode: opts.settings.mode, leverage: d.leverage },
      monitor,
    );
    list.push(ledger.track(symbol, signal.source, cloneState(state, candle.open), filled.value.entryFee, candle.time));
  };

  interface Lane {
    symbol: string;
    candles: readonly Candle[];
    index: number;
    signals: Signal[];
    next: number;
    list: Open[];
    base: string;
  }
  const lanes: Lane[] = symbols.map((symbol) => ({
    symbol,
    candles: candlesBySymbol.get(symbol) as readonly Candle[],
    index: 0,
    signals: bySymbol.get(symbol) as Signal[],
    next: 0,
    list: open.get(symbol) as Open[],
    base: splitSymbol(symbol).base,
  }));
  let ticks = 0;
  for (const l of lanes) ticks += 4 * l.candles.length;

  for (;;) {
    // next candle across symbols, by time (ties: symbol order)
    let lane: Lane | null = null;
    let best = Infinity;
    for (const l of lanes) {
      const c = l.candles[l.index];
      if (c !== undefined && c.time < best) {
        best = c.time;
        lane = l;
      }
    }
    if (lane === null) break;
    const { candles, signals: pending, list, symbol } = lane;
    if (list.length === 0) {
      // nothing open here: jump to the first candle at or after the next signal (or the end)
      const due = lane.next < pending.length ? (pending[lane.next] as Signal).createdAt : Infinity;
      let i = lane.index;
      while (i < candles.length && (candles[i] as Candle).time < due) i++;
      lane.index = i;
      if (i >= candles.length) continue;
      if (lanes.length > 1 && (candles[i] as Candle).time > best) continue; // let other lanes catch up
    }
    const index = lane.index++;
    const candle = candles[index] as Candle;
    let si = lane.next;
    const hasSignal = si < pending.length && (pending[si] as Signal).createdAt <= candle.time;
    if (list.length === 0 && !hasSignal) continue;

    let path: Tick[] | null = null;
    let awake: Open[] | null = null;
    for (const o of list) {
      if (!candleMayAct(o.state, candle)) continue;
      (awake ??= []).push(o);
    }
    if (awake !== null) {
      path = candleToTicks(candle);
      for (const o of awake) step(o, list, path[0] as Tick);
    }
    while (si < pending.length && (pending[si] as Signal).createdAt <= candle.time) {
      const signal = pending[si] as Signal;
      enter(symbol, candles, index, signal, liveAround(pending, si, candle.time));
      si++;
    }
    lane.next = si;
    markOf.set(lane.base, candle.close);
    if (list.length === 0) continue;
    for (const o of list.slice()) {
      if (!(awake?.includes(o) ?? false) && !candleMayAct(o.state, candle)) continue;
      path ??= candleToTicks(candle);
      for (let k = 1; k < 4; k++) if (step(o, list, path[k] as Tick)) break;
    }
  }

  for (const [symbol, list] of open) {
    const candles = candlesBySymbol.get(symbol) as readonly Candle[];
    const last = candles[candles.length - 1] as Candle;
    for (const o of [...list]) {
      const exit: MonitorAction = { type: 'close_all', reason: 'end_of_data', price: last.close, qty: o.state.qty, time: last.time };
      ledger.fill(o, [exit]);
      finish(o, list);
    }
  }
  const trades = [...ledger.closed].sort((a, b) => a.entry_time - b.entry_time);
  return { trades, rejections, ticks, backstopFired, startBalance: opts.balance, endBalance: ledger.cash, fees: ledger.fees };
}

/** Signals of one symbol (sorted by time) created within the consensus window of pending[si] and by `now`. */
function liveAround(pending: readonly Signal[], si: number, now: number): Signal[] {
  const signal = pending[si] as Signal;
  const from = signal.createdAt - CONSENSUS_WINDOW_MS;
  const out: Signal[] = [];
  for (let k = si - 1; k >= 0 && (pending[k] as Signal).createdAt >= from; k--) out.push(pending[k] as Signal);
  for (let k = si + 1; k < pending.length && (pending[k] as Signal).createdAt <= now; k++) out.push(pending[k] as Signal);
  return out;
}

function intervalOf(candles: readonly Candle[]): number {
  const a = candles[0];
  const b = candles[1];
  return a !== undefined && b !== undefined ? b.time - a.time : REGIME_INTERVAL_MS;
}

/** the price is at or beyond where the position's backstop rests (a long's below, a short's above) */
function reachesBackstop(s: Parameters<typeof backstopPrice>[0], price: number): boolean {
  const level = backstopPrice(s);
  return s.side === 'long' ? price <= level : price >= level;
}
