/**
 * fitHtml / fitPlain against the Bot API emulator's own parser (written separately, like
 * Telegram's): whatever goes in, what comes out is accepted and within the limit.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { escapeHtml, fitHtml, fitPlain, shownInput } from '../../../src/telegram/format/telegram-text.ts';
import { parseFormatted } from '../../emulators/bot-api/formatting.ts';

const piece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }).map(escapeHtml),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `<b>${escapeHtml(s)}</b>`),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `<i><code>${escapeHtml(s)}</code></i>`),
  fc.constantFrom('<b>', '</i>', '&', '&#99999999;', '&amp;', '😀', '<', '>', '<a href="https://x.test">', '</a>'),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const html = fc.array(piece, { maxLength: 200 }).map((parts) => parts.join(''));

describe('text Telegram accepts', () => {
  it('any text becomes valid HTML of at most the limit, unchanged when it already was', () => {
    fc.assert(
      fc.property(html, fc.integer({ min: 1, max: 400 }), (raw, limit) => {
        const fitted = fitHtml(raw, limit);
        const parsed = parseFormatted(fitted.text, 'HTML');
        expect(parsed.text.length).toBeLessThanOrEqual(limit);
        expect(fitted.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
        if (fitted.repaired === undefined) expect(fitted.text).toBe(raw);
      }),
      { numRuns: 300 },
    );
  });

  it('cuts inside tags and closes them; keeps an emoji whole; marks the cut with …', () => {
    expect(fitHtml('<b>Risk <i>per</i> trade</b> 2 %', 9)).toEqual({ text: '<b>Risk <i>per</i>…</b>', repaired: 'cut' });
    expect(fitHtml('<b>Risk <i>pe</i>r trade</b>', 7)).toEqual({ text: '<b>Risk <i>p…</i></b>', repaired: 'cut' });
    expect(fitHtml('&lt;&lt;&lt;&lt;', 3)).toEqual({ text: '&lt;&lt;…', repaired: 'cut' });
    expect(fitPlain('ab😀cd', 4)).toBe('ab…');
    expect(fitHtml('a < b', 100)).toEqual({ text: 'a &lt; b', repaired: 'escaped' });
    expect(parseFormatted(fitHtml('😀'.repeat(3000), 4096).text, 'HTML').text).toHaveLength(4095);
  });

  it('quotes a trader input briefly: line breaks shown, cut after 24 characters', () => {
    expect(shownInput('1\n2')).toBe('1⏎2');
    expect(shownInput('x'.repeat(30))).toBe(`${'x'.repeat(24)}…`);
    expect(shownInput('😀'.repeat(30))).toBe(`${'😀'.repeat(24)}…`);
  });
});
