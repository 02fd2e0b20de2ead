/** /settings: an inline menu of SPEC §8's settings with current values, and notification levels. */
import { Composer } from 'grammy';
import type { TradingSettings } from '../../domain/settings.ts';
import { EXPIRED, readSettingsData, settingsData } from '../callback-data.ts';
import { actorOf, NEEDS_START, type BotContext, type FeatureDeps } from '../context.ts';
import { EDIT_SETTING_DIALOG } from '../dialogs/edit-setting.ts';
import { LEVEL_ICONS, notifyKeyboard, notifyText, settingsMenuKeyboard, settingsMenuText } from '../keyboards/settings.ts';
import { settingField } from '../settings-input.ts';
import { kindLabel, levelFor, nextLevel, NOTIFY_KINDS } from '../../notify/prefs.ts';

export function settingsFeature(deps: FeatureDeps) {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType('private');

  chats.command('settings', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    const s = await deps.settings.get(ctx.trader.id);
    await ctx.reply(settingsMenuText(s), { parse_mode: 'HTML', reply_markup: settingsMenuKeyboard(s) });
  });

  chats.callbackQuery(settingsData.filter(), async (ctx) => {
    const trader = ctx.trader;
    if (!trader) return ctx.answerCallbackQuery({ text: NEEDS_START, show_alert: true });
    const read = readSettingsData(ctx.callbackQuery.data);
    if (!read) return ctx.answerCallbackQuery({ text: `${EXPIRED} /settings shows the menu again.` });
    const { a, k } = read;
    const showMenu = async (s: TradingSettings, toast?: string) => {
      await ctx.answerCallbackQuery(toast ? { text: toast } : undefined);
      await ctx.editMessageText(settingsMenuText(s), { parse_mode: 'HTML', reply_markup: settingsMenuKeyboard(s) }).catch(() => undefined);
    };
    const audit = (action: string, target: string, details: Record<string, unknown>) =>
      deps.audit.record({ actorTelegramId: ctx.from.id, actorUserId: trader.id, action, target, details });

    switch (a) {
      case 'menu':
        return showMenu(await deps.settings.get(trader.id));
      case 'close':
        await ctx.answerCallbackQuery();
        return ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => undefined);
      case 'edit': {
        const field = settingField(k);
        if (!field) return ctx.answerCallbackQuery({ text: 'Unknown setting.' });
        const current = await deps.settings.get(trader.id);
        if (field.kind === 'boolean') {
          const value = !current[field.field];
          const r = await deps.settings.update(trader.id, { [field.field]: value } as Partial<TradingSettings>);
          if (!r.ok) return ctx.answerCallbackQuery({ text: r.error.join('; '), show_alert: true });
          await audit('settings.update', field.key, { value });
          return showMenu(r.value, `${value ? 'On' : 'Off'}. Applies to new positions.`);
        }
        if (field.kind === 'mode') return ctx.answerCallbackQuery({ text: 'Each account has its own mode: see /accounts.', show_alert: true });
        await ctx.answerCallbackQuery();
        // one dialog at a time: a tap on another setting replaces the open question
        await ctx.conversation.exitAll();
        return ctx.conversation.enter(EDIT_SETTING_DIALOG, field.key);
      }
      case 'apply': {
        const n = await deps.engine.applySettingsToOpenPositions(actorOf(ctx, trader, deps.adminIds), trader.id);
        const text = n === 0 ? 'You have no open positions; new positions use these settings.' : `Applied to ${n} open position${n === 1 ? '' : 's'}.`;
        await ctx.answerCallbackQuery({ text, show_alert: true });
        return ctx.reply(`↪ ${text}`);
      }
      case 'notify': {
        await ctx.answerCallbackQuery();
        const prefs = await deps.recipients.prefs(trader.id);
        return ctx.editMessageText(notifyText(), { parse_mode: 'HTML', reply_markup: notifyKeyboard(prefs) }).catch(() => undefined);
      }
      case 'level': {
        if (!NOTIFY_KINDS.some((n) => n.kind === k)) return ctx.answerCallbackQuery({ text: 'Unknown event.' });
        const prefs = await deps.recipients.prefs(trader.id);
        const level = nextLevel(k, levelFor(prefs, k));
        const updated = await deps.recipients.setLevel(trader.id, k, level);
        await audit('notify.update', k, { level });
        await ctx.answerCallbackQuery({ text: `${kindLabel(k)}: ${LEVEL_ICONS[level]}` });
        return ctx.editMessageReplyMarkup({ reply_markup: notifyKeyboard(updated) }).catch(() => undefined);
      }
      default:
        return ctx.answerCallbackQuery({ text: 'This button has expired. /settings shows the menu again.' });
    }
  });

  return feature;
}
