/** /cancel and the Cancel button: leave any dialog at any step. Mounted before the dialogs. */
import { Composer } from 'grammy';
import { CANCEL_DATA } from '../../telegram/callback-data.ts';
import type { BotContext } from '../context.ts';

export function cancelFeature() {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType('private');
  const leave = async (ctx: BotContext) => {
    const active = Object.keys(ctx.conversation.active()).length > 0;
    await ctx.conversation.exitAll();
    await ctx.reply(active ? 'Cancelled. Nothing was saved from that dialog.' : 'Nothing to cancel.');
  };
  chats.command('cancel', leave);
  chats.callbackQuery(CANCEL_DATA, async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => undefined);
    await leave(ctx);
  });
  return feature;
}
