import { z } from 'zod';
import type { Mode, MonitorSettings, PartialTpLevel, Result } from './types.ts';
import type { ProtectionSettings } from './protections.ts';

/**
 * A user's trading settings (SPEC §8 "Settings JSON"): the seed's `trading_settings` keys,
 * plus mode, trailing, partial levels, hold time, trade limits, and the options traders of
 * other bots expect (all off by default). JSON keys are snake_case; the type is camelCase.
 */
export interface TradingSettings {
  /** 1..10, the seed's scale: a ceiling on risk per trade and leverage (see riskLevelCaps) */
  riskLevel: number;
  /** percent of balance risked per trade, 2 = 2 % */
  riskPerTrade: number;
  /** quote currency (USD) cap per position */
  maxPosition: number;
  /** percent below/above entry, fallback stop loss */
  stopLossPct: number;
  /** percent, fallback take profit */
  takeProfitPct: number;
  /** used in margin/futures only; spot is always 1 */
  leverage: number;
  trailingEnabled: boolean;
  partialTpEnabled: boolean;
  maxPositions: number;
  mode: Mode;
  /** percent */
  trailingActivationPct: number;
  /** percent */
  trailingDistancePct: number;
  partialTpLevels: PartialTpLevel[];
  /** hours; 0 = no time exit */
  maxHoldHours: number;
  dailyTradeLimit: number;
  hourlyTradeLimit: number;
  /** percent distance to liquidation → warning + reduce */
  liquidationWarnPct: number;
  /** percent distance to liquidation → close all */
  liquidationClosePct: number;
  /** fraction of the remaining quantity sold at a liquidation warning */
  liquidationReduceFraction: number;
  /** option: stop loss → entry after the first partial take profit */
  breakevenAfterFirstTp: boolean;
  /** option: seconds a stop-loss breach must last before it closes; 0 = off */
  slTimeoutSeconds: number;
  /** option: trail after reaching the take profit instead of closing there */
  trailingTpEnabled: boolean;
  /** percent retracement from the best price after TP that closes */
  trailingTpDeviationPct: number;
  /** protection (off by default): N stop losses within a window → no new entries for a cooldown */
  stoplossGuardEnabled: boolean;
  stoplossGuardTrades: number;
  /** minutes */
  stoplossGuardWindowMinutes: number;
  /** minutes */
  stoplossGuardCooldownMinutes: number;
  /** lock only the pair that took the stop losses (else every pair) */
  stoplossGuardPerPair: boolean;
  /** protection (on by default): the closed trades' equity falls this far within a window → pause entries */
  maxDrawdownEnabled: boolean;
  /** percent of the peak, 10 = 10 % */
  maxDrawdownPct: number;
  /** hours */
  maxDrawdownWindowHours: number;
  /** hours */
  maxDrawdownCooldownHours: number;
  /** protection: minutes without a new entry on a pair after a position of it closed; 0 = off */
  exitCooldownMinutes: number;
}

export const DEFAULT_SETTINGS: Readonly<TradingSettings> = Object.freeze({
  riskLevel: 5,
  riskPerTrade: 2,
  maxPosition: 1000,
  stopLossPct: 2,
  takeProfitPct: 10,
  leverage: 1,
  trailingEnabled: true,
  partialTpEnabled: true,
  maxPositions: 5,
  mode: 'spot',
  trailingActivationPct: 0.5,
  trailingDistancePct: 1,
  partialTpLevels: [
    { targetPct: 1, fraction: 0.25 },
    { targetPct: 2, fraction: 0.5 },
    { targetPct: 3, fraction: 0.75 },
  ],
  maxHoldHours: 12,
  dailyTradeLimit: 15,
  hourlyTradeLimit: 5,
  liquidationWarnPct: 15,
  liquidationClosePct: 3.5,
  liquidationReduceFraction: 0.25,
  breakevenAfterFirstTp: false,
  slTimeoutSeconds: 0,
  trailingTpEnabled: false,
  trailingTpDeviationPct: 0.5,
  stoplossGuardEnabled: false,
  stoplossGuardTrades: 3,
  stoplossGuardWindowMinutes: 60,
  stoplossGuardCooldownMinutes: 60,
  stoplossGuardPerPair: false,
  maxDrawdownEnabled: true,
  maxDrawdownPct: 10,
  maxDrawdownWindowHours: 24,
  maxDrawdownCooldownHours: 12,
  exitCooldownMinutes: 0,
} satisfies TradingSettings);

