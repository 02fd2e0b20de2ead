/**
 * Text that Telegram accepts. Pure. Two halves:
 * - composing: `escapeHtml` for anything not written by us (what a trader typed, an exchange's
 *   message, a symbol) and `shownInput` to quote a trader's input briefly in a reply;
 * - fitting: `fitHtml` / `fitPlain` make any text valid for Telegram and cut it to a limit
 *   (closing the tags it cut through). The outgoing gate (src/telegram/outgoing.ts) applies them to
 *   every message the bot sends.
 * Lengths are UTF-16 code units of the text the trader reads (markup removed), as Telegram counts.
 */

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Telegram refuses text that is not valid UTF-8: a lone surrogate becomes U+FFFD. */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * A trader's input quoted in a reply, as plain text (escape it with the rest of the reply): line
 * breaks shown as ⏎, at most `max` characters (whole code points) then "…".
 */
export function shownInput(raw: string, max = 24): string {
  const chars = [...wellFormed(raw).replace(/\r\n|[\r\n\u2028\u2029]/g, '⏎')];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max).join('')}…`;
}

const ELLIPSIS = '…';

/** Cuts plain text to `limit` UTF-16 units without splitting a surrogate pair; "…" marks the cut. */
export function fitPlain(text: string, limit: number): string {
  const s = wellFormed(text);
  if (s.length <= limit) return s;
  let end = limit - ELLIPSIS.length;
  if (end > 0 && /[\uD800-\uDBFF]/.test(s[end - 1]!)) end -= 1;
  return `${s.slice(0, end)}${ELLIPSIS}`;
}

/** The tags Telegram's HTML parse mode knows (lower case). */
const TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote', 'tg-emoji']);
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

type Token =
  | { kind: 'text'; raw: string; /** UTF-16 units shown */ units: number }
  | { kind: 'open'; raw: string; name: string }
  | { kind: 'close'; raw: string; name: string };

/** Reads HTML the way Telegram does; undefined when Telegram would answer "can't parse entities". */
export function readHtml(raw: string): Token[] | undefined {
  const tokens: Token[] = [];
  const open: string[] = [];
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i]!;
    if (ch === '&') {
      const m = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-f]{1,6});/i.exec(raw.slice(i, i + 12));
      if (m) {
        const name = m[1]!.toLowerCase();
        const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : name.startsWith('#') ? parseInt(name.slice(1), 10) : undefined;
        // a numeric entity that names no character: Telegram's reading of it is not one we rely on
        if (code !== undefined && (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))) return undefined;
        const shown = code === undefined ? NAMED_ENTITIES[name]! : String.fromCodePoint(code);
        tokens.push({ kind: 'text', raw: m[0], units: shown.length });
        i += m[0].length;
        continue;
      }
      tokens.push({ kind: 'text', raw: ch, units: 1 });
      i += 1;
      continue;
    }
    if (ch !== '<') {
      const pair = /[\uD800-\uDBFF]/.test(ch) && /[\uDC00-\uDFFF]/.test(raw[i + 1] ?? '');
      const piece = pair ? raw.slice(i, i + 2) : ch;
      tokens.push({ kind: 'text', raw: piece, units: piece.length });
      i += piece.length;
      continue;
    }
    const end = raw.indexOf('>', i);
    if (end === -1) return undefined;
    const inner = raw.slice(i + 1, end);
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim().toLowerCase();
      if (open.pop() !== name) return undefined;
      tokens.push({ kind: 'close', raw: raw.slice(i, end + 1), name });
    } else {
      const name = (/^[^\s>]*/.exec(inner)?.[0] ?? '').toLowerCase();
      if (!TAGS.has(name)) return undefined;
      const attrs = inner.slice(name.length);
      if (name === 'span' && !/class\s*=\s*["']?tg-spoiler/.test(attrs)) return undefined;
      if (name === 'a' && !/href\s*=/.test(attrs)) return undefined;
      open.push(name);
      tokens.push({ kind: 'open', raw: raw.slice(i, end + 1), name });
    }
    i = end + 1;
  }
  return open.length === 0 ? tokens : undefined;
}

export interface Fitted {
  text: string;
  /** what had to be done beyond nothing */
  repaired?: 'escaped' | 'cut' | 'escaped+cut';
}

/**
 * Valid HTML for Telegram of at most `limit` shown units. Markup Telegram would refuse is shown
 * literally (escaped) rather than lost; a cut ends with "…" and closes every tag it cut through.
 */
export function fitHtml(raw: string, limit: number): Fitted {
  const input = wellFormed(raw);
  let tokens = readHtml(input);
  let escaped = false;
  if (!tokens) {
    escaped = true;
    tokens = readHtml(escapeHtml(input))!;
  }
  const shown = tokens.reduce((n, t) => n + (t.kind === 'text' ? t.units : 0), 0);
  if (shown <= limit) return escaped ? { text: escapeHtml(input), repaired: 'escaped' } : { text: input };
  let out = '';
  let used = 0;
  const open: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'text') {
      if (used + t.units > limit - ELLIPSIS.length) break;
      used += t.units;
    } else if (t.kind === 'open') open.push(t.name);
    else open.pop();
    out += t.raw;
  }
  out += ELLIPSIS + open.reverse().map((n) => `</${n}>`).join('');
  return { text: out, repaired: escaped ? 'escaped+cut' : 'cut' };
}
