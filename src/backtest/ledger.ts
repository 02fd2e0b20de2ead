import { accountEntry, accountExit, splitSymbol } from '../domain/fills.ts';
import { accountHoldings, sourceAccuracy, SOURCE_ACCURACY_WINDOW } from '../domain/entry-decision.ts';
import { applyFill, commitFill, lockedMargin, type FillRefusal, type PaperMarket, type PaperState } from '../domain/paper-account.ts';
import type { Holding } from '../domain/portfolio.ts';
import type { TradeHistory } from '../domain/sizing.ts';
import type { ExitReason, Mode, MonitorAction, PositionState, Side } from '../domain/types.ts';

/**
 * The backtest's money is a paper account (domain/paper-account.ts, the paper exchange's own
 * bookkeeping) and its positions record their fills as the engine does (domain/fills.ts): a spot
 * buy's fee is taken in the coin bought and the position holds the rest, margin and futures lock
 * notional / leverage, each exit's P&L carries its share of the entry fee. Fills are at the price
 * the monitor or the signal saw, moved against the trader by the slippage (a buy higher, a sell
 * lower), as the paper exchange fills them. This file adds the trade records, the win/loss record
 * that feeds half-Kelly, and each source's record for its accuracy.
 */

export interface TradeExit {
  time: number;
  price: number;
  qty: number;
  reason: ExitReason;
}

/** One position, SPEC §8 output shape. pnl is net of fees. */
export interface BacktestTrade {
  symbol: string;
  side: Side;
  entry_time: number;
  entry_price: number;
  /** base units held after the entry's fee */
  qty: number;
  exits: TradeExit[];
  pnl: number;
}

export interface OpenPosition {
  symbol: string;
  source: string;
  state: PositionState;
  trade: BacktestTrade;
  /** quote units, the whole entry order's fee */
  entryFee: number;
  /** base units held, as the accounting counts them */
  held: number;
}

/** the entry's fill: the monitor's position starts from it */
export interface EntryFilled {
  /** fill price */
  entry: number;
  /** base units held */
  qty: number;
  /** quote units */
  entryFee: number;
}

export interface LedgerOptions {
  balance: number;
  /** fee rate per fill */
  fee: number;
  /** slippage rate per fill */
  slippage: number;
  mode: Mode;
  /** the currency the balance is in (the symbols' quote) */
  quote: string;
  /** SPEC §8 --fixed-qty: balance checks skipped, so a fill the wallet cannot pay is booked anyway */
  checkFunds: boolean;
}

export interface Ledger {
  /** free quote balance */
  readonly cash: number;
  /** quote total plus open spot positions at entry (the drawdown base, as live computes it) */
  readonly equity: number;
  /** quote units, every fee paid */
  readonly fees: number;
  readonly openCount: number;
  /** closed trades, in closing order */
  readonly closed: readonly BacktestTrade[];
  /** the entry order at the tick price (slippage added here); a refusal when the wallet cannot pay */
  open(symbol: string, side: Side, qty: number, tickPrice: number, leverage: number): { ok: true; value: EntryFilled } | { ok: false; error: FillRefusal };
  /** the position the entry opened, under the monitor's state */
  track(symbol: string, source: string, state: PositionState, entryFee: number, time: number): OpenPosition;
  /** books the exit fills among the monitor's actions */
  fill(o: OpenPosition, actions: readonly MonitorAction[]): void;
  /** the position has nothing left: record it as a closed trade */
  close(o: OpenPosition): void;
  history(): TradeHistory | null;
  /** the source's recent accuracy, as live reads it from its trades */
  accuracy(source: string): number | null;
  /** what the account holds, priced at `priceOf` (per base asset) */
  holdings(open: readonly OpenPosition[], priceOf: (asset: string) => number | undefined): Holding[];
}

