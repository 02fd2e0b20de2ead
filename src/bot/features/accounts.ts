/**
 * /connect (enters the connect dialog) and /accounts (SPEC §11): every account with its mode,
 * margin mode, whether it takes signals and which positions it holds; buttons switch signal
 * trading on or off and remove an account (with a confirmation). Every change goes through the
 * engine facade (removal under the same lock as signal execution).
 */
import { Composer, InlineKeyboard } from 'grammy';
import { accountsData, EXPIRED, readAccountsData } from '../../telegram/callback-data.ts';
import { NEEDS_START, type BotContext, type FeatureDeps } from '../context.ts';
import { CONNECT_DIALOG } from '../dialogs/connect.ts';
import { escapeHtml, fmtQty } from '../../telegram/format/numbers.ts';
import type { AccountView } from '../../engine/facade.ts';

function accountLines(a: AccountView, n: number): string[] {
  const icon = a.isPaper ? '🧪' : '🔑';
  const state = a.enabled ? '✅ takes signals' : '⏸ takes no new signals';
  const held = a.openPositions.length
    ? a.openPositions.map((p) => `   • ${escapeHtml(p.symbol)} ${p.side} ${fmtQty(p.qty)}`)
    : ['   no open positions'];
  return [`#${n} ${icon} <b>${escapeHtml(a.label)}</b> · ${state}`, ...held];
}

function accountsView(list: AccountView[]): { text: string; keyboard: InlineKeyboard } {
  const kb = InlineKeyboard.from(
    list.map((a, i) => [
      InlineKeyboard.text(a.enabled ? `⏸ Pause #${i + 1}` : `▶️ Trade #${i + 1}`, accountsData.pack({ a: a.enabled ? 'off' : 'on', id: a.id })),
      InlineKeyboard.text(`🗑 Remove #${i + 1}`, accountsData.pack({ a: 'rm', id: a.id })),
    ]),
  );
  const text = list.length
    ? [
        '<b>Your accounts</b>',
        ...list.flatMap((a, i) => accountLines(a, i + 1)),
        '',
        'Each signal trades on every account that takes signals and can take it (a SELL opens a short only on margin or futures), sized on that account’s own balance.',
        '/connect adds another.',
      ].join('\n')
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
    const v = accountsView(await deps.engine.listAccounts(ctx.trader.id));
    await ctx.reply(v.text, { parse_mode: 'HTML', reply_markup: v.keyboard });
  });

  chats.callbackQuery(accountsData.filter(), async (ctx) => {
    const trader = ctx.trader;
    if (!trader) return ctx.answerCallbackQuery({ text: NEEDS_START, show_alert: true });
    const read = readAccountsData(ctx.callbackQuery.data);
    if (!read) return ctx.answerCallbackQuery({ text: `${EXPIRED} /accounts shows the list again.` });
    const { a, id } = read;
    const actor = { telegramId: ctx.from.id, userId: trader.id };
    const redraw = async () => {
      const v = accountsView(await deps.engine.listAccounts(trader.id));
      return ctx.editMessageText(v.text, { parse_mode: 'HTML', reply_markup: v.keyboard }).catch(() => undefined);
    };
    const account = (await deps.engine.listAccounts(trader.id)).find((x) => x.id === id);
    if (!account) {
      await ctx.answerCallbackQuery({ text: 'This account is not in your list (already removed?).', show_alert: true });
      return redraw();
    }
    if (a === 'rm') {
      await ctx.answerCallbackQuery();
      const kb = new InlineKeyboard().text('Yes, remove it', accountsData.pack({ a: 'yes', id })).text('Keep it', accountsData.pack({ a: 'no', id }));
      return ctx.editMessageText(`Remove <b>${escapeHtml(account.label)}</b>?\nIts keys are deleted from use; trade history stays.`, { parse_mode: 'HTML', reply_markup: kb }).catch(() => undefined);
    }
    if (a === 'yes') {
      const r = await deps.engine.removeAccount(actor, trader.id, id);
      await ctx.answerCallbackQuery({ text: r.message, show_alert: !r.ok });
    } else if (a === 'on' || a === 'off') {
      const r = await deps.engine.setAccountEnabled(actor, trader.id, id, a === 'on');
      await ctx.answerCallbackQuery({ text: r.message, show_alert: !r.ok });
    } else {
      await ctx.answerCallbackQuery();
    }
    return redraw();
  });

  return feature;
}
