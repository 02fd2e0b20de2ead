/**
 * Reading a trader's typed value for one setting, and describing settings for the menu. Pure.
 * Every refusal says why and what is accepted (unit and range).
 */
import { SETTING_FIELDS, type SettingField, type TradingSettings } from '../domain/settings.ts';
import type { PartialTpLevel, Result } from '../domain/types.ts';
import { shownInput } from './format/telegram-text.ts';
import { readNumber } from './number-input.ts';

export const SETTING_LABELS: Record<string, string> = {
  risk_level: 'Risk level',
  risk_per_trade: 'Risk per trade',
  max_position: 'Max position size',
  stop_loss_pct: 'Stop loss (fallback)',
  take_profit_pct: 'Take profit (fallback)',
  leverage: 'Leverage',
  trailing_enabled: 'Trailing stop',
  partial_tp_enabled: 'Partial take profit',
  max_positions: 'Max open positions',
  mode: 'Mode',
  trailing_activation_pct: 'Trailing activation',
  trailing_distance_pct: 'Trailing distance',
  partial_tp_levels: 'Partial TP levels',
  max_hold_hours: 'Max hold time',
  daily_trade_limit: 'Trades per day',
  hourly_trade_limit: 'Trades per hour',
  liquidation_warn_pct: 'Liquidation warning at',
  liquidation_close_pct: 'Liquidation close at',
  liquidation_reduce_fraction: 'Reduce on warning',
  breakeven_after_first_tp: 'SL → entry after 1st partial',
  sl_timeout_seconds: 'Stop-loss timeout',
  trailing_tp_enabled: 'Trailing take profit',
  trailing_tp_deviation_pct: 'Trailing TP deviation',
  stoploss_guard_enabled: 'Stop-loss guard',
  stoploss_guard_trades: 'Stop losses that pause',
  stoploss_guard_window_minutes: 'Stop-loss window',
  stoploss_guard_cooldown_minutes: 'Pause after stop losses',
  stoploss_guard_per_pair: 'Stop-loss guard per pair',
  max_drawdown_enabled: 'Drawdown guard',
  max_drawdown_pct: 'Max drawdown',
  max_drawdown_window_hours: 'Drawdown window',
  max_drawdown_cooldown_hours: 'Pause after drawdown',
  exit_cooldown_minutes: 'Cooldown after exit',
};

export const SETTING_HINTS: Record<string, string> = {
  risk_level:
    'a ceiling on the two below: risk per trade at most 0.5 % × level, leverage at most 1×, 2×, 3×, 5×, 10×, 15×, 20×, 25×, 50×, 125× for levels 1–10 (5 → 2.5 %, 10×)',
  risk_per_trade: 'percent of your balance risked on one trade; your risk level caps it at 0.5 % × level',
  max_position: 'largest position value',
  stop_loss_pct: 'used when a signal has no stop loss and ATR is unavailable',
  take_profit_pct: 'used when a signal has no take profit and ATR is unavailable',
  leverage: 'margin and futures only; spot is always 1×; your risk level caps it',
  trailing_activation_pct: 'profit at which the trailing stop starts',
  trailing_distance_pct: 'how far the trailing stop follows the best price',
  max_hold_hours: '0 = no time exit',
  liquidation_reduce_fraction: 'fraction of the position sold at a liquidation warning',
  sl_timeout_seconds: 'how long a stop-loss breach must last before it closes; 0 = off',
  stoploss_guard_trades: 'this many stop losses within the window pause new entries',
  stoploss_guard_window_minutes: 'the stop-loss guard counts stop losses closed within this time',
  stoploss_guard_cooldown_minutes: 'how long the stop-loss guard pauses new entries after the last stop loss',
  max_drawdown_pct: 'percent the closed trades may take off your equity’s peak within the window before entries pause',
  max_drawdown_window_hours: 'the drawdown guard looks at trades closed within this time',
  max_drawdown_cooldown_hours: 'how long the drawdown guard pauses new entries',
  exit_cooldown_minutes: 'no new entry on a pair for this long after a position of it closed; 0 = off',
};

export function settingField(key: string): SettingField | undefined {
  return SETTING_FIELDS.find((f) => f.key === key);
}

function fmtNumber(n: number): string {
  return Number(n.toPrecision(12)).toString();
}

export function fmtLevels(levels: readonly PartialTpLevel[]): string {
  return levels.length === 0 ? 'none' : levels.map((l) => `${fmtNumber(l.targetPct)}:${fmtNumber(l.fraction)}`).join(', ');
}

/** The current value as the trader reads it: "2 %", "on", "1:0.25, 2:0.5", "1,000 USDT" (a money setting in the trader's quote). */
export function displayValue(f: SettingField, s: TradingSettings, quote = 'USDT'): string {
  const v = s[f.field];
  switch (f.kind) {
    case 'boolean':
      return v ? 'on' : 'off';
    case 'mode':
      return String(v);
    case 'levels':
      return fmtLevels(v as PartialTpLevel[]);
    default: {
      const unit = f.unit === undefined ? '' : f.unit === 'x' ? '×' : f.unit === 'USD' ? ` ${quote}` : ` ${f.unit}`;
      return `${fmtNumber(v as number)}${unit}`;
    }
  }
}

