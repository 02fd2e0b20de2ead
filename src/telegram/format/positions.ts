/** A position as a message: what a trader checks first (side, entry, now, P&L, protection); and the /positions table. Pure. */
import type { PositionView } from '../../engine/facade.ts';
import { reasonWords } from './reasons.ts';
import { baseOf, escapeHtml, fmtDuration, fmtMoney, fmtPct, fmtPrice, fmtQty } from './numbers.ts';

/** "#3 BTC/USDT LONG 5×" and the account's one name */
export function positionTitle(p: Pick<PositionView, 'symbol' | 'side' | 'leverage' | 'number' | 'accountLabel'>): string {
  const side = p.side === 'long' ? 'LONG' : 'SHORT';
  const lev = p.leverage > 1 ? ` ${p.leverage}×` : '';
  const number = p.number != null ? `#${p.number} ` : '';
  return `<b>${number}${escapeHtml(p.symbol)} ${side}${lev}</b> · ${escapeHtml(p.accountLabel ?? '')}`;
}

export function formatPosition(p: PositionView, now: Date): string {
  const { quote, priceTick: tick, amountStep: step } = p;
  const lines = [positionTitle(p)];
  if (p.status !== 'open') {
    lines.push(`Closed${p.closeReason ? ` (${escapeHtml(reasonWords(p.closeReason))})` : ''}. Realized P&L ${fmtMoney(p.realizedPnl, quote)}`);
    return lines.join('\n');
  }
  const pnlIcon = (p.unrealizedPnl ?? 0) >= 0 ? '🟢' : '🔴';
  lines.push(
    `Entry ${fmtPrice(p.entryPrice, tick)} · now ${fmtPrice(p.lastPrice, tick)}`,
    `Size ${fmtQty(p.qty, step)} ${escapeHtml(baseOf(p.symbol))}${p.qty < p.qtyInitial ? ` of ${fmtQty(p.qtyInitial, step)}` : ''}`,
    `${pnlIcon} P&L ${p.unrealizedPnl === null ? '—' : fmtMoney(p.unrealizedPnl, quote)} (${fmtPct(p.unrealizedPct)}) after the entry fee`,
    `🛑 SL ${fmtPrice(p.stopLoss, tick)} · 🎯 TP ${fmtPrice(p.takeProfit, tick)}`,
  );
  if (p.trailingActive) lines.push(`📈 Trailing stop ${fmtPrice(p.trailingStop, tick)}`);
  const taken = p.partialTaken.filter(Boolean).length;
  if (taken > 0) lines.push(`💰 Partial take profits taken: ${taken} of ${p.partialTaken.length}`);
  if (p.realizedPnl !== 0) lines.push(`Realized so far ${fmtMoney(p.realizedPnl, quote)}`);
  // only where a liquidation can happen: leverage above 1× on margin or futures (a 1× position's
  // estimate sits near zero and only alarms)
  if (p.liquidationPrice !== null && p.liquidationPrice > 0 && p.mode !== 'spot' && p.leverage > 1) lines.push(`🚨 Liquidation ${fmtPrice(p.liquidationPrice, tick)}`);
  if (p.exchangeStop) lines.push(p.exchangeStop.stopPrice !== null ? `🛡 Protected on the exchange: stop at ${fmtPrice(p.exchangeStop.stopPrice, tick)}` : `⚠️ Not protected on the exchange: ${escapeHtml(p.exchangeStop.problem)}`);
  lines.push(`Open for ${fmtDuration(now.getTime() - p.openedAt.getTime())}`);
  return lines.join('\n');
}

/** at most this many rows in the /positions table (and buttons under it): it must fit one message */
export const TABLE_ROWS = 40;

/** a number for a table cell: the market's precision, no thousands separators (narrow columns) */
const cell = (v: number | null, step: number | null) => (v === null ? '—' : fmtPrice(v, step ?? undefined).replace(/,/g, ''));
const pctCell = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : `${v > 0 ? '+' : v < 0 ? '-' : ''}${Math.abs(v).toFixed(2)}`);

/**
 * /positions as one message: a table like Freqtrade's /status table (trade number, pair, side,
 * amount, entry, now, P&L % after the entry fee) and the unrealized P&L per quote currency.
 */
export function formatPositionsTable(list: readonly PositionView[]): string {
  const shown = list.slice(0, TABLE_ROWS);
  const rows = shown.map((p) => [
    p.number !== null ? String(p.number) : '—',
    p.symbol.split(':')[0]!,
    p.side,
    fmtQty(p.qty, p.amountStep).replace(/,/g, ''),
    cell(p.entryPrice, p.priceTick),
    cell(p.lastPrice, p.priceTick),
    pctCell(p.unrealizedPct),
  ]);
  const header = ['#', 'Pair', 'Side', 'Amount', 'Entry', 'Now', 'P&L%'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // text columns left, numbers right
  const line = (r: string[]) => r.map((c, i) => (i === 1 || i === 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ').trimEnd();
  const totals = new Map<string, number>();
  for (const p of list) if (p.unrealizedPnl !== null) totals.set(p.quote, (totals.get(p.quote) ?? 0) + p.unrealizedPnl);
  const total = [...totals].map(([quote, v]) => fmtMoney(v, quote)).join(' · ');
  return [
    `📋 <b>Open positions</b> (${list.length})`,
    `<pre>${escapeHtml([line(header), ...rows.map(line)].join('\n'))}</pre>`,
    ...(list.length > shown.length ? [`… and ${list.length - shown.length} more.`] : []),
    `Unrealized P&amp;L after the entry fee: <b>${total || '—'}</b>`,
    'Tap a position for its card and buttons.',
  ].join('\n');
}

/** the label of a position's button under the table: "#3 BTC/USDT long +0.65 %" */
export function positionButtonLabel(p: PositionView): string {
  return `${p.number !== null ? `#${p.number} ` : ''}${p.symbol.split(':')[0]} ${p.side} ${fmtPct(p.unrealizedPct)}`;
}
