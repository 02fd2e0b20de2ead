/** The one reading of a typed number (settings, prices, levels), as the trader sees it. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readNumber } from '../../src/telegram/number-input.ts';
import { parseSettingInput, settingField } from '../../src/telegram/settings-input.ts';

describe('a typed number', () => {
  it.each([
    ['1.5', 1.5],
    ['1,5', 1.5],
    ['0,500', 0.5],
    ['.5', 0.5],
    [',5', 0.5],
    ['1 000', 1000],
    ['1\u00a0000', 1000],
    ['1\u202f000', 1000],
    ['1_000', 1000],
    ['12 345 678,25', 12_345_678.25],
    ['98 500.5', 98_500.5],
    ['98500', 98_500],
    ['98500,000', 98_500],
    ['+2', 2],
    ['−2', -2],
    ['１．５', 1.5],
  ])('"%s" reads as %d', (typed, value) => {
    expect(readNumber(typed)).toEqual({ ok: true, value });
  });

  it.each([
    ['1\n2', 'Send one number per message: "1⏎2" has a line break.'],
    ['2\r\n3', 'Send one number per message: "2⏎3" has a line break.'],
    ['1 2', 'Send a single number: I read 1 and 2 in "1 2". Write thousands as 1 000 (groups of three digits).'],
    ['2 3 4', 'Send a single number: I read 3 numbers in "2 3 4". Write thousands as 1 000 (groups of three digits).'],
    ['1,000', '"1,000" can be read two ways: did you mean 1000 or 1.0? Send 1000 or 1.0.'],
    ['2.500', '"2.500" can be read two ways: did you mean 2500 or 2.5? Send 2500 or 2.5.'],
    ['1,000,000', '"1,000,000": write thousands with a space or _ (like 1 000 000) and at most one decimal point or comma.'],
    ['1,000.5', '"1,000.5": write thousands with a space or _ (like 1 000 000) and at most one decimal point or comma.'],
    ['1 00', 'Send a single number: I read 1 and 00 in "1 00". Write thousands as 1 000 (groups of three digits).'],
    ['1e3', '"1e3" is not a number.'],
    ['١٫٥', '"١٫٥" is not a number.'],
    ['<b>', '"<b>" is not a number.'],
  ])('"%s" is refused: %s', (typed, reason) => {
    expect(readNumber(typed)).toEqual({ ok: false, reason });
  });

  it('any number written with a point or a comma, with or without thousands spaces, reads the same', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), fc.constantFrom('', '5', '25', '0001', '1234'), (whole, decimals) => {
        const grouped = whole.toLocaleString('en-US').replace(/,/g, ' ');
        const expected = Number(`${whole}${decimals ? `.${decimals}` : ''}`);
        for (const w of [String(whole), grouped, grouped.replace(/ /g, '_')]) {
          for (const point of decimals ? ['.', ','] : ['']) {
            const typed = `${w}${point}${decimals}`;
            const r = readNumber(typed);
            // a lone group then three decimals is the one form asked back
            if (/^[1-9]\d{0,2}[.,]\d{3}$/.test(typed)) expect(r.ok).toBe(false);
            else expect(r, typed).toEqual({ ok: true, value: expected });
          }
        }
      }),
    );
  });

  it('settings take it with their unit; the same reading everywhere ("1⏎2" is not 12 %)', () => {
    const risk = settingField('risk_per_trade')!;
    expect(parseSettingInput(risk, '1\n2')).toEqual({ ok: false, error: 'Send one number per message: "1⏎2" has a line break.' });
    expect(parseSettingInput(risk, '1,5 %')).toEqual({ ok: true, value: 1.5 });
    expect(parseSettingInput(settingField('max_position')!, '25 000 USDT')).toEqual({ ok: true, value: 25_000 });
    expect(parseSettingInput(settingField('leverage')!, '10x')).toEqual({ ok: true, value: 10 });
    expect(parseSettingInput(settingField('max_hold_hours')!, '1,000')).toEqual({ ok: false, error: '"1,000" can be read two ways: did you mean 1000 or 1.0? Send 1000 or 1.0.' });
  });

  it('levels use the same reading: a comma alone is decimal, levels are separated by "; " or ", "', () => {
    const levels = settingField('partial_tp_levels')!;
    expect(parseSettingInput(levels, '1,5:0,25; 3:0,5')).toEqual({ ok: true, value: [{ targetPct: 1.5, fraction: 0.25 }, { targetPct: 3, fraction: 0.5 }] });
    expect(parseSettingInput(levels, '1.5%:0.25, 3:1')).toEqual({ ok: true, value: [{ targetPct: 1.5, fraction: 0.25 }, { targetPct: 3, fraction: 1 }] });
    expect(parseSettingInput(levels, '1:0.25,2:0.5')).toEqual({ ok: false, error: '"1:0.25,2:0.5" holds more than one level: separate levels with "; " or ", " (a comma alone is a decimal comma).' });
  });
});
