/** Mounted last: anything no feature handled. */
import { Composer } from 'grammy';
import type { BotContext } from '../context.ts';

export function fallbackFeature() {
  const feature = new Composer<BotContext>();
  feature.on('callback_query', (ctx) => ctx.answerCallbackQuery({ text: 'This button has expired. Send the command again.' }));
  feature.chatType('private').on('message', (ctx) => ctx.reply('I did not understand that. /help lists what I can do.'));
  return feature;
}
