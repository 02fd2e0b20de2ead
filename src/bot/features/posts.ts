/**
 * Forwarded or pasted channel posts and /signal (SPEC §9): the post is read (domain parser), the
 * engine previews what it would do, and the trader presses Trade or Ignore. Presentation only:
 * the parse is the domain's, the preview and the signal row the engine's (PostsFacade). A private
 * message that names no pair and side passes on (the fallback answers it).
 */
import { Composer, InlineKeyboard } from 'grammy';
import { parsePost } from '../../domain/channel-post.ts';
import { parseSignalCommand } from '../../domain/manual-signal.ts';
import type { PostsFacade, PostSource } from '../../engine/posts.ts';
import type { SignalDraft } from '../../domain/channel-post.ts';
import { actorOf, NEEDS_START, type BotContext } from '../context.ts';
import { EXPIRED, readPreviewData, previewData } from '../../telegram/callback-data.ts';
import { formatPostRefused, formatPreview } from '../../telegram/format/signal-preview.ts';
import { escapeHtml } from '../../telegram/format/telegram-text.ts';

export interface PostsFeatureDeps {
  posts: PostsFacade;
  adminIds: readonly number[];
}

export function postsFeature(deps: PostsFeatureDeps) {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType('private');

  async function preview(ctx: BotContext, draft: SignalDraft, source: PostSource, text: string | undefined, what: string) {
    const trader = ctx.trader!;
    const actor = actorOf(ctx, trader, deps.adminIds);
    const result = await deps.posts.preview(actor, trader.id, draft, source, text);
    if (result.kind === 'refused') return ctx.reply(formatPostRefused(result.reasons, draft), { parse_mode: 'HTML' });
    const keyboard = new InlineKeyboard().text('✅ Trade', previewData.pack({ a: 't', id: result.inputId })).text('✖ Ignore', previewData.pack({ a: 'i', id: result.inputId }));
    return ctx.reply(formatPreview(result, what), { parse_mode: 'HTML', reply_markup: keyboard });
  }

  chats.command('signal', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    const parsed = parseSignalCommand(ctx.match);
    if (!parsed.ok) return ctx.reply(parsed.error);
    return preview(ctx, parsed.draft, 'manual', undefined, 'Your signal');
  });

  chats.on(['message:text', 'message:caption'], async (ctx, next) => {
    const text = ctx.message.text ?? ctx.message.caption ?? '';
    if (text.startsWith('/')) return next();
    const parsed = parsePost(text);
    if (parsed.kind === 'none') {
      if (parsed.symbol === null && parsed.side === null) return next();
      const found = parsed.symbol ?? (parsed.side === 'long' ? 'a long' : 'a short');
      const lacking = parsed.symbol === null ? 'no pair (like BTC/USDT, BTCUSDT, $BTC or #BTC)' : 'no side (long, short, buy, sell, 🟢 or 🔴)';
      return ctx.reply(`I read ${found} but ${lacking}, so this is not taken as a signal.`);
    }
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    if (parsed.kind === 'refused') {
      await deps.posts.recordRefused(actorOf(ctx, ctx.trader, deps.adminIds), ctx.trader.id, 'telegram', parsed.reasons, { symbol: parsed.symbol, side: parsed.side });
      return ctx.reply(formatPostRefused(parsed.reasons), { parse_mode: 'HTML' });
    }
    const forwarded = ctx.message.forward_origin !== undefined;
    return preview(ctx, parsed.draft, 'telegram', text, forwarded ? 'Forwarded post' : 'Pasted post');
  });

  feature.callbackQuery(previewData.filter(), async (ctx) => {
    const data = readPreviewData(ctx.callbackQuery.data);
    if (!data) return ctx.answerCallbackQuery({ text: EXPIRED });
    if (!ctx.trader) return ctx.answerCallbackQuery({ text: NEEDS_START });
    const choice = await deps.posts.choose(actorOf(ctx, ctx.trader, deps.adminIds), ctx.trader.id, data.id, data.a === 't' ? 'trade' : 'ignore');
    await ctx.answerCallbackQuery({ text: choice.message.slice(0, 190) });
    const message = ctx.callbackQuery.message;
    if (message && 'text' in message && message.text !== undefined && (choice.ok || /already|no longer|older/i.test(choice.message))) {
      const mark = choice.ok ? (choice.kind === 'stored' ? `✅ ${choice.message}` : `✖ ${choice.message}`) : `ℹ️ ${choice.message}`;
      // the preview stays readable as it was; its buttons go and the outcome is added
      await ctx.editMessageText(`${escapeHtml(message.text)}\n\n${escapeHtml(mark)}`, { parse_mode: 'HTML', reply_markup: undefined }).catch(() => undefined);
    }
  });

  return feature;
}