/** One editable scalar setting: JSON key, camelCase field, range and unit (for editors and errors). */
export interface SettingField {
  key: string;
  field: keyof TradingSettings;
  kind: 'number' | 'integer' | 'boolean' | 'mode' | 'levels';
  min?: number;
  max?: number;
  /** human unit, e.g. '%', 'USD', 'h' */
  unit?: string;
  /** min is exclusive */
  minExclusive?: boolean;
}

export const SETTING_FIELDS: readonly SettingField[] = [
  { key: 'risk_level', field: 'riskLevel', kind: 'integer', min: 1, max: 10 },
  { key: 'risk_per_trade', field: 'riskPerTrade', kind: 'number', min: 0, max: 100, unit: '%', minExclusive: true },
  { key: 'max_position', field: 'maxPosition', kind: 'number', min: 0, max: 1e12, unit: 'USD', minExclusive: true },
  { key: 'stop_loss_pct', field: 'stopLossPct', kind: 'number', min: 0, max: 100, unit: '%', minExclusive: true },
  { key: 'take_profit_pct', field: 'takeProfitPct', kind: 'number', min: 0, max: 10000, unit: '%', minExclusive: true },
  { key: 'leverage', field: 'leverage', kind: 'number', min: 1, max: 125, unit: 'x' },
  { key: 'trailing_enabled', field: 'trailingEnabled', kind: 'boolean' },
  { key: 'partial_tp_enabled', field: 'partialTpEnabled', kind: 'boolean' },
  { key: 'max_positions', field: 'maxPositions', kind: 'integer', min: 1, max: 1000 },
  { key: 'mode', field: 'mode', kind: 'mode' },
  { key: 'trailing_activation_pct', field: 'trailingActivationPct', kind: 'number', min: 0, max: 1000, unit: '%' },
  { key: 'trailing_distance_pct', field: 'trailingDistancePct', kind: 'number', min: 0, max: 100, unit: '%', minExclusive: true },
  { key: 'partial_tp_levels', field: 'partialTpLevels', kind: 'levels' },
  { key: 'max_hold_hours', field: 'maxHoldHours', kind: 'number', min: 0, max: 24 * 365, unit: 'h' },
  { key: 'daily_trade_limit', field: 'dailyTradeLimit', kind: 'integer', min: 0, max: 10000 },
  { key: 'hourly_trade_limit', field: 'hourlyTradeLimit', kind: 'integer', min: 0, max: 10000 },
  { key: 'liquidation_warn_pct', field: 'liquidationWarnPct', kind: 'number', min: 0, max: 100, unit: '%' },
  { key: 'liquidation_close_pct', field: 'liquidationClosePct', kind: 'number', min: 0, max: 100, unit: '%' },
  { key: 'liquidation_reduce_fraction', field: 'liquidationReduceFraction', kind: 'number', min: 0, max: 1 },
  { key: 'breakeven_after_first_tp', field: 'breakevenAfterFirstTp', kind: 'boolean' },
  { key: 'sl_timeout_seconds', field: 'slTimeoutSeconds', kind: 'number', min: 0, max: 86400, unit: 's' },
  { key: 'trailing_tp_enabled', field: 'trailingTpEnabled', kind: 'boolean' },
  { key: 'trailing_tp_deviation_pct', field: 'trailingTpDeviationPct', kind: 'number', min: 0, max: 100, unit: '%', minExclusive: true },
  { key: 'stoploss_guard_enabled', field: 'stoplossGuardEnabled', kind: 'boolean' },
  { key: 'stoploss_guard_trades', field: 'stoplossGuardTrades', kind: 'integer', min: 1, max: 100 },
  { key: 'stoploss_guard_window_minutes', field: 'stoplossGuardWindowMinutes', kind: 'number', min: 0, max: 7 * 24 * 60, unit: 'min', minExclusive: true },
  { key: 'stoploss_guard_cooldown_minutes', field: 'stoplossGuardCooldownMinutes', kind: 'number', min: 0, max: 7 * 24 * 60, unit: 'min', minExclusive: true },
  { key: 'stoploss_guard_per_pair', field: 'stoplossGuardPerPair', kind: 'boolean' },
  { key: 'max_drawdown_enabled', field: 'maxDrawdownEnabled', kind: 'boolean' },
  { key: 'max_drawdown_pct', field: 'maxDrawdownPct', kind: 'number', min: 0, max: 100, unit: '%', minExclusive: true },
  { key: 'max_drawdown_window_hours', field: 'maxDrawdownWindowHours', kind: 'number', min: 0, max: 24 * 90, unit: 'h', minExclusive: true },
  { key: 'max_drawdown_cooldown_hours', field: 'maxDrawdownCooldownHours', kind: 'number', min: 0, max: 24 * 90, unit: 'h', minExclusive: true },
  { key: 'exit_cooldown_minutes', field: 'exitCooldownMinutes', kind: 'number', min: 0, max: 7 * 24 * 60, unit: 'min' },
];

