/** /settings: an inline menu of SPEC §8's settings with current values, and notification levels. */
import { Composer } from 'grammy';
import type { TradingSettings } from '../../domain/settings.ts';
import { ActionQueuedError } from '../../engine/facade.ts';
import { EXPIRED, readSettingsData, settingsData } from '../../telegram/callback-data.ts';
import { actorOf, NEEDS_START, type BotContext, type FeatureDeps } from '../context.ts';
import { EDIT_SETTING_DIALOG } from '../dialogs/edit-setting.ts';
import { LEVEL_ICONS, notifyKeyboard, notifyText, sectionKeyboard, sectionOf, sectionText, SETTINGS_SECTIONS, settingsMenuKeyboard, settingsMenuText, type SectionKey } from '../../telegram/keyboards/settings.ts';
import { settingField } from '../../telegram/settings-input.ts';
import { traderQuote } from '../trader-quote.ts';
import { kindLabel, levelFor, nextLevel, NOTIFY_KINDS } from '../../telegram/notify-levels.ts';

export function settingsFeature(deps: FeatureDeps) {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType('private');

  chats.command('settings', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    const s = await deps.engine.tradingSettings(ctx.trader.id);
    await ctx.reply(settingsMenuText(s, await traderQuote(deps, ctx.trader.id)), { parse_mode: 'HTML', reply_markup: settingsMenuKeyboard() });
  });

  chats.callbackQuery(settingsData.filter(), async (ctx) => {
    const trader = ctx.trader;
    if (!trader) return ctx.answerCallbackQuery({ text: NEEDS_START, show_alert: true });
    const read = readSettingsData(ctx.callbackQuery.data);
    if (!read) return ctx.answerCallbackQuery({ text: `${EXPIRED} /settings shows the menu again.` });
    const { a, k } = read;
    const quote = await traderQuote(deps, trader.id);
    const showMenu = async (s: TradingSettings, toast?: string) => {
      await ctx.answerCallbackQuery(toast ? { text: toast } : undefined);
      await ctx.editMessageText(settingsMenuText(s, quote), { parse_mode: 'HTML', reply_markup: settingsMenuKeyboard() }).catch(() => undefined);
    };
    const showSection = async (key: SectionKey, s: TradingSettings, toast?: string) => {
      await ctx.answerCallbackQuery(toast ? { text: toast } : undefined);
      await ctx.editMessageText(sectionText(key, s, quote), { parse_mode: 'HTML', reply_markup: sectionKeyboard(key, s, quote) }).catch(() => undefined);
    };
    const actor = actorOf(ctx, trader, deps.adminIds);

    switch (a) {
      case 'menu':
        return showMenu(await deps.engine.tradingSettings(trader.id));
      case 'sec': {
        const key = SETTINGS_SECTIONS.find((x) => x.key === k)?.key;
        if (!key) return ctx.answerCallbackQuery({ text: `${EXPIRED} /settings shows the menu again.` });
        return showSection(key, await deps.engine.tradingSettings(trader.id));
      }
      case 'close':
        await ctx.answerCallbackQuery();
        return ctx.editMessageReplyMarkup({ reply_markup: undefined }).catch(() => undefined);
      case 'edit': {
        const field = settingField(k);
        if (!field) return ctx.answerCallbackQuery({ text: 'Unknown setting.' });
        const current = await deps.engine.tradingSettings(trader.id);
        if (field.kind === 'boolean') {
          const value = !current[field.field];
          const r = await deps.engine.updateSettings(actor, trader.id, { [field.field]: value } as Partial<TradingSettings>);
          if (!r.ok) return ctx.answerCallbackQuery({ text: r.message, show_alert: true });
          return showSection(sectionOf(field.key) ?? 'exits', r.settings, `${value ? 'On' : 'Off'}. Applies to new positions.`);
        }
        if (field.kind === 'mode') return ctx.answerCallbackQuery({ text: 'Each account has its own mode: see /accounts.', show_alert: true });
        await ctx.answerCallbackQuery();
        // one dialog at a time: a tap on another setting replaces the open question
        await ctx.conversation.exitAll();
        return ctx.conversation.enter(EDIT_SETTING_DIALOG, field.key);
      }
      case 'apply': {
        let n: number;
        try {
          n = await deps.engine.applySettingsToOpenPositions(actor, trader.id);
        } catch (error) {
          // sent to the process holding the trader's positions (SPEC §12): its alert follows
          if (error instanceof ActionQueuedError) return ctx.answerCallbackQuery({ text: error.message.slice(0, 190), show_alert: true });
          throw error;
        }
        const text = n === 0 ? 'You have no open positions; new positions use these settings.' : `Applied to ${n} open position${n === 1 ? '' : 's'}.`;
        await ctx.answerCallbackQuery({ text, show_alert: true });
        return ctx.reply(`↪ ${text}`);
      }
      case 'notify': {
        await ctx.answerCallbackQuery();
        const prefs = await deps.engine.notifyPrefs(trader.id);
        return ctx.editMessageText(notifyText(), { parse_mode: 'HTML', reply_markup: notifyKeyboard(prefs) }).catch(() => undefined);
      }
      case 'level': {
        if (!NOTIFY_KINDS.some((n) => n.kind === k)) return ctx.answerCallbackQuery({ text: 'Unknown event.' });
        const prefs = await deps.engine.notifyPrefs(trader.id);
        const level = nextLevel(k, levelFor(prefs, k));
        const updated = await deps.engine.setNotifyLevel(actor, trader.id, k, level);
        await ctx.answerCallbackQuery({ text: `${kindLabel(k)}: ${LEVEL_ICONS[level]}` });
        return ctx.editMessageReplyMarkup({ reply_markup: notifyKeyboard(updated) }).catch(() => undefined);
      }
      default:
        return ctx.answerCallbackQuery({ text: 'This button has expired. /settings shows the menu again.' });
    }
  });

  return feature;
}

