/** /balance, /trades, /pnl, /signals as text. Pure. */
import { reasonWords } from './reasons.ts';
import type { BalanceView, PnlReport, SignalView, TradeView } from '../../engine/facade.ts';
import { escapeHtml, fmtMoney, fmtPrice, fmtQty, fmtTime, quoteOf } from './numbers.ts';

export function formatBalances(list: BalanceView[]): string {
  if (list.length === 0) return 'No accounts yet. /connect an exchange or a paper account.';
  const blocks = list.map((b) => {
    const head = `<b>${escapeHtml(b.label)}</b> (${b.isPaper ? 'paper' : escapeHtml(b.exchange)} ${b.mode})`;
    if (b.error) return `${head}\n⚠️ ${escapeHtml(b.error)}`;
    const rows = Object.entries(b.balances)
      .filter(([, v]) => v.total !== 0)
      .sort(([, x], [, y]) => y.total - x.total)
      .map(([cur, v]) => `${escapeHtml(cur)}: ${fmtQty(v.total)}${v.used > 0 ? ` (free ${fmtQty(v.free)}, in use ${fmtQty(v.used)})` : ''}`);
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
    `Net P&amp;L: <b>${fmtMoney(r.pnl)}</b> (fees ${fmtMoney(r.fees, 'USDT', false)})`,
    `Trades: ${r.trades} · wins ${r.wins} · losses ${r.losses}`,
    `Win rate: ${(r.winRate * 100).toFixed(1)} %`,
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
