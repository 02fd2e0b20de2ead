/** /connect (enters the connect dialog) and /accounts (list; remove with a confirmation). */
import { Composer, InlineKeyboard } from 'grammy';
import { accountsData, EXPIRED, readAccountsData } from '../callback-data.ts';
import { NEEDS_START, type BotContext, type FeatureDeps } from '../context.ts';
import { CONNECT_DIALOG } from '../dialogs/connect.ts';
import { escapeHtml } from '../format/numbers.ts';
import type { AccountRecord } from '../../db/repos/accounts.ts';

function accountLine(a: AccountRecord): string {
  const what = a.isPaper ? `🧪 Paper ${a.mode}` : `🔑 ${escapeHtml(a.exchange)} ${a.mode} (key ${escapeHtml(a.apiKeyHint ?? '')})`;
  return what;
}

function accountsView(list: AccountRecord[]): { text: string; keyboard: InlineKeyboard } {
  const kb = InlineKeyboard.from(list.map((a, i) => [InlineKeyboard.text(`🗑 Remove #${i + 1}`, accountsData.pack({ a: 'rm', id: a.id }))]));
  const text = list.length
    ? ['<b>Your accounts</b>', ...list.map((a, i) => `#${i + 1} ${accountLine(a)}`), '', '/connect adds another.'].join('\n')
    : 'No accounts yet. /connect adds an exchange account or a paper account.';
  return { text, keyboard: kb };
}

export function accountsFeature(deps: FeatureDeps) {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType('private');

  chats.command('connect', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    await ctx.conversation.exitAll();
    await ctx.conversation.enter(CONNECT_DIALOG);
  });

  chats.command('accounts', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    const v = accountsView(await deps.accounts.listForUser(ctx.trader.id));
    await ctx.reply(v.text, { parse_mode: 'HTML', reply_markup: v.keyboard });
  });

  chats.callbackQuery(accountsData.filter(), async (ctx) => {
    const trader = ctx.trader;
    if (!trader) return ctx.answerCallbackQuery({ text: NEEDS_START, show_alert: true });
    const read = readAccountsData(ctx.callbackQuery.data);
    if (!read) return ctx.answerCallbackQuery({ text: `${EXPIRED} /accounts shows the list again.` });
    const { a, id } = read;
    const account = await deps.accounts.get(id);
    if (!account || account.userId !== trader.id || !account.active) {
      await ctx.answerCallbackQuery({ text: 'This account is not in your list (already removed?).', show_alert: true });
      const v = accountsView(await deps.accounts.listForUser(trader.id));
      return ctx.editMessageText(v.text, { parse_mode: 'HTML', reply_markup: v.keyboard }).catch(() => undefined);
    }
    if (a === 'rm') {
      await ctx.answerCallbackQuery();
      const kb = new InlineKeyboard().text('Yes, remove it', accountsData.pack({ a: 'yes', id })).text('Keep it', accountsData.pack({ a: 'no', id }));
      return ctx.editMessageText(`Remove ${accountLine(account)}?\nIts keys are deleted from use; trade history stays.`, { parse_mode: 'HTML', reply_markup: kb }).catch(() => undefined);
    }
    if (a === 'yes') {
      const open = (await deps.engine.listPositions(trader.id)).filter((p) => p.accountId === id);
      if (open.length > 0) {
        return ctx.answerCallbackQuery({ text: `This account has ${open.length} open position${open.length === 1 ? '' : 's'}. Close ${open.length === 1 ? 'it' : 'them'} first (/positions).`, show_alert: true });
      }
      await deps.accounts.deactivate(id, trader.id);
      await deps.audit.record({ actorTelegramId: ctx.from.id, actorUserId: trader.id, action: 'account.remove', target: id, details: { exchange: account.exchange, mode: account.mode, paper: account.isPaper } });
      await ctx.answerCallbackQuery({ text: 'Removed.' });
    } else {
      await ctx.answerCallbackQuery();
    }
    const v = accountsView(await deps.accounts.listForUser(trader.id));
    return ctx.editMessageText(v.text, { parse_mode: 'HTML', reply_markup: v.keyboard }).catch(() => undefined);
  });

  return feature;
}
