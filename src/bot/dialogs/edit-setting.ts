/** Edits one numeric (or partial-levels) setting: asks with unit and range, re-asks with the reason. */
import type { TradingSettings } from '../../domain/settings.ts';
import type { Dialog, DialogContext, FeatureDeps } from '../context.ts';
import { afterChangeKeyboard, sectionOf } from '../../telegram/keyboards/settings.ts';
import { traderQuote } from '../trader-quote.ts';
import { SETTING_LABELS, displayValue, parseSettingInput, questionFor, settingField } from '../../telegram/settings-input.ts';
import { askUntilDone } from './ask.ts';
import { escapeHtml } from '../../telegram/format/telegram-text.ts';

export const EDIT_SETTING_DIALOG = 'edit-setting';

export function createEditSettingDialog(deps: FeatureDeps) {
  return async function editSetting(conversation: Dialog, ctx: DialogContext, key: string): Promise<void> {
    const fromId = ctx.from?.id;
    const field = settingField(key);
    if (fromId === undefined || !field) return;
    const trader = await conversation.external(async () => {
      const u = await deps.engine.traderByTelegramId(fromId);
      return u ? { id: u.id } : null;
    });
    if (!trader) return;
    const before: TradingSettings = await conversation.external(() => deps.engine.tradingSettings(trader.id));
    const quote: string = await conversation.external(() => traderQuote(deps, trader.id));
    await askUntilDone(
      conversation,
      ctx,
      questionFor(field, before, quote),
      async (text) => {
        const parsed = parseSettingInput(field, text);
        if (!parsed.ok) return escapeHtml(parsed.error);
        const saved = await conversation.external(async () => {
          const r = await deps.engine.updateSettings({ telegramId: fromId, userId: trader.id }, trader.id, { [field.field]: parsed.value } as Partial<TradingSettings>);
          return r.ok ? { ok: true as const, value: r.settings } : { ok: false as const, error: r.message };
        });
        if (!saved.ok) return escapeHtml(saved.error);
        await ctx.reply(
          `✅ ${SETTING_LABELS[field.key] ?? field.key}: ${escapeHtml(displayValue(field, before, quote))} → <b>${escapeHtml(displayValue(field, saved.value, quote))}</b>\nApplies to new positions.`,
          { parse_mode: 'HTML', reply_markup: afterChangeKeyboard(sectionOf(field.key)) },
        );
        return undefined;
      },
      deps.logger,
    );
  };
}