function scalarSchema(f: SettingField): z.ZodType {
  switch (f.kind) {
    case 'boolean':
      return z.boolean();
    case 'mode':
      return z.enum(['spot', 'margin', 'futures']);
    case 'levels':
      return levelsSchema;
    case 'number':
    case 'integer': {
      let n = f.kind === 'integer' ? z.number().int() : z.number();
      n = n.refine(Number.isFinite, 'must be a finite number');
      if (f.min !== undefined) n = f.minExclusive ? n.gt(f.min) : n.gte(f.min);
      if (f.max !== undefined) n = n.lte(f.max);
      return n;
    }
  }
}

const levelsSchema = z
  .array(z.tuple([z.number().gt(0).lte(10000), z.number().gt(0).lte(1)]))
  .max(10)
  .refine(
    (ls) => ls.every((l, i) => i === 0 || l[0] > (ls[i - 1]?.[0] ?? -Infinity)),
    'targets must be strictly ascending',
  );

/** zod schema of the Settings JSON (snake_case keys, all optional, unknown keys rejected). */
export const settingsJsonSchema = z.strictObject(
  Object.fromEntries(SETTING_FIELDS.map((f) => [f.key, scalarSchema(f).optional()])),
);

function formatIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `unknown key "${k}"`);
  }
  const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return [`${path}: ${issue.message}`];
}

/**
 * Parse a Settings JSON value (already JSON.parse'd, or a string of JSON). Missing keys take
 * DEFAULT_SETTINGS; unknown keys are an error naming the key; each error names its key.
 */
export function parseSettings(json: unknown): Result<TradingSettings> {
  let input = json;
  if (typeof json === 'string') {
    try {
      input = JSON.parse(json);
    } catch (e) {
      return { ok: false, error: [`invalid JSON: ${(e as Error).message}`] };
    }
  }
  const parsed = settingsJsonSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.flatMap(formatIssue) };
  // a fresh levels array per result: no caller can reach the shared defaults through it
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS, partialTpLevels: DEFAULT_SETTINGS.partialTpLevels.map((l) => ({ ...l })) };
  for (const f of SETTING_FIELDS) {
    const v = (parsed.data as Record<string, unknown>)[f.key];
    if (v === undefined) continue;
    out[f.field] =
      f.kind === 'levels'
        ? (v as Array<[number, number]>).map(([targetPct, fraction]) => ({ targetPct, fraction }))
        : v;
  }
  const settings = out as unknown as TradingSettings;
  if (settings.liquidationClosePct > settings.liquidationWarnPct) {
    return { ok: false, error: ['liquidation_close_pct: must not exceed liquidation_warn_pct'] };
  }
  return { ok: true, value: settings };
}

/** TradingSettings → Settings JSON (snake_case), e.g. for persisting or showing a user. */
export function settingsToJson(s: TradingSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of SETTING_FIELDS) {
    const v = s[f.field];
    out[f.key] =
      f.kind === 'levels' ? (v as PartialTpLevel[]).map((l) => [l.targetPct, l.fraction]) : v;
  }
  return out;
}

/** leverage ceiling per risk level 1..10; level 5 (the default) allows the seed's 10× */
export const RISK_LEVEL_MAX_LEVERAGE: readonly number[] = [1, 2, 3, 5, 10, 15, 20, 25, 50, 125];
/** risk per trade ceiling, percent per risk level step: level 5 → 2.5 % (the default risk is 2 %) */
export const RISK_LEVEL_RISK_STEP_PCT = 0.5;

