/**
 * A user's trading_settings row as the domain's TradingSettings: columns and the `extra` jsonb
 * (the option keys) go through the domain's parseSettings, so the engine reads exactly what the
 * settings editor validated. A row that no longer parses falls back to the defaults (and says so).
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { tradingSettings } from '../schema.ts';
import { DEFAULT_SETTINGS, SETTING_FIELDS, parseSettings, type TradingSettings } from '../../domain/settings.ts';

const KNOWN_KEYS = new Set(SETTING_FIELDS.map((f) => f.key));

export interface SettingsRead {
  settings: TradingSettings;
  /** parse problems of a stored row (defaults were used) */
  problems: string[];
}

export function createTradingSettingsReader(db: Db) {
  return {
    async get(userId: string): Promise<SettingsRead> {
      const [row] = await db.select().from(tradingSettings).where(eq(tradingSettings.userId, userId));
      if (!row) return { settings: { ...DEFAULT_SETTINGS }, problems: [] };
      const json: Record<string, unknown> = {
        // extra may hold keys of other features (alert preferences …): only settings keys are read here
        ...Object.fromEntries(Object.entries(row.extra).filter(([k]) => KNOWN_KEYS.has(k))),
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
      const parsed = parseSettings(json);
      if (parsed.ok) return { settings: parsed.value, problems: [] };
      return { settings: { ...DEFAULT_SETTINGS }, problems: parsed.error };
    },
  };
}

export type TradingSettingsReader = ReturnType<typeof createTradingSettingsReader>;
