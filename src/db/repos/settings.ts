/**
 * A trader's trading settings (SPEC §8): the trading_settings row ↔ TradingSettings. Columns hold the
 * seed's keys and SPEC §8's additions; the further options live in `extra` under their JSON keys.
 * Every write is validated by the domain's parseSettings, so the row never holds a bad value.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { tradingSettings } from '../schema.ts';
import { DEFAULT_SETTINGS, parseSettings, settingsToJson, type TradingSettings } from '../../domain/settings.ts';
import type { Result } from '../../domain/types.ts';

type Row = typeof tradingSettings.$inferSelect;

/** JSON keys kept in `extra` (no column of their own). */
const EXTRA_KEYS = [
  'liquidation_warn_pct',
  'liquidation_close_pct',
  'liquidation_reduce_fraction',
  'breakeven_after_first_tp',
  'sl_timeout_seconds',
  'trailing_tp_enabled',
  'trailing_tp_deviation_pct',
  'stoploss_guard_enabled',
  'stoploss_guard_trades',
  'stoploss_guard_window_minutes',
  'stoploss_guard_cooldown_minutes',
  'stoploss_guard_per_pair',
  'max_drawdown_enabled',
  'max_drawdown_pct',
  'max_drawdown_window_hours',
  'max_drawdown_cooldown_hours',
  'exit_cooldown_minutes',
] as const;

/** The row as the Settings JSON of SPEC §8 (what parseSettings reads). */
export function rowToJson(row: Row): Record<string, unknown> {
  const json: Record<string, unknown> = {
    risk_level: row.riskLevel,
    risk_per_trade: Number(row.riskPerTrade),
    max_position: Number(row.maxPosition),
    stop_loss_pct: Number(row.stopLossPct),
    take_profit_pct: Number(row.takeProfitPct),
    leverage: row.leverage,
    trailing_enabled: row.trailingEnabled,
    partial_tp_enabled: row.partialTpEnabled,
    max_positions: row.maxPositions,
    mode: row.mode,
    trailing_activation_pct: Number(row.trailingActivationPct),
    trailing_distance_pct: Number(row.trailingDistancePct),
    partial_tp_levels: row.partialTpLevels,
    max_hold_hours: Number(row.maxHoldHours),
    daily_trade_limit: row.dailyTradeLimit,
    hourly_trade_limit: row.hourlyTradeLimit,
  };
  for (const key of EXTRA_KEYS) if (row.extra[key] !== undefined) json[key] = row.extra[key];
  return json;
}

function toColumns(s: TradingSettings, previousExtra: Record<string, unknown>) {
  const json = settingsToJson(s);
  const extra: Record<string, unknown> = { ...previousExtra };
  for (const key of EXTRA_KEYS) extra[key] = json[key];
  return {
    riskLevel: s.riskLevel,
    riskPerTrade: String(s.riskPerTrade),
    maxPosition: String(s.maxPosition),
    stopLossPct: String(s.stopLossPct),
    takeProfitPct: String(s.takeProfitPct),
    // the column is an integer: the domain allows fractional leverage, the row keeps it whole
    leverage: Math.round(s.leverage),
    trailingEnabled: s.trailingEnabled,
    partialTpEnabled: s.partialTpEnabled,
    maxPositions: s.maxPositions,
    mode: s.mode,
    trailingActivationPct: String(s.trailingActivationPct),
    trailingDistancePct: String(s.trailingDistancePct),
    partialTpLevels: s.partialTpLevels.map((l) => [l.targetPct, l.fraction] as [number, number]),
    maxHoldHours: String(s.maxHoldHours),
    dailyTradeLimit: s.dailyTradeLimit,
    hourlyTradeLimit: s.hourlyTradeLimit,
    extra,
  };
}

export function createSettingsRepo(db: Db) {
  async function row(userId: string): Promise<Row | undefined> {
    const [r] = await db.select().from(tradingSettings).where(eq(tradingSettings.userId, userId));
    return r;
  }

  return {
    /** The trader's settings; defaults when the row is missing or (never expected) unreadable. */
    async get(userId: string): Promise<TradingSettings> {
      const r = await row(userId);
      if (!r) return { ...DEFAULT_SETTINGS, partialTpLevels: DEFAULT_SETTINGS.partialTpLevels.map((l) => ({ ...l })) };
      const parsed = parseSettings(rowToJson(r));
      return parsed.ok ? parsed.value : { ...DEFAULT_SETTINGS };
    },

    /** Merges `patch` over the current settings; refuses (with the reasons) anything parseSettings refuses. */
    async update(userId: string, patch: Partial<TradingSettings>): Promise<Result<TradingSettings>> {
      const current = await this.get(userId);
      const merged: TradingSettings = { ...current, ...patch };
      if (merged.leverage !== Math.round(merged.leverage)) return { ok: false, error: ['leverage: must be a whole number'] };
      const parsed = parseSettings(settingsToJson(merged));
      if (!parsed.ok) return parsed;
      const existing = await row(userId);
      const columns = toColumns(parsed.value, existing?.extra ?? {});
      await db
        .insert(tradingSettings)
        .values({ userId, ...columns })
        .onConflictDoUpdate({ target: tradingSettings.userId, set: { ...columns, updatedAt: new Date() } });
      return parsed;
    },
  };
}

export type SettingsRepo = ReturnType<typeof createSettingsRepo>;