export function unitName(f: SettingField, quote = 'USDT'): string {
  switch (f.unit) {
    case '%':
      return 'percent';
    case 'USD':
      return quote;
    case 'h':
      return 'hours';
    case 's':
      return 'seconds';
    case 'min':
      return 'minutes';
    case 'x':
      return 'times';
    default:
      return f.key === 'liquidation_reduce_fraction' ? 'fraction of the position' : '';
  }
}

/** "a number above 0 and at most 100" / "a whole number from 1 to 10" */
export function rangeText(f: SettingField): string {
  const whole = f.kind === 'integer' || f.key === 'leverage';
  const what = whole ? 'a whole number' : 'a number';
  if (f.min === undefined && f.max === undefined) return what;
  if (f.minExclusive) return `${what} above ${f.min}${f.max !== undefined ? ` and at most ${f.max}` : ''}`;
  return `${what} from ${f.min} to ${f.max}`;
}

export function questionFor(f: SettingField, s: TradingSettings, quote = 'USDT'): string {
  const label = SETTING_LABELS[f.key] ?? f.key;
  const hint = SETTING_HINTS[f.key];
  if (f.kind === 'levels') {
    return [
      `<b>${label}</b> — now ${fmtLevels(s.partialTpLevels)}`,
      'Send up to 10 levels as <code>target%:fraction</code>, targets ascending, separated by <code>, </code> or <code>;</code>, e.g. <code>1:0.25, 2:0.5, 3:0.75</code>.',
      'Each fraction (above 0, at most 1) is of what remains at that moment. Send <code>none</code> for no levels.',
    ].join('\n');
  }
  const unit = unitName(f, quote);
  return [
    `<b>${label}</b> — now ${displayValue(f, s, quote)}`,
    hint ? `(${hint})` : '',
    `Send ${rangeText(f)}${unit ? `, in ${unit}` : ''}.`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** what a trader may write after the number, per unit */
const UNIT_WORDS: Record<string, readonly string[]> = {
  '%': ['%', 'percent'],
  USD: ['usd', 'usdt', 'usdc', '$'],
  h: ['h', 'hours', 'hour'],
  s: ['s', 'sec', 'seconds'],
  min: ['min', 'minutes', 'minute', 'm'],
  x: ['x', '×'],
};

/** Parses typed input for a number/integer/levels setting (one number reader for all: number-input.ts). */
export function parseSettingInput(f: SettingField, raw: string): Result<unknown, string> {
  const text = raw.trim();
  if (f.kind === 'levels') return parseLevels(text);
  if (f.kind !== 'number' && f.kind !== 'integer') return { ok: false, error: 'Choose with the buttons.' };
  const read = readNumber(text, f.unit ? (UNIT_WORDS[f.unit] ?? [f.unit]) : []);
  if (!read.ok) return { ok: false, error: read.reason };
  const n = read.value;
  const whole = f.kind === 'integer' || f.key === 'leverage';
  if (whole && !Number.isInteger(n)) return { ok: false, error: `${fmtNumber(n)} is not a whole number.` };
  if (f.min !== undefined && (f.minExclusive ? n <= f.min : n < f.min)) {
    return { ok: false, error: `${fmtNumber(n)} is too small: it must be ${f.minExclusive ? 'above' : 'at least'} ${f.min}.` };
  }
  if (f.max !== undefined && n > f.max) return { ok: false, error: `${fmtNumber(n)} is too large: it must be at most ${f.max}.` };
  return { ok: true, value: n };
}

/**
 * Levels as target%:fraction, separated by ";", a line break, or a comma and a space (a comma
 * alone is a decimal comma: 1,5:0,25 is 1.5 % : 0.25).
 */
function parseLevels(text: string): Result<PartialTpLevel[], string> {
  if (/^(none|off|-)$/i.test(text)) return { ok: true, value: [] };
  const parts = text.split(/\s*(?:[;\n\r]|,\s)\s*/).map((p) => p.trim()).filter(Boolean);
  if (parts.length > 10) return { ok: false, error: `At most 10 levels (you sent ${parts.length}).` };
  const levels: PartialTpLevel[] = [];
  for (const part of parts) {
    const pair = part.split(/[:=]/);
    if (pair.length > 2) return { ok: false, error: `"${shownInput(part)}" holds more than one level: separate levels with "; " or ", " (a comma alone is a decimal comma).` };
    if (pair.length < 2) return { ok: false, error: `"${shownInput(part)}" is not target%:fraction (for example 1:0.25).` };
    const target = readNumber(pair[0]!.trim(), ['%']);
    if (!target.ok) return { ok: false, error: `Target: ${target.reason}` };
    const fraction = readNumber(pair[1]!.trim());
    if (!fraction.ok) return { ok: false, error: `Fraction: ${fraction.reason}` };
    const targetPct = target.value;
    if (!(targetPct > 0 && targetPct <= 10000)) return { ok: false, error: `Target ${fmtNumber(targetPct)} must be above 0 and at most 10000 %.` };
    if (!(fraction.value > 0 && fraction.value <= 1)) return { ok: false, error: `Fraction ${fmtNumber(fraction.value)} must be above 0 and at most 1.` };
    const prev = levels[levels.length - 1];
    if (prev && targetPct <= prev.targetPct) return { ok: false, error: 'Targets must be in ascending order.' };
    levels.push({ targetPct, fraction: fraction.value });
  }
  return { ok: true, value: levels };
}
