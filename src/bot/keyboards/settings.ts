import { InlineKeyboard } from 'grammy';
import { SETTING_FIELDS, riskLevelCaps, riskLevelNotes, type TradingSettings } from '../../domain/settings.ts';
import { settingsData } from '../callback-data.ts';
import { SETTING_LABELS, displayValue } from '../settings-input.ts';
import { NOTIFY_KINDS, levelFor, type NotifyLevel, type NotifyPrefs } from '../notify-levels.ts';

const s = (a: string, k = '') => settingsData.pack({ a, k });

/**
 * The settings a trader edits here. The mode is not among them: each account trades in its own
 * mode (SPEC §11, /accounts); the settings JSON keeps `mode` for backtests only.
 */
const MENU_FIELDS = SETTING_FIELDS.filter((f) => f.kind !== 'mode');

export function settingsMenuText(settings: TradingSettings): string {
  const lines = MENU_FIELDS.map((f) => `${SETTING_LABELS[f.key] ?? f.key}: <b>${displayValue(f, settings)}</b>`);
  const caps = riskLevelCaps(settings.riskLevel);
  const risk = [
    `Risk level ${settings.riskLevel} caps risk per trade at ${caps.maxRiskPerTradePct} % and leverage at ${caps.maxLeverage}×.`,
    ...riskLevelNotes(settings).map((n) => `⚠️ Your ${n}.`),
  ];
  return [
    '⚙️ <b>Your settings</b> (for every account)',
    ...lines,
    '',
    ...risk,
    '',
    'Tap one to change it. Changes apply to new positions; “Apply to open positions” updates the open ones too.',
    'Spot, margin or futures is each account’s own mode: /accounts.',
  ].join('\n');
}

export function settingsMenuKeyboard(settings: TradingSettings): InlineKeyboard {
  const kb = new InlineKeyboard();
  MENU_FIELDS.forEach((f, i) => {
    kb.text(`${SETTING_LABELS[f.key] ?? f.key}: ${displayValue(f, settings)}`, s('edit', f.key));
    if (i % 2 === 1) kb.row();
  });
  return kb.row().text('🔔 Notifications', s('notify')).text('↪ Apply to open positions', s('apply')).row().text('Done', s('close'));
}

export const LEVEL_ICONS: Record<NotifyLevel, string> = { on: '🔔 on', silent: '🔕 silent', off: '🚫 off' };

export function notifyText(): string {
  return ['🔔 <b>Notifications</b>', 'Tap an event to switch it: on → silent (no sound) → off. Errors that need you and liquidation alerts cannot be switched off.'].join('\n');
}

export function notifyKeyboard(prefs: NotifyPrefs): InlineKeyboard {
  const kb = new InlineKeyboard();
  for (const k of NOTIFY_KINDS) kb.text(`${k.label}: ${LEVEL_ICONS[levelFor(prefs, k.kind)]}`, s('level', k.kind)).row();
  return kb.text('⬅ Back', s('menu'));
}

export function afterChangeKeyboard(): InlineKeyboard {
  return new InlineKeyboard().text('↪ Apply to open positions too', s('apply')).row().text('⚙️ Back to settings', s('menu'));
}
