import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  effectiveLeverage,
  effectiveRiskPerTrade,
  parseSettings,
  riskLevelCaps,
  riskLevelNotes,
  settingsToJson,
  toMonitorSettings,
} from '../../src/domain/settings.ts';

describe('parseSettings (SPEC §8 settings JSON)', () => {
  it('fills every missing key from the defaults', () => {
    const r = parseSettings({});
    expect(r).toEqual({ ok: true, value: DEFAULT_SETTINGS });
    expect(DEFAULT_SETTINGS.trailingActivationPct).toBe(0.5);
    expect(DEFAULT_SETTINGS.partialTpLevels).toEqual([
      { targetPct: 1, fraction: 0.25 },
      { targetPct: 2, fraction: 0.5 },
      { targetPct: 3, fraction: 0.75 },
    ]);
    expect(DEFAULT_SETTINGS.dailyTradeLimit).toBe(15);
    expect(DEFAULT_SETTINGS.hourlyTradeLimit).toBe(5);
  });

  it('hands out its own levels array, so editing one user’s levels cannot change the defaults', () => {
    const r = parseSettings({});
    if (r.ok) r.value.partialTpLevels.push({ targetPct: 9, fraction: 1 });
    expect(DEFAULT_SETTINGS.partialTpLevels).toHaveLength(3);
  });

  it('keeps the item-6 options off by default', () => {
    expect(DEFAULT_SETTINGS.breakevenAfterFirstTp).toBe(false);
    expect(DEFAULT_SETTINGS.slTimeoutSeconds).toBe(0);
    expect(DEFAULT_SETTINGS.trailingTpEnabled).toBe(false);
  });

  it('reads snake_case keys into camelCase fields, from an object or a JSON string', () => {
    const r = parseSettings('{"mode":"futures","leverage":5,"partial_tp_levels":[[1.5,0.3]],"max_hold_hours":6}');
    expect(r.ok && r.value.mode).toBe('futures');
    expect(r.ok && r.value.leverage).toBe(5);
    expect(r.ok && r.value.partialTpLevels).toEqual([{ targetPct: 1.5, fraction: 0.3 }]);
    expect(r.ok && toMonitorSettings(r.value).maxHoldMs).toBe(6 * 3_600_000);
  });

  it('names an unknown key', () => {
    const r = parseSettings({ stop_loss_pct: 3, trailing_stop: 1 });
    expect(r).toEqual({ ok: false, error: ['unknown key "trailing_stop"'] });
  });

  it('names the key of an out-of-range or mistyped value', () => {
    const r = parseSettings({ stop_loss_pct: 0, mode: 'cash', partial_tp_levels: [[2, 0.5], [1, 0.5]] });
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.error;
    expect(errors.some((e) => e.startsWith('stop_loss_pct:'))).toBe(true);
    expect(errors.some((e) => e.startsWith('mode:'))).toBe(true);
    expect(errors.some((e) => e.includes('partial_tp_levels') && e.includes('ascending'))).toBe(true);
  });

  it('reports bad JSON text', () => {
    const r = parseSettings('{"mode":');
    expect(r.ok).toBe(false);
  });

  it('round-trips through settingsToJson', () => {
    const custom = { ...DEFAULT_SETTINGS, stopLossPct: 3.5, trailingTpEnabled: true };
    expect(parseSettings(settingsToJson(custom))).toEqual({ ok: true, value: custom });
  });

  it('converts the options into monitor units (seconds → ms)', () => {
    const r = parseSettings({ sl_timeout_seconds: 30, breakeven_after_first_tp: true });
    const m = r.ok ? toMonitorSettings(r.value) : null;
    expect(m?.slTimeoutMs).toBe(30_000);
    expect(m?.breakevenAfterFirstPartial).toBe(true);
  });
});

describe('risk level (1–10): a ceiling on risk per trade and leverage', () => {
  it.each([
    [1, 0.5, 1],
    [2, 1, 2],
    [3, 1.5, 3],
    [4, 2, 5],
    [5, 2.5, 10],
    [6, 3, 15],
    [7, 3.5, 20],
    [8, 4, 25],
    [9, 4.5, 50],
    [10, 5, 125],
  ])('level %i → risk per trade ≤ %f %, leverage ≤ %i×', (level, risk, lev) => {
    expect(riskLevelCaps(level)).toEqual({ maxRiskPerTradePct: risk, maxLeverage: lev });
  });

  it('the defaults (level 5, 2 %, 1×) are not capped; the seed’s 10× fits level 5', () => {
    expect(effectiveRiskPerTrade(DEFAULT_SETTINGS)).toBe(2);
    expect(effectiveLeverage({ ...DEFAULT_SETTINGS, mode: 'futures', leverage: 10 })).toBe(10);
    expect(riskLevelNotes({ ...DEFAULT_SETTINGS, mode: 'futures', leverage: 10 })).toEqual([]);
  });

  it.each([
    ['3 % at level 5 → 2.5 %', { riskPerTrade: 3, riskLevel: 5 }, 2.5, 1, ['risk per trade 3 % capped at 2.5 % by risk level 5']],
    ['2 % at level 1 → 0.5 %; futures 20× → 1×', { riskPerTrade: 2, riskLevel: 1, mode: 'futures' as const, leverage: 20 }, 0.5, 1, ['risk per trade 2 % capped at 0.5 % by risk level 1', 'leverage 20× capped at 1× by risk level 1']],
    ['futures 20× at level 6 → 15×', { mode: 'futures' as const, leverage: 20, riskLevel: 6 }, 2, 15, ['leverage 20× capped at 15× by risk level 6']],
    ['spot ignores leverage whatever the level', { leverage: 50, riskLevel: 1, riskPerTrade: 0.4 }, 0.4, 1, []],
  ])('%s', (_n, over, risk, lev, notes) => {
    const s = { ...DEFAULT_SETTINGS, ...over };
    expect(effectiveRiskPerTrade(s)).toBe(risk);
    expect(effectiveLeverage(s)).toBe(lev);
    expect(riskLevelNotes(s)).toEqual(notes);
  });
});
