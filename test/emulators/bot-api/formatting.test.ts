/**
 * The emulator's parse_mode checks must never refuse correctly escaped text (or every bot test
 * would fail for the wrong reason) and must refuse what Telegram refuses.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseFormatted } from './formatting.ts';

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeMarkdownV2 = (s: string) => s.replace(/[_*[\]()~`>#+\-=|{}.!\\]/g, (c) => `\\${c}`);

describe('parse_mode HTML', () => {
  it('accepts any escaped text inside <b> and shows it unchanged as one bold entity', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const parsed = parseFormatted(`<b>${escapeHtml(s)}</b>`, 'HTML');
        expect(parsed.text).toBe(s);
        expect(parsed.entities).toEqual(s.length > 0 ? [{ type: 'bold', offset: 0, length: s.length }] : []);
      }),
    );
  });

  it('refuses a bare "<" that does not start a tag, wherever it is', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }).map(escapeHtml),
        fc.constantFrom(' ', '5', '=', '<', '>', '-', '.'),
        fc.string({ maxLength: 30 }).map(escapeHtml),
        (before, next, after) => {
          expect(() => parseFormatted(`${before}<${next}${after}`, 'HTML')).toThrow(/can't parse entities/);
        },
      ),
    );
  });

  it('nests tags and reports offsets in UTF-16 units like Telegram', () => {
    const parsed = parseFormatted('📈 <b>BTC <i>+3 %</i></b> <code>0.01</code>', 'HTML');
    expect(parsed.text).toBe('📈 BTC +3 % 0.01');
    expect(parsed.entities).toEqual([
      { type: 'bold', offset: 3, length: 8 },
      { type: 'italic', offset: 7, length: 4 },
      { type: 'code', offset: 12, length: 4 },
    ]);
  });

  it('leaves a numeric entity that names no character as text instead of failing', () => {
    expect(parseFormatted('a &#99999999; b &#xD800; c &#0; d &#x1F600;', 'HTML').text).toBe('a &#99999999; b &#xD800; c &#0; d 😀');
  });

  it('names the tag and byte offset like Telegram', () => {
    expect(() => parseFormatted('Stop < 61 000', 'HTML')).toThrow('Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 5');
    expect(() => parseFormatted('<b>x</i>', 'HTML')).toThrow('Unmatched end tag at byte offset 4, expected "</b>", found "</i>"');
    expect(() => parseFormatted('<span>x</span>', 'HTML')).toThrow('Tag "span" must have class "tg-spoiler"');
  });
});

describe('parse_mode MarkdownV2', () => {
  it('accepts any text with the reserved characters escaped and shows it unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(parseFormatted(escapeMarkdownV2(s), 'MarkdownV2').text).toBe(s);
      }),
    );
  });

  it('refuses each reserved character left unescaped in plain text', () => {
    for (const c of ['.', '!', '-', '=', '+', '#', '{', '}', '(', ')', ']']) {
      expect(() => parseFormatted(`PnL ${c} 3`, 'MarkdownV2'), c).toThrow(`Character '${c}' is reserved`);
    }
  });

  it('reads bold, italic, code and links', () => {
    const parsed = parseFormatted('*Long* _BTC_ `0\\.01` [chart](https://x.test/a)', 'MarkdownV2');
    expect(parsed.text).toBe('Long BTC 0.01 chart');
    expect(parsed.entities.map((e) => e.type)).toEqual(['bold', 'italic', 'code', 'text_link']);
  });

  it('refuses an unclosed bold', () => {
    expect(() => parseFormatted('*Long BTC', 'MarkdownV2')).toThrow("Can't find end of Bold entity at byte offset 0");
  });
});
