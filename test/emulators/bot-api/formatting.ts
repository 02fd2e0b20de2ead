/**
 * parse_mode handling close enough to Telegram's to catch the usual bugs: unbalanced or
 * unsupported HTML tags, a bare `<` from user input, unescaped MarkdownV2 reserved characters.
 * Output is the text the user reads plus the entities (offsets in UTF-16 code units, as Telegram's).
 */
import { badRequest, type ApiError } from './api-error.ts';

export interface Entity {
  type: string;
  offset: number;
  length: number;
  url?: string;
}

export interface Formatted {
  text: string;
  entities: Entity[];
}

const cantParse = (why: string): ApiError => badRequest(`can't parse entities: ${why}`);

export function parseFormatted(raw: string, parseMode: string | undefined): Formatted {
  const mode = (parseMode ?? '').toLowerCase();
  if (mode === '') return { text: raw, entities: [] };
  if (mode === 'html') return parseHtml(raw);
  if (mode === 'markdownv2') return parseMarkdownV2(raw);
  if (mode === 'markdown') return parseLegacyMarkdown(raw);
  throw badRequest(`unsupported parse_mode "${parseMode}"`);
}

const HTML_TAGS: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  blockquote: 'blockquote',
  'tg-emoji': 'custom_emoji',
};

const HTML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

const byteOffset = (s: string, index: number) => Buffer.byteLength(s.slice(0, index), 'utf8');

