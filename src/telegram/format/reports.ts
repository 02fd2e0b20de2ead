/** /balance, /trades, /pnl, /signals as text. Pure. */
import { reasonWords } from './reasons.ts';
import type { BalanceView, DailyReport, PerformanceReport, PnlReport, SignalView, TradeView } from '../../engine/facade.ts';
import { escapeHtml, fmtMoney, fmtPct, fmtPrice, fmtQty, fmtTime, quoteOf } from './numbers.ts';

export function formatBalances(list: BalanceView[]): string {
  if (list.length === 0) return 'No accounts yet. /connect an exchange or a paper account.';
  const blocks = list.map((b) => {
    const head = `<b>${escapeHtml(b.label)}</b>`;
    if (b.error) return `${head}\n⚠️ ${escapeHtml(b.error)}`;
    // the account's quote as money (to the cent), each coin at its market's amount step
    const amount = (cur: string, v: number) => (cur === b.quote ? fmtMoney(v, cur, false).replace(/ \S+$/, '') : fmtQty(v, b.steps[cur]));
    const rows = Object.entries(b.balances)
      .filter(([, v]) => v.total !== 0)
      .sort(([x], [y]) => (x === b.quote ? -1 : y === b.quote ? 1 : x.localeCompare(y)))
      .map(([cur, v]) => `${escapeHtml(cur)}: ${amount(cur, v.total)}${v.used > 0 ? ` (free ${amount(cur, v.free)}, in use ${amount(cur, v.used)})` : ''}`);
    return [head, ...(rows.length ? rows : ['empty'])].join('\n');
  });
  return ['💼 <b>Balances</b>', ...blocks].join('\n\n');
}


export function formatTrades(list: TradeView[], asked: number): string {
  if (list.length === 0) return 'No closed trades yet.';
  const rows = list.map((t) => {
    const pnl = t.pnl === null ? '—' : fmtMoney(t.pnl, quoteOf(t.symbol));
    const when = t.closedAt ? fmtTime(t.closedAt) : 'open';
    return `${(t.pnl ?? 0) >= 0 ? '🟢' : '🔴'} <b>${escapeHtml(t.symbol)}</b> ${t.side} ${fmtQty(t.quantity)} · ${fmtPrice(t.entryPrice)} → ${fmtPrice(t.exitPrice)} · ${pnl}\n   ${escapeHtml(reasonWords(t.closeReason))} · ${when}`;
  });
  return [`📜 <b>Last ${Math.min(asked, list.length)} trades</b>`, ...rows].join('\n');
}

const PERIOD_NAMES = { day: 'last 24 hours', week: 'last 7 days', month: 'last 30 days' } as const;

export function formatPnl(r: PnlReport): string {
  if (r.trades === 0) return `No closed trades in the ${PERIOD_NAMES[r.period]}.`;
  return [
    `📊 <b>P&amp;L, ${PERIOD_NAMES[r.period]}</b>`,
    `Net P&amp;L: <b>${fmtMoney(r.pnl, r.quote)}</b> (fees ${fmtMoney(r.fees, r.quote, false)})`,
    `Trades: ${r.trades} · wins ${r.wins} · losses ${r.losses}`,
    `Win rate: ${(r.winRate * 100).toFixed(2)} %`,
    `Profit factor: ${r.profitFactor === null ? '∞ (no losing trade)' : r.profitFactor.toFixed(2)}`,
  ].join('\n');
}

const OUTCOMES: Record<SignalView['outcome'], string> = {
  executed: '✅ executed',
  rejected: '🚫 rejected',
  failed: '❌ failed',
  pending: '⏳ pending',
  hold: '⏸ hold (never traded)',
  not_processed: '· not processed',
};

export function formatSignals(list: SignalView[]): string {
  if (list.length === 0) return 'No signals yet.';
  const rows = list.map((s) => {
    const conf = s.confidence === null ? '' : ` · conf ${s.confidence.toFixed(2)}`;
    const reasons = s.reasons.length ? `\n   ${s.reasons.map(escapeHtml).join('; ')}` : '';
    return `<b>${escapeHtml(s.action)} ${escapeHtml(s.symbol)}</b>${conf} · ${escapeHtml(s.source)} · ${fmtTime(s.createdAt)}\n   ${OUTCOMES[s.outcome]}${reasons}`;
  });
  return ['📡 <b>Recent signals</b>', ...rows].join('\n');
}

/** a table of columns, text left and numbers right, inside <pre> (escaped) */
function table(header: string[], rows: string[][], left: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return `<pre>${escapeHtml([line(header), ...rows.map(line)].join('\n'))}</pre>`;
}

/** money in a table cell: signed, to the cent, no currency (named in the header) */
const moneyCell = (v: number, quote: string) => fmtMoney(v, quote).replace(/ \S+$/, '').replace('−', '-');

/** /daily, like Freqtrade's: each UTC day's net P&L and trade count, newest first */
export function formatDaily(r: DailyReport): string {
  const total = r.days.reduce((s, d) => s + d.pnl, 0);
  const trades = r.days.reduce((s, d) => s + d.trades, 0);
  return [
    `📅 <b>Daily P&amp;L</b>, last ${r.days.length} days (UTC)`,
    table(['Day', `P&L ${r.quote}`, 'Trades'], r.days.map((d) => [d.day, moneyCell(d.pnl, r.quote), String(d.trades)]), new Set([0])),
    `Total: <b>${fmtMoney(total, r.quote)}</b> over ${trades} trade${trades === 1 ? '' : 's'} (after fees).`,
  ].join('\n');
}

export const PERFORMANCE_ROWS = 30;

/** /performance, like Freqtrade's: every pair's net P&L, its percent of what was traded, and its trade count */
export function formatPerformance(r: PerformanceReport): string {
  if (r.pairs.length === 0) return 'No closed trades yet.';
  const shown = r.pairs.slice(0, PERFORMANCE_ROWS);
  return [
    '🏆 <b>Performance per pair</b> (all closed trades, after fees)',
    table(
      ['#', 'Pair', `P&L ${r.quote}`, 'P&L%', 'Trades', 'Won'],
      shown.map((p, i) => [String(i + 1), p.symbol.split(':')[0]!, moneyCell(p.pnl, r.quote), fmtPct(p.pct).replace(' %', '').replace('−', '-'), String(p.trades), String(p.wins)]),
      new Set([1]),
    ),
    ...(r.pairs.length > shown.length ? [`… and ${r.pairs.length - shown.length} more pairs.`] : []),
  ].join('\n');
}
