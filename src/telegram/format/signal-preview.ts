/**
 * The preview of a channel post or /signal (SPEC §9): what was read, what was not, and what the
 * engine would do with it on each account now (size, stop, targets, the risk). Pure.
 */
import type { PreviewAccount, PreviewResult } from '../../engine/posts.ts';
import type { SignalDraft } from '../../domain/channel-post.ts';
import { escapeHtml, fmtMoney, fmtPct, fmtPrice, fmtQty, baseOf } from './numbers.ts';

export function formatDraftHead(draft: SignalDraft): string[] {
  const side = draft.side === 'long' ? '🟢 LONG' : '🔴 SHORT';
  const entry = draft.entry === null ? 'market' : draft.entry.low === draft.entry.high ? fmtPrice(draft.entry.low) : `${fmtPrice(draft.entry.low)} – ${fmtPrice(draft.entry.high)}`;
  return [
    `<b>${escapeHtml(draft.symbol)}</b> ${side}`,
    `Entry: ${entry}`,
    `Targets: ${draft.targets.length > 0 ? draft.targets.map(fmtPrice).join(' · ') : '—'}`,
    `Stop loss: ${draft.stopLoss === null ? '—' : fmtPrice(draft.stopLoss)}`,
    `Leverage: ${draft.leverage === null ? '—' : `${draft.leverage}×`}`,
  ];
}

export function formatPreview(result: Extract<PreviewResult, { kind: 'preview' }>, what: string): string {
  const { draft, plan } = result;
  const lines = [`📨 <b>${escapeHtml(what)}</b>`, ...formatDraftHead(draft)];
  if (plan.partials.length > 0) {
    lines.push(`Plan: partial exits at ${plan.partials.map((p) => fmtPrice(p.price)).join(' · ')} (1/${plan.partials.length + 1} of the position each), the rest at ${fmtPrice(plan.takeProfit)}`);
  }
  const unread = [...draft.missing, ...draft.notes, ...(plan.unused.length > 0 ? [`target${plan.unused.length > 1 ? 's' : ''} ${plan.unused.map(fmtPrice).join(', ')} not used: three partial exits at most, then the last target`] : [])];
  if (unread.length > 0) lines.push('', ...unread.map((u) => `⚠️ ${escapeHtml(u)}`));
  lines.push('');
  if (result.accounts.length === 0) lines.push('❗ No exchange account takes signals: /connect one first (a paper account works).');
  for (const a of result.accounts) lines.push(...formatAccount(a, result.accounts.length > 1, draft.leverage));
  lines.push('', 'Trade sends it to the engine as your own signal (for you only); Ignore drops it.');
  return lines.join('\n');
}

function formatAccount(a: PreviewAccount, named: boolean, postLeverage: number | null): string[] {
  const head = named ? `<b>${escapeHtml(a.label)}</b>: ` : '';
  if (a.kind === 'reject') return [`${head}❌ Would be refused now: ${escapeHtml(a.reasons.join('; ') || 'unknown reason')}`];
  if (a.kind === 'reverse') return [`${head}🔁 ${escapeHtml(a.reasons.join('; '))}`];
  const lines = [
    `${head}Would open ${fmtQty(a.qty)} ${escapeHtml(baseOf(a.symbol))} (${fmtMoney(a.notional, a.quote, false)}) at about ${fmtPrice(a.price)}${a.leverage > 1 ? `, ${a.leverage}×` : ''}`,
    `🛑 SL ${fmtPrice(a.stopLoss)} · 🎯 TP ${fmtPrice(a.takeProfit)}`,
    `Risk: ${a.risk === null ? '—' : fmtMoney(a.risk, a.quote, false)}${a.riskPct !== null ? ` (${fmtPct(a.riskPct, false)} of ${fmtMoney(a.free ?? 0, a.quote, false)} free)` : ''} if the stop is hit`,
  ];
  if (postLeverage !== null && a.leverage < postLeverage) lines.push(`Leverage ${a.leverage}×: the post's ${postLeverage}× is never used above your own leverage setting${a.leverage === 1 ? ' (spot, or 1× in /settings)' : ''}`);
  if (a.reasons.length > 0) lines.push(`Notes: ${escapeHtml(a.reasons.join('; '))}`);
  return lines;
}

export function formatPostRefused(reasons: string[], draft?: SignalDraft): string {
  return [`🚫 <b>Not taken as a signal</b>`, ...(draft ? formatDraftHead(draft) : []), '', ...reasons.map((r) => `• ${escapeHtml(r)}`)].join('\n');
}
