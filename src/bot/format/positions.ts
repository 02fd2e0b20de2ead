/** A position as a message: what a trader checks first (side, entry, now, P&L, protection). Pure. */
import type { PositionView } from '../../engine/facade.ts';
import { reasonWords } from './reasons.ts';
import { baseOf, escapeHtml, fmtDuration, fmtMoney, fmtPct, fmtPrice, fmtQty, quoteOf } from './numbers.ts';

export function positionTitle(p: Pick<PositionView, 'symbol' | 'side' | 'isPaper' | 'exchange' | 'mode' | 'leverage'>): string {
  const side = p.side === 'long' ? 'LONG' : 'SHORT';
  const lev = p.leverage > 1 ? ` ${p.leverage}×` : '';
  const venue = p.isPaper ? `paper · ${p.exchange}` : `${p.exchange} ${p.mode}`;
  return `<b>${escapeHtml(p.symbol)} ${side}${lev}</b> (${escapeHtml(venue)})`;
}

export function formatPosition(p: PositionView, now: Date): string {
  const quote = quoteOf(p.symbol);
  const lines = [positionTitle(p)];
  if (p.status !== 'open') {
    lines.push(`Closed${p.closeReason ? ` (${escapeHtml(reasonWords(p.closeReason))})` : ''}. Realized P&L ${fmtMoney(p.realizedPnl, quote)}`);
    return lines.join('\n');
  }
  const pnlIcon = (p.unrealizedPnl ?? 0) >= 0 ? '🟢' : '🔴';
  lines.push(
    `Entry ${fmtPrice(p.entryPrice)} · now ${fmtPrice(p.lastPrice)}`,
    `Size ${fmtQty(p.qty)} ${escapeHtml(baseOf(p.symbol))}${p.qty < p.qtyInitial ? ` of ${fmtQty(p.qtyInitial)}` : ''}`,
    `${pnlIcon} P&L ${p.unrealizedPnl === null ? '—' : fmtMoney(p.unrealizedPnl, quote)} (${fmtPct(p.unrealizedPct)})`,
    `🛑 SL ${fmtPrice(p.stopLoss)} · 🎯 TP ${fmtPrice(p.takeProfit)}`,
  );
  if (p.trailingActive) lines.push(`📈 Trailing stop ${fmtPrice(p.trailingStop)}`);
  const taken = p.partialTaken.filter(Boolean).length;
  if (taken > 0) lines.push(`💰 Partial take profits taken: ${taken} of ${p.partialTaken.length}`);
  if (p.realizedPnl !== 0) lines.push(`Realized so far ${fmtMoney(p.realizedPnl, quote)}`);
  // only where a liquidation can happen: leverage above 1× on margin or futures (a 1× position's
  // estimate sits near zero and only alarms)
  if (p.liquidationPrice !== null && p.liquidationPrice > 0 && p.mode !== 'spot' && p.leverage > 1) lines.push(`🚨 Liquidation ${fmtPrice(p.liquidationPrice)}`);
  if (p.exchangeStop) lines.push(p.exchangeStop.stopPrice !== null ? `🛡 Protected on the exchange: stop at ${fmtPrice(p.exchangeStop.stopPrice)}` : `⚠️ Not protected on the exchange: ${escapeHtml(p.exchangeStop.problem)}`);
  lines.push(`Open for ${fmtDuration(now.getTime() - p.openedAt.getTime())}`);
  return lines.join('\n');
}
