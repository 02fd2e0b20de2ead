import type { TradeHistory } from '../domain/sizing.ts';
import type { ExitReason, MonitorAction, PositionState, Side } from '../domain/types.ts';

/**
 * Paper accounting for the backtest: cash, fees, trade records and the win/loss record that
 * feeds half-Kelly. Fills: exits at the monitor's price ∓ slippage (a long sells lower, a short
 * buys back higher); fee = rate × fill value on the entry and on every exit. Cash locks the
 * margin (notional / leverage) at entry and gets margin share + P&L back at each exit.
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
  qty: number;
  exits: TradeExit[];
  pnl: number;
}

export interface OpenPosition {
  symbol: string;
  state: PositionState;
  trade: BacktestTrade;
  /** cash locked at entry */
  margin: number;
}

export interface Ledger {
  readonly cash: number;
  readonly fees: number;
  readonly openCount: number;
  /** closed trades, in closing order */
  readonly closed: readonly BacktestTrade[];
  /** pays margin and the entry fee; `entry` is the fill price (slippage included) */
  open(symbol: string, state: PositionState, margin: number, time: number): OpenPosition;
  /** books the exit fills among the monitor's actions */
  fill(o: OpenPosition, actions: readonly MonitorAction[]): void;
  /** the position has nothing left: record it as a closed trade */
  close(o: OpenPosition): void;
  history(): TradeHistory | null;
}

export function createLedger(opts: { balance: number; fee: number; slippage: number }): Ledger {
  let cash = opts.balance;
  let fees = 0;
  let openCount = 0;
  const closed: BacktestTrade[] = [];
  const stats = { wins: 0, winSum: 0, losses: 0, lossSum: 0 };
  const slip = (side: Side, price: number) => (side === 'long' ? price * (1 - opts.slippage) : price * (1 + opts.slippage));
  return {
    get cash() {
      return cash;
    },
    get fees() {
      return fees;
    },
    get openCount() {
      return openCount;
    },
    closed,
    open(symbol, state, margin, time) {
      const fee = state.entry * state.qty * opts.fee;
      cash -= margin + fee;
      fees += fee;
      openCount++;
      const trade: BacktestTrade = { symbol, side: state.side, entry_time: time, entry_price: state.entry, qty: state.qty, exits: [], pnl: -fee };
      return { symbol, state, trade, margin };
    },
    fill(o, actions) {
      for (const a of actions) {
        if (a.type !== 'close_all' && a.type !== 'partial' && a.type !== 'reduce') continue;
        if (!(a.qty > 0)) continue;
        const price = slip(o.trade.side, a.price);
        const fee = price * a.qty * opts.fee;
        const dir = o.trade.side === 'long' ? 1 : -1;
        const pnl = dir * (price - o.trade.entry_price) * a.qty - fee;
        cash += (o.margin * a.qty) / o.trade.qty + pnl;
        fees += fee;
        o.trade.pnl += pnl;
        o.trade.exits.push({ time: a.time, price, qty: a.qty, reason: a.reason });
      }
    },
    close(o) {
      openCount--;
      closed.push(o.trade);
      if (o.trade.pnl > 0) {
        stats.wins++;
        stats.winSum += o.trade.pnl;
      } else {
        stats.losses++;
        stats.lossSum -= o.trade.pnl;
      }
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
  };
}