/**
 * The risk level (1..10) is a ceiling over the other risk settings, applied when a trade is
 * sized: risk per trade ≤ 0.5 % × level, leverage ≤ RISK_LEVEL_MAX_LEVERAGE[level − 1]
 * (1 → 0.5 %, 1×; 3 → 1.5 %, 3×; 5 → 2.5 %, 10×; 8 → 4 %, 25×; 10 → 5 %, 125×).
 * Lowering the level makes every later trade smaller without touching the other settings.
 */
export function riskLevelCaps(level: number): { maxRiskPerTradePct: number; maxLeverage: number } {
  const l = Math.min(10, Math.max(1, Math.round(Number.isFinite(level) ? level : 5)));
  return { maxRiskPerTradePct: l * RISK_LEVEL_RISK_STEP_PCT, maxLeverage: RISK_LEVEL_MAX_LEVERAGE[l - 1] as number };
}

/** Risk per trade (percent) after the risk level's ceiling. */
export function effectiveRiskPerTrade(s: Pick<TradingSettings, 'riskPerTrade' | 'riskLevel'>): number {
  return Math.min(s.riskPerTrade, riskLevelCaps(s.riskLevel).maxRiskPerTradePct);
}

/** Effective leverage: spot never uses leverage; elsewhere the risk level caps it. */
export function effectiveLeverage(s: Pick<TradingSettings, 'mode' | 'leverage' | 'riskLevel'>): number {
  return s.mode === 'spot' ? 1 : Math.min(s.leverage, riskLevelCaps(s.riskLevel).maxLeverage);
}

/** Which of the risk level's ceilings bound these settings, as notes for the trade ("risk per trade 3 % capped at 2.5 % by risk level 5"). */
export function riskLevelNotes(s: Pick<TradingSettings, 'mode' | 'leverage' | 'riskLevel' | 'riskPerTrade'>): string[] {
  const notes: string[] = [];
  const risk = effectiveRiskPerTrade(s);
  if (risk < s.riskPerTrade) notes.push(`risk per trade ${s.riskPerTrade} % capped at ${risk} % by risk level ${s.riskLevel}`);
  const lev = effectiveLeverage(s);
  if (s.mode !== 'spot' && lev < s.leverage) notes.push(`leverage ${s.leverage}× capped at ${lev}× by risk level ${s.riskLevel}`);
  return notes;
}

/** The monitor's view of a user's settings. */
export function toMonitorSettings(s: TradingSettings): MonitorSettings {
  return {
    trailingEnabled: s.trailingEnabled,
    trailingActivationPct: s.trailingActivationPct,
    trailingDistancePct: s.trailingDistancePct,
    partialTpEnabled: s.partialTpEnabled,
    partialTpLevels: s.partialTpLevels.map((l) => ({ ...l })),
    maxHoldMs: s.maxHoldHours * 3_600_000,
    liquidationWarnPct: s.liquidationWarnPct,
    liquidationClosePct: s.liquidationClosePct,
    liquidationReduceFraction: s.liquidationReduceFraction,
    maintenanceMarginRate: 0.005,
    breakevenAfterFirstPartial: s.breakevenAfterFirstTp,
    slTimeoutMs: s.slTimeoutSeconds * 1000,
    trailingTpEnabled: s.trailingTpEnabled,
    trailingTpDeviationPct: s.trailingTpDeviationPct,
  };
}

/** The protections' view of a trader's settings (src/domain/protections.ts). */
export function toProtectionSettings(s: TradingSettings): ProtectionSettings {
  return {
    stoplossGuard: { enabled: s.stoplossGuardEnabled, trades: s.stoplossGuardTrades, windowMinutes: s.stoplossGuardWindowMinutes, cooldownMinutes: s.stoplossGuardCooldownMinutes, perPair: s.stoplossGuardPerPair },
    maxDrawdown: { enabled: s.maxDrawdownEnabled, maxDrawdownPct: s.maxDrawdownPct, windowHours: s.maxDrawdownWindowHours, cooldownHours: s.maxDrawdownCooldownHours },
    cooldown: { enabled: s.exitCooldownMinutes > 0, cooldownMinutes: s.exitCooldownMinutes },
  };
}

export const DEFAULT_MONITOR_SETTINGS: Readonly<MonitorSettings> = Object.freeze(
  toMonitorSettings(DEFAULT_SETTINGS),
);