function parseHtml(raw: string): Formatted {
  let text = '';
  const entities: Entity[] = [];
  const open: Array<{ name: string; start: number; url?: string }> = [];
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i]!;
    if (ch === '&') {
      const m = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-f]{1,6});/i.exec(raw.slice(i, i + 12));
      const name = m?.[1]!.toLowerCase();
      const code = name === undefined ? undefined : name.startsWith('#x') ? parseInt(name.slice(2), 16) : name.startsWith('#') ? parseInt(name.slice(1), 10) : undefined;
      // a numeric entity naming no character is not decoded: its '&' stays text
      const decodable = code === undefined || (code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff));
      if (m && name !== undefined && decodable) {
        text += code === undefined ? HTML_ENTITIES[name]! : String.fromCodePoint(code);
        i += m[0].length;
        continue;
      }
      text += ch;
      i += 1;
      continue;
    }
    if (ch !== '<') {
      text += ch;
      i += 1;
      continue;
    }
    if (raw[i + 1] === '/') {
      const close = raw.indexOf('>', i);
      if (close === -1) throw cantParse(`Unclosed end tag at byte offset ${byteOffset(raw, i)}`);
      const name = raw.slice(i + 2, close).trim().toLowerCase();
      const top = open.pop();
      if (!top) throw cantParse(`Unexpected end tag at byte offset ${byteOffset(raw, i)}`);
      if (top.name !== name) {
        throw cantParse(`Unmatched end tag at byte offset ${byteOffset(raw, i)}, expected "</${top.name}>", found "</${name}>"`);
      }
      const length = text.length - top.start;
      if (length > 0) {
        const e: Entity = { type: HTML_TAGS[top.name]!, offset: top.start, length };
        if (top.url !== undefined) e.url = top.url;
        entities.push(e);
      }
      i = close + 1;
      continue;
    }
    // like Telegram: the tag name runs to the first space or '>' ("a < b" is the unsupported tag "")
    let j = i + 1;
    while (j < raw.length && !/\s/.test(raw[j]!) && raw[j] !== '>') j += 1;
    if (j >= raw.length) throw cantParse(`Unclosed start tag at byte offset ${byteOffset(raw, i)}`);
    const name = raw.slice(i + 1, j).toLowerCase();
    if (!(name in HTML_TAGS)) throw cantParse(`Unsupported start tag "${name}" at byte offset ${byteOffset(raw, i)}`);
    const close = raw.indexOf('>', j);
    if (close === -1) throw cantParse(`Unclosed start tag at byte offset ${byteOffset(raw, i)}`);
    const attrs = raw.slice(j, close);
    if (name === 'span' && !/class\s*=\s*["']?tg-spoiler/.test(attrs)) throw cantParse('Tag "span" must have class "tg-spoiler"');
    const href = /href\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(attrs);
    const entry: { name: string; start: number; url?: string } = { name, start: text.length };
    if (name === 'a' && href) entry.url = href[1] ?? href[2] ?? href[3] ?? '';
    open.push(entry);
    i = close + 1;
  }
  const unclosed = open.pop();
  if (unclosed) throw cantParse(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  return { text, entities: entities.sort((a, b) => a.offset - b.offset || b.length - a.length) };
}

/** MarkdownV2 markers and the characters that must be escaped with '\' when not used as markup. */
const MDV2_RESERVED = new Set([...'_*[]()~`>#+-=|{}.!']);
const MDV2_TOGGLES: Array<[string, string]> = [
  ['__', 'underline'],
  ['||', 'spoiler'],
  ['*', 'bold'],
  ['_', 'italic'],
  ['~', 'strikethrough'],
];

function parseMarkdownV2(raw: string): Formatted {
  let text = '';
  const entities: Entity[] = [];
  const open = new Map<string, { start: number; at: number }>();
  let link: { start: number } | undefined;
  let i = 0;
  const atLineStart = (k: number) => k === 0 || raw[k - 1] === '\n';
  outer: while (i < raw.length) {
    const ch = raw[i]!;
    if (ch === '\\') {
      const next = raw[i + 1];
      if (next === undefined) throw cantParse(`Character '\\' is reserved and must be escaped with the preceding '\\'`);
      text += next;
      i += 2;
      continue;
    }
    if (ch === '`') {
      const fence = raw.startsWith('```', i) ? '```' : '`';
      let j = i + fence.length;
      let body = '';
      while (j < raw.length && !raw.startsWith(fence, j)) {
        if (raw[j] === '\\' && j + 1 < raw.length) j += 1;
        body += raw[j];
        j += 1;
      }
      if (j >= raw.length) throw cantParse(`Can't find end of ${fence === '`' ? 'Code' : 'Pre'} entity at byte offset ${byteOffset(raw, i)}`);
      if (fence === '```') body = body.replace(/^[^\n]*\n/, ''); // language line
      entities.push({ type: fence === '`' ? 'code' : 'pre', offset: text.length, length: body.length });
      text += body;
      i = j + fence.length;
      continue;
    }
    for (const [marker, type] of MDV2_TOGGLES) {
      if (!raw.startsWith(marker, i)) continue;
      const started = open.get(type);
      if (started) {
        open.delete(type);
        if (text.length > started.start) entities.push({ type, offset: started.start, length: text.length - started.start });
      } else open.set(type, { start: text.length, at: i });
      i += marker.length;
      continue outer;
    }
    if (ch === '[' && !link) {
      link = { start: text.length };
      i += 1;
      continue;
    }
    if (ch === ']' && link && raw[i + 1] === '(') {
      const end = raw.indexOf(')', i + 2);
      if (end === -1) throw cantParse(`Can't find end of a URL at byte offset ${byteOffset(raw, i)}`);
      entities.push({ type: 'text_link', offset: link.start, length: text.length - link.start, url: raw.slice(i + 2, end) });
      link = undefined;
      i = end + 1;
      continue;
    }
    if (ch === '>' && atLineStart(i)) {
      i += 1;
      continue;
    }
    if (MDV2_RESERVED.has(ch)) throw cantParse(`Character '${ch}' is reserved and must be escaped with the preceding '\\'`);
    text += ch;
    i += 1;
  }
  for (const [type, where] of open) {
    const name = type[0]!.toUpperCase() + type.slice(1);
    throw cantParse(`Can't find end of ${name} entity at byte offset ${byteOffset(raw, where.at)}`);
  }
  if (link) throw cantParse("Can't find end of a TextUrl entity");
  return { text, entities: entities.sort((a, b) => a.offset - b.offset || b.length - a.length) };
}

/** Legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url); no escaping rules, unclosed markers fail. */
function parseLegacyMarkdown(raw: string): Formatted {
  let text = '';
  const entities: Entity[] = [];
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i]!;
    const marker = raw.startsWith('```', i) ? '```' : ch === '*' || ch === '_' || ch === '`' ? ch : undefined;
    if (marker) {
      const end = raw.indexOf(marker, i + marker.length);
      if (end === -1) throw cantParse(`Can't find end of the entity starting at byte offset ${byteOffset(raw, i)}`);
      const body = raw.slice(i + marker.length, end);
      const type = marker === '*' ? 'bold' : marker === '_' ? 'italic' : marker === '`' ? 'code' : 'pre';
      entities.push({ type, offset: text.length, length: body.length });
      text += body;
      i = end + marker.length;
      continue;
    }
    const link = ch === '[' ? /^\[([^\]]*)\]\(([^)]*)\)/.exec(raw.slice(i)) : null;
    if (link) {
      entities.push({ type: 'text_link', offset: text.length, length: link[1]!.length, url: link[2]! });
      text += link[1]!;
      i += link[0].length;
      continue;
    }
    text += ch;
    i += 1;
  }
  return { text, entities };
}

/** bot_command entities, as a Telegram client adds them to a user's message (`/cmd` or `/cmd@bot` at a word start). */
export function commandEntities(text: string): Entity[] {
  const out: Entity[] = [];
  for (const m of text.matchAll(/(^|\s)(\/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]+)?)/g)) {
    out.push({ type: 'bot_command', offset: m.index + m[1]!.length, length: m[2]!.length });
  }
  return out;
}
