/**
 * /webhook: the trader's TradingView webhook URL with a ready alert message (SPEC §9);
 * /webhook rotate replaces the URL (the old one stops working at once). Presentation only: the
 * hook comes from the WebhookFacade.
 */
import { Composer } from 'grammy';
import type { WebhookFacade } from '../../engine/webhooks.ts';
import { actorOf, NEEDS_START, type BotContext } from '../context.ts';
import { escapeHtml } from '../../telegram/format/telegram-text.ts';

export interface WebhookFeatureDeps {
  webhooks: WebhookFacade;
  /** PUBLIC_URL: where TradingView reaches this server; unset → a placeholder the trader must fill in */
  publicUrl: string | undefined;
  /** HTTP_PORT, for the placeholder */
  port: number;
  adminIds: readonly number[];
}

export const WEBHOOK_USAGE = 'Usage: /webhook — your webhook URL and alert template; /webhook rotate — replace the URL.';

/** The alert message for a TradingView strategy (its placeholders filled in by TradingView). */
export const TRADINGVIEW_TEMPLATE = '{"action":"{{strategy.order.action}}","symbol":"{{ticker}}","timestamp":"{{timenow}}","max_lag":300}';
/** For an indicator or drawing alert: the side is written out, stop and targets optional. */
export const MANUAL_TEMPLATE = '{"action":"buy","symbol":"{{ticker}}","stop_loss":62000,"take_profit":[66000,68000,70000]}';

export function webhookUrl(publicUrl: string | undefined, port: number, hookId: string): string {
  return `${publicUrl ?? `http://YOUR-SERVER:${port}`}/hook/${hookId}`;
}

export function formatWebhook(url: string, configured: boolean, rotated: boolean): string {
  return [
    rotated ? '🔄 <b>New webhook URL</b> — the old one no longer works: update your alerts.' : '🔗 <b>Your webhook</b>',
    '',
    `<code>${escapeHtml(url)}</code>`,
    ...(configured ? [] : ['(The bot\'s operator has not set PUBLIC_URL: replace the start with the address TradingView can reach.)']),
    '',
    '<b>TradingView</b>: in the alert, Notifications → Webhook URL: paste the URL. Message for a strategy:',
    `<code>${escapeHtml(TRADINGVIEW_TEMPLATE)}</code>`,
    'For an indicator alert, write the side out (buy, sell, long, short or close):',
    `<code>${escapeHtml(MANUAL_TEMPLATE)}</code>`,
    'Plain text works too, one per line: <code>SYMBOL={{ticker}}</code>, <code>SIGNAL=BUY</code>, <code>STOP_PRICE=62000</code>, <code>TAKE_PROFIT_PRICE=70000</code>.',
    '',
    'Each alert becomes a signal for you only (source <i>webhook</i>, confidence 1 unless you send one), checked and sized like any other; /signals shows each one, or why it was refused. Alerts older than max_lag seconds (default 300) are refused; the same alert twice within 60 s is stored once.',
    '',
    '🔒 Keep the URL secret: whoever has it can send signals for you. /webhook rotate replaces it.',
  ].join('\n');
}

export function webhookFeature(deps: WebhookFeatureDeps) {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType('private');

  chats.command('webhook', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    const arg = ctx.match.trim().toLowerCase();
    if (arg !== '' && arg !== 'rotate') return ctx.reply(WEBHOOK_USAGE);
    const rotated = arg === 'rotate';
    const hook = rotated ? await deps.webhooks.rotate(actorOf(ctx, ctx.trader, deps.adminIds), ctx.trader.id) : await deps.webhooks.hookFor(ctx.trader.id);
    const url = webhookUrl(deps.publicUrl, deps.port, hook.hookId);
    return ctx.reply(formatWebhook(url, deps.publicUrl !== undefined, rotated), { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
  });

  return feature;
}
