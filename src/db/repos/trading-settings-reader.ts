/**
 * A user's trading_settings row as the domain's TradingSettings, for the engine: the same row
 * mapping as the settings editor's repo, through the domain's parseSettings, so the engine reads
 * exactly what the editor validated. A row that no longer parses falls back to the defaults (and says so).
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { tradingSettings } from '../schema.ts';
import { DEFAULT_SETTINGS, parseSettings, type TradingSettings } from '../../domain/settings.ts';
import { rowToJson } from './settings.ts';

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
      const parsed = parseSettings(rowToJson(row));
      if (parsed.ok) return { settings: parsed.value, problems: [] };
      return { settings: { ...DEFAULT_SETTINGS }, problems: parsed.error };
    },
  };
}

export type TradingSettingsReader = ReturnType<typeof createTradingSettingsReader>;
