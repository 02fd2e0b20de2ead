import { InlineKeyboard } from 'grammy';
import { SETTING_FIELDS, riskLevelCaps, riskLevelNotes, type SettingField, type TradingSettings } from '../../domain/settings.ts';
import { settingsData } from '../callback-data.ts';
import { SETTING_LABELS, displayValue } from '../settings-input.ts';
import { NOTIFY_KINDS, levelFor, type NotifyLevel, type NotifyPrefs } from '../notify-levels.ts';
import { escapeHtml } from '../format/telegram-text.ts';

const s = (a: string, k = '') => settingsData.pack({ a, k });

export type SectionKey = 'risk' | 'exits' | 'limits' | 'protections';

/**
 * The settings a trader edits, in sections that each fit a phone screen (notifications are the
 * fifth). The mode is not among them: each account trades in its own mode (SPEC §11,
 * /accounts); the settings JSON keeps `mode` for backtests only.
 */
export const SETTINGS_SECTIONS: ReadonlyArray<{ key: SectionKey; title: string; fields: readonly string[] }> = [
  { key: 'risk', title: '🎚 Risk', fields: ['risk_level', 'risk_per_trade', 'max_position', 'leverage', 'stop_loss_pct', 'take_profit_pct'] },
  {
    key: 'exits',
    title: '🚪 Exits',
    fields: ['trailing_enabled', 'trailing_activation_pct', 'trailing_distance_pct', 'partial_tp_enabled', 'partial_tp_levels', 'breakeven_after_first_tp', 'trailing_tp_enabled', 'trailing_tp_deviation_pct', 'max_hold_hours', 'sl_timeout_seconds'],
  },
  { key: 'limits', title: '🚦 Limits', fields: ['max_positions', 'daily_trade_limit', 'hourly_trade_limit', 'liquidation_warn_pct', 'liquidation_close_pct', 'liquidation_reduce_fraction'] },
  {
    key: 'protections',
    title: '🛡 Protections',
    fields: [
      'max_drawdown_enabled',
      'max_drawdown_pct',
      'max_drawdown_window_hours',
      'max_drawdown_cooldown_hours',
      'stoploss_guard_enabled',
      'stoploss_guard_trades',
      'stoploss_guard_window_minutes',
      'stoploss_guard_cooldown_minutes',
      'stoploss_guard_per_pair',
      'exit_cooldown_minutes',
    ],
  },
];

const fieldOf = (key: string): SettingField => SETTING_FIELDS.find((f) => f.key === key)!;
const label = (key: string) => SETTING_LABELS[key] ?? key;

export function sectionOf(key: string): SectionKey | undefined {
  return SETTINGS_SECTIONS.find((x) => x.fields.includes(key))?.key;
}

function riskNotes(settings: TradingSettings): string[] {
  const caps = riskLevelCaps(settings.riskLevel);
  return [`Risk level ${settings.riskLevel} caps risk per trade at ${caps.maxRiskPerTradePct} % and leverage at ${caps.maxLeverage}×.`, ...riskLevelNotes(settings).map((n) => `⚠️ Your ${n}.`)];
}

/** The top of /settings: one line per section (its key values) and a button each. */
export function settingsMenuText(settings: TradingSettings, quote = 'USDT'): string {
  const v = (key: string) => displayValue(fieldOf(key), settings, quote);
  return [
    '⚙️ <b>Your settings</b> (for every account)',
    `🎚 Risk: level ${settings.riskLevel} · ${v('risk_per_trade')} a trade · at most ${escapeHtml(v('max_position'))} · ${v('leverage')}`,
    `🚪 Exits: trailing ${v('trailing_enabled')} · partial TP ${v('partial_tp_enabled')} · time exit ${v('max_hold_hours')}`,
    `🚦 Limits: ${v('max_positions')} open · ${v('daily_trade_limit')} a day · ${v('hourly_trade_limit')} an hour`,
    `🛡 Protections: drawdown guard ${v('max_drawdown_enabled')} · stop-loss guard ${v('stoploss_guard_enabled')} · cooldown after exit ${v('exit_cooldown_minutes')}`,
    ...riskNotes(settings).slice(1),
    '',
    'Pick a section to see and change its settings. Changes apply to new positions; “Apply to open positions” updates the open ones too.',
    'Spot, margin or futures is each account’s own mode: /accounts.',
  ].join('\n');
}

export function settingsMenuKeyboard(): InlineKeyboard {
  const [risk, exits, limits, protections] = SETTINGS_SECTIONS;
  return new InlineKeyboard()
    .text(risk!.title, s('sec', risk!.key))
    .text(exits!.title, s('sec', exits!.key))
    .row()
    .text(limits!.title, s('sec', limits!.key))
    .text(protections!.title, s('sec', protections!.key))
    .row()
    .text('🔔 Notifications', s('notify'))
    .row()
    .text('↪ Apply to open positions', s('apply'))
    .row()
    .text('Done', s('close'));
}

/** One section: each setting with its value, and a button for each. */
export function sectionText(key: SectionKey, settings: TradingSettings, quote = 'USDT'): string {
  const section = SETTINGS_SECTIONS.find((x) => x.key === key)!;
  const lines = section.fields.map((f) => `${label(f)}: <b>${escapeHtml(displayValue(fieldOf(f), settings, quote))}</b>`);
  return [
    `⚙️ <b>${section.title.slice(section.title.indexOf(' ') + 1)}</b>`,
    ...lines,
    ...(key === 'risk' ? ['', ...riskNotes(settings)] : []),
    '',
    'Tap one to change it; on/off ones switch at once.',
  ].join('\n');
}

export function sectionKeyboard(key: SectionKey, settings: TradingSettings, quote = 'USDT'): InlineKeyboard {
  const section = SETTINGS_SECTIONS.find((x) => x.key === key)!;
  const kb = new InlineKeyboard();
  section.fields.forEach((f, i) => {
    kb.text(`${label(f)}: ${displayValue(fieldOf(f), settings, quote)}`, s('edit', f));
    if (i % 2 === 1) kb.row();
  });
  return kb.row().text('⬅ Back', s('menu'));
}

export const LEVEL_ICONS: Record<NotifyLevel, string> = { on: '🔔 on', silent: '🔕 silent', off: '🚫 off' };

export function notifyText(): string {
  return ['🔔 <b>Notifications</b>', 'Tap an event to switch it: on → silent (no sound) → off. Errors that need you and liquidation alerts cannot be switched off.'].join('\n');
}

export function notifyKeyboard(prefs: NotifyPrefs): InlineKeyboard {
  const kb = new InlineKeyboard();
  NOTIFY_KINDS.forEach((k, i) => {
    kb.text(`${k.label}: ${LEVEL_ICONS[levelFor(prefs, k.kind)]}`, s('level', k.kind));
    if (i % 2 === 1) kb.row();
  });
  return kb.row().text('⬅ Back', s('menu'));
}

/** under a changed setting: apply it to open positions, or back to its section */
export function afterChangeKeyboard(section?: SectionKey): InlineKeyboard {
  return new InlineKeyboard().text('↪ Apply to open positions too', s('apply')).row().text('⚙️ Back to settings', section ? s('sec', section) : s('menu'));
}