export function createLedger(opts: LedgerOptions): Ledger {
  const state: PaperState = { balances: new Map([[opts.quote, opts.balance]]), positions: new Map() };
  const markets = new Map<string, PaperMarket>();
  const marketOf = (symbol: string): PaperMarket => {
    let m = markets.get(symbol);
    if (m === undefined) markets.set(symbol, (m = { symbol, base: splitSymbol(symbol).base, quote: opts.quote }));
    return m;
  };
  let fees = 0;
  let openCount = 0;
  /** quote units: open spot positions at entry */
  let spotAtEntry = 0;
  const closed: BacktestTrade[] = [];
  const stats = { wins: 0, winSum: 0, losses: 0, lossSum: 0 };
  /** each source's closed positions' net P&L, newest first */
  const bySource = new Map<string, number[]>();
  const slip = (side: 'buy' | 'sell', price: number) => (side === 'buy' ? price * (1 + opts.slippage) : price * (1 - opts.slippage));
  const quoteTotal = () => state.balances.get(opts.quote) ?? 0;

  const order = (symbol: string, side: 'buy' | 'sell', qty: number, tickPrice: number, leverage: number, reduceOnly: boolean) => {
    const market = marketOf(symbol);
    const price = slip(side, tickPrice);
    const r = applyFill(state, market, opts.mode, { side, qty, price, reduceOnly, leverage, feeRate: opts.fee, maintenanceRate: 0, checkFunds: opts.checkFunds });
    if (!r.ok) return r;
    commitFill(state, r.value);
    return { ok: true as const, value: { symbol, filledQty: r.value.filledQty, avgPrice: price, fee: r.value.fee, feeCurrency: r.value.feeCurrency } };
  };

  return {
    get cash() {
      return opts.mode === 'spot' ? quoteTotal() : quoteTotal() - lockedMargin(state);
    },
    get equity() {
      return quoteTotal() + spotAtEntry;
    },
    get fees() {
      return fees;
    },
    get openCount() {
      return openCount;
    },
    closed,
    open(symbol, side, qty, tickPrice, leverage) {
      const r = order(symbol, side === 'long' ? 'buy' : 'sell', qty, tickPrice, leverage, false);
      if (!r.ok) return r;
      return { ok: true, value: accountEntry(r.value) };
    },
    track(symbol, source, s, entryFee, time) {
      fees += entryFee;
      openCount++;
      if (opts.mode === 'spot') spotAtEntry += s.qty * s.entry;
      const trade: BacktestTrade = { symbol, side: s.side, entry_time: time, entry_price: s.entry, qty: s.qty, exits: [], pnl: 0 };
      return { symbol, source, state: s, trade, entryFee, held: s.qty };
    },
    fill(o, actions) {
      for (const a of actions) {
        if (a.type !== 'close_all' && a.type !== 'partial' && a.type !== 'reduce') continue;
        if (!(a.qty > 0)) continue;
        const r = order(o.symbol, o.trade.side === 'long' ? 'sell' : 'buy', Math.min(a.qty, o.held), a.price, o.state.leverage, opts.mode !== 'spot');
        // the position holds what it sells: a refusal here is a bookkeeping fault, not a market event
        if (!r.ok) throw new Error(`backtest exit of ${o.symbol} refused: ${r.error.message}`);
        const exit = accountExit({ side: o.trade.side, entry: o.trade.entry_price, qty: o.held, qtyInitial: o.trade.qty, entryFee: o.entryFee }, r.value);
        if (opts.mode === 'spot') spotAtEntry -= exit.qty * o.trade.entry_price;
        o.held = exit.remaining;
        fees += exit.fee;
        o.trade.pnl += exit.pnl.net;
        o.trade.exits.push({ time: a.time, price: exit.price, qty: exit.qty, reason: a.reason });
      }
    },
    close(o) {
      openCount--;
      if (opts.mode === 'spot' && o.held > 0) spotAtEntry -= o.held * o.trade.entry_price;
      closed.push(o.trade);
      if (o.trade.pnl > 0) {
        stats.wins++;
        stats.winSum += o.trade.pnl;
      } else {
        stats.losses++;
        stats.lossSum -= o.trade.pnl;
      }
      const record = bySource.get(o.source) ?? [];
      record.unshift(o.trade.pnl);
      if (record.length > SOURCE_ACCURACY_WINDOW) record.pop();
      bySource.set(o.source, record);
    },
    history() {
      const n = stats.wins + stats.losses;
      if (n === 0) return null;
      return {
        closedTrades: n,
        winRate: stats.wins / n,
        avgWin: stats.wins > 0 ? stats.winSum / stats.wins : 0,
        avgLoss: stats.losses > 0 ? stats.lossSum / stats.losses : 0,
      };
    },
    accuracy(source) {
      return sourceAccuracy(bySource.get(source) ?? []);
    },
    holdings(open, priceOf) {
      return accountHoldings(
        state.balances,
        opts.quote,
        priceOf,
        open.map((o) => ({ symbol: o.symbol, qty: o.state.qty, entry: o.state.entry, mode: o.state.mode, leverage: o.state.leverage })),
      );
    },
  };
}
