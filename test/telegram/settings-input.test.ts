import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_SETTINGS, SETTING_FIELDS } from '../../src/domain/settings.ts';
import { parseSettingInput, questionFor, settingField } from '../../src/telegram/settings-input.ts';
import { sectionText, settingsMenuText } from '../../src/telegram/keyboards/settings.ts';

const field = (key: string) => settingField(key)!;

describe('typed setting values', () => {
  it('asks with the unit and the range', () => {
    expect(questionFor(field('stop_loss_pct'), { ...DEFAULT_SETTINGS })).toContain('Send a number above 0 and at most 100, in percent.');
    expect(questionFor(field('max_positions'), { ...DEFAULT_SETTINGS })).toContain('Send a whole number from 1 to 1000.');
    expect(questionFor(field('max_hold_hours'), { ...DEFAULT_SETTINGS })).toContain('now 12 h');
    expect(questionFor(field('leverage'), { ...DEFAULT_SETTINGS })).toContain('a whole number from 1 to 125, in times');
  });

  it('the risk level says what it caps, in its question and in the menu, and warns when a cap binds', () => {
    expect(questionFor(field('risk_level'), { ...DEFAULT_SETTINGS })).toContain('risk per trade at most 0.5 % × level');
    expect(sectionText('risk', { ...DEFAULT_SETTINGS })).toContain('Risk level 5 caps risk per trade at 2.5 % and leverage at 10×.');
    expect(settingsMenuText({ ...DEFAULT_SETTINGS })).not.toContain('⚠️');
    expect(sectionText('risk', { ...DEFAULT_SETTINGS })).not.toContain('⚠️');
    // the warning shows on the menu's first screen and in the Risk section
    expect(settingsMenuText({ ...DEFAULT_SETTINGS, riskLevel: 2, riskPerTrade: 3, mode: 'futures', leverage: 5 })).toContain('⚠️ Your risk per trade 3 % capped at 1 % by risk level 2.');
    const capped = sectionText('risk', { ...DEFAULT_SETTINGS, riskLevel: 2, riskPerTrade: 3, mode: 'futures', leverage: 5 });
    expect(capped).toContain('Risk level 2 caps risk per trade at 1 % and leverage at 2×.');
    expect(capped).toContain('⚠️ Your risk per trade 3 % capped at 1 % by risk level 2.');
    expect(capped).toContain('⚠️ Your leverage 5× capped at 2× by risk level 2.');
  });

  it('accepts "2.5", "2,5" and "2.5%" for a percent', () => {
    for (const t of ['2.5', '2,5', '2.5%', ' 2.5 % ']) expect(parseSettingInput(field('stop_loss_pct'), t)).toEqual({ ok: true, value: 2.5 });
  });

  it('refuses bad input with the reason', () => {
    expect(parseSettingInput(field('stop_loss_pct'), 'abc')).toEqual({ ok: false, error: '"abc" is not a number.' });
    expect(parseSettingInput(field('stop_loss_pct'), '0')).toEqual({ ok: false, error: '0 is too small: it must be above 0.' });
    expect(parseSettingInput(field('stop_loss_pct'), '150')).toEqual({ ok: false, error: '150 is too large: it must be at most 100.' });
    expect(parseSettingInput(field('max_positions'), '2.5')).toEqual({ ok: false, error: '2.5 is not a whole number.' });
    expect(parseSettingInput(field('leverage'), '0')).toEqual({ ok: false, error: '0 is too small: it must be at least 1.' });
    expect(parseSettingInput(field('risk_per_trade'), '1e999')).toEqual({ ok: false, error: '"1e999" is not a number.' });
  });

  it('reads partial levels and refuses descending targets or fractions above 1', () => {
    expect(parseSettingInput(field('partial_tp_levels'), '1:0.25, 2:0.5, 3:0.75')).toEqual({
      ok: true,
      value: [
        { targetPct: 1, fraction: 0.25 },
        { targetPct: 2, fraction: 0.5 },
        { targetPct: 3, fraction: 0.75 },
      ],
    });
    expect(parseSettingInput(field('partial_tp_levels'), 'none')).toEqual({ ok: true, value: [] });
    expect(parseSettingInput(field('partial_tp_levels'), '2:0.5, 1:0.25')).toEqual({ ok: false, error: 'Targets must be in ascending order.' });
    expect(parseSettingInput(field('partial_tp_levels'), '1:1.5')).toEqual({ ok: false, error: 'Fraction 1.5 must be above 0 and at most 1.' });
    expect(parseSettingInput(field('partial_tp_levels'), 'one:half')).toEqual({ ok: false, error: 'Target: "one" is not a number.' });
  });

  it('any number inside a field range is accepted, any outside refused, written with a point or a comma', () => {
    const numeric = SETTING_FIELDS.filter((f) => (f.kind === 'number' || f.kind === 'integer') && f.key !== 'leverage');
    fc.assert(
      fc.property(
        fc.constantFrom(...numeric),
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.constantFrom('', '5', '25', '0625'),
        fc.constantFrom('.', ','),
        (f, whole, decimals, point) => {
          const typed = f.kind === 'integer' || decimals === '' ? String(whole) : `${whole}${point}${decimals}`;
          const n = Number(typed.replace(',', '.'));
          const inRange = (f.minExclusive ? n > f.min! : n >= f.min!) && n <= f.max!;
          const r = parseSettingInput(f, typed);
          expect(r.ok, typed).toBe(inRange);
          if (r.ok) expect(r.value).toBe(n);
        },
      ),
    );
  });
});
