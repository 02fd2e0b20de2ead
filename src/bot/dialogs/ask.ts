/**
 * Prompts inside conversations. A command typed mid-dialog leaves the dialog and runs (/cancel is
 * handled before any dialog); a button that is not this dialog's passes through to its feature.
 * A message holding a secret is deleted at once.
 */
import type { InlineKeyboard } from 'grammy';
import type { Logger } from '../../log.ts';
import type { Dialog, DialogContext } from '../context.ts';
import { CANCEL_DATA } from '../../telegram/callback-data.ts';
import { InlineKeyboard as Keyboard } from 'grammy';

export const cancelKeyboard = (): InlineKeyboard => new Keyboard().text('Cancel', CANCEL_DATA);

async function deleteAtOnce(conversation: Dialog, chatId: number, messageId: number): Promise<boolean> {
  return conversation.external((outer) => outer.api.deleteMessage(chatId, messageId).then(() => true, () => false));
}

/** Waits for a text reply; returns it trimmed. */
export async function askText(
  conversation: Dialog,
  ctx: DialogContext,
  prompt: string,
  opts: { secret?: boolean; keyboard?: InlineKeyboard } = {},
): Promise<string> {
  await ctx.reply(prompt, { parse_mode: 'HTML', reply_markup: opts.keyboard ?? cancelKeyboard() });
  for (;;) {
    const next = await conversation.wait();
    const message = next.message;
    if (!message) {
      // someone else's button (a position control …): let its feature answer
      await conversation.skip({ next: true });
    }
    const text = message?.text;
    if (text?.startsWith('/')) {
      // a command leaves the dialog and runs as usual
      await conversation.halt({ next: true });
    }
    if (opts.secret && message) {
      const deleted = await deleteAtOnce(conversation, message.chat.id, message.message_id);
      if (!deleted) await next.reply('⚠️ I could not delete that message: please delete it yourself.');
    }
    if (text === undefined) {
      await next.reply('Please send it as a text message, or /cancel.');
      continue;
    }
    return text.trim();
  }
}

/** Waits for one of this dialog's buttons (matching `pattern`); returns its data. */
export async function askChoice(
  conversation: Dialog,
  ctx: DialogContext,
  prompt: string,
  keyboard: InlineKeyboard,
  pattern: RegExp,
): Promise<string> {
  await ctx.reply(prompt, { parse_mode: 'HTML', reply_markup: keyboard });
  for (;;) {
    const next = await conversation.wait();
    const data = next.callbackQuery?.data;
    if (data !== undefined) {
      if (!pattern.test(data)) await conversation.skip({ next: true });
      await next.answerCallbackQuery();
      const m = next.callbackQuery?.message;
      if (m) await conversation.external((outer) => outer.api.editMessageReplyMarkup(m.chat.id, m.message_id).then(() => true, () => false));
      return data;
    }
    const text = next.message?.text;
    if (text?.startsWith('/')) await conversation.halt({ next: true });
    await next.reply('Please choose with the buttons above, or /cancel.');
  }
}

export const STEP_FAILED = '⚠️ Something went wrong on our side; nothing was changed. Please send it again.';

/**
 * Asks `prompt` (HTML) until `handle` settles the answer: `handle` returns undefined when done, or
 * the reason (HTML, escaped) to re-ask with. An error while handling an answer (database, engine,
 * Telegram) re-asks the same step, so the dialog never ends silently.
 */
export async function askUntilDone(
  conversation: Dialog,
  ctx: DialogContext,
  prompt: string,
  handle: (text: string) => Promise<string | undefined>,
  logger: Logger,
): Promise<void> {
  let question = prompt;
  for (;;) {
    const text = await askText(conversation, ctx, question);
    try {
      const reason = await handle(text);
      if (reason === undefined) return;
      question = `❌ ${reason}\n\n${prompt}`;
    } catch (e) {
      // logged once: a replay of the dialog skips what external did before
      await conversation.external(() => logger.error({ err: e }, 'dialog step failed'));
      question = `${STEP_FAILED}\n\n${prompt}`;
    }
  }
}
