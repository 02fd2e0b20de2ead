import type { ExitReason } from '../domain/types.ts';
import type { BacktestRun, BacktestTrade } from './engine.ts';

export interface BacktestSummary {
  trades: number;
  wins: number;
  losses: number;
  /** wins / trades, 0..1 */
  win_rate: number;
  /** gross profit / gross loss; null when there is no losing trade */
  profit_factor: number | null;
  /** largest peak-to-trough fall of realized equity, quote currency */
  max_drawdown: number;
  /** the same as a percentage of the peak it fell from */
  max_drawdown_pct: number;
  /** net of fees, quote currency */
  total_pnl: number;
  total_fees: number;
  start_balance: number;
  end_balance: number;
  /** number of exit fills per reason (partials count one each) */
  exits_by_reason: Record<ExitReason, number>;
  signals: { total: number; traded: number; rejected: number };
  /** SPEC §10: exits where the exchange's protective stop would have fired as well (gaps through both stops) */
  backstop_fired: number;
  ticks: number;
}

const REASONS: ExitReason[] = ['stop_loss', 'take_profit', 'trailing_stop', 'partial_tp', 'time_exit', 'liquidation_protection', 'manual', 'end_of_data'];

/** Realized equity after each trade, in closing order (time of its last exit). */
function equityDrawdown(trades: readonly BacktestTrade[], start: number): { abs: number; pct: number } {
  const byClose = [...trades].sort((a, b) => (a.exits.at(-1)?.time ?? a.entry_time) - (b.exits.at(-1)?.time ?? b.entry_time));
  let equity = start;
  let peak = start;
  let abs = 0;
  let pct = 0;
  for (const t of byClose) {
    equity += t.pnl;
    if (equity > peak) peak = equity;
    const dd = peak - equity;
    if (dd > abs) abs = dd;
    if (peak > 0 && (dd / peak) * 100 > pct) pct = (dd / peak) * 100;
  }
  return { abs, pct };
}

export function summarize(run: BacktestRun, signalCount: number): BacktestSummary {
  const { trades } = run;
  const wins = trades.filter((t) => t.pnl > 0);
  const grossProfit = wins.reduce((s, t) => s + t.pnl, 0);
  const grossLoss = -trades.filter((t) => t.pnl <= 0).reduce((s, t) => s + t.pnl, 0);
  const exits = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<ExitReason, number>;
  for (const t of trades) for (const e of t.exits) exits[e.reason]++;
  const dd = equityDrawdown(trades, run.startBalance);
  return {
    trades: trades.length,
    wins: wins.length,
    losses: trades.length - wins.length,
    win_rate: trades.length > 0 ? wins.length / trades.length : 0,
    profit_factor: grossLoss > 0 ? grossProfit / grossLoss : null,
    max_drawdown: dd.abs,
    max_drawdown_pct: dd.pct,
    total_pnl: trades.reduce((s, t) => s + t.pnl, 0),
    total_fees: run.fees,
    start_balance: run.startBalance,
    end_balance: run.endBalance,
    exits_by_reason: exits,
    signals: { total: signalCount, traded: trades.length, rejected: run.rejections.length },
    backstop_fired: run.backstopFired,
    ticks: run.ticks,
  };
}

const money = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** The human summary the CLI prints. */
export function formatSummary(s: BacktestSummary, rejections: BacktestRun['rejections']): string {
  const lines = [
    `trades            ${s.trades} (${s.wins} won, ${s.losses} lost)`,
    `win rate          ${(s.win_rate * 100).toFixed(1)} %`,
    `profit factor     ${s.profit_factor === null ? (s.wins > 0 ? '∞ (no losing trade)' : 'n/a') : s.profit_factor.toFixed(2)}`,
    `max drawdown      ${money(s.max_drawdown)} (${s.max_drawdown_pct.toFixed(2)} %)`,
    `total P&L         ${money(s.total_pnl)} (fees ${money(s.total_fees)})`,
    `balance           ${money(s.start_balance)} → ${money(s.end_balance)}`,
    `signals           ${s.signals.total} (${s.signals.traded} traded, ${s.signals.rejected} not)`,
    `exchange stop     ${s.backstop_fired === 0 ? 'never fired (the bot\'s own exits came first)' : `would have fired ${s.backstop_fired}× (gaps through the bot's stop and the exchange's)`}`,
    'exits by reason',
    ...Object.entries(s.exits_by_reason)
      .filter(([, n]) => n > 0)
      .map(([r, n]) => `  ${r.padEnd(24)}${n}`),
  ];
  if (rejections.length > 0) {
    const counts = new Map<string, number>();
    for (const r of rejections) {
      // group by the reason's wording: drop the detail after a colon and the numbers
      const key = (r.reasons[0] ?? 'unknown').split(':')[0]?.replace(/\d+(\.\d+)?/g, '…') ?? 'unknown';
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    lines.push('signals not traded, by first reason');
    for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 8)) lines.push(`  ${String(n).padStart(5)}  ${k}`);
  }
  return lines.join('\n');
}
