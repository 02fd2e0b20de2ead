/**
 * A signal-channel post, forwarded or pasted (SPEC §9), read into a signal draft. Pure: text in,
 * a draft or the reasons it is refused out; it never throws.
 *
 * Formats read: the pair with `/`, `-`, `_` or none (BTC/USDT, BTCUSDT, BTCUSDT.P), a cashtag or
 * hashtag ($BTC, #BTC: quoted in USDT); the side in words (long, short, buy, sell) or emoji
 * (🟢 📈 🚀 long, 🔴 📉 🔻 short); entry or entry zone; targets on one line or many (TP1, Target 1,
 * 🎯, 1), 1.); stop loss (SL, Stop, ⛔, 🛑); leverage (10x, x10, Leverage: Cross 20x). Prices are
 * separated by `-`, `_`, `,`, `/`, spaces or lines; a comma followed by exactly three digits is
 * a thousands separator (62,500), one followed by a space separates prices.
 *
 * A draft never holds a stop on the wrong side: a long's stop below its entry (and its targets),
 * a short's above. When the numbers contradict the side the post is refused, naming why.
 */
import { normalizeSymbol } from './webhook-alert.ts';
import type { Side } from './types.ts';

export interface SignalDraft {
  /** unified pair, BASE/QUOTE */
  symbol: string;
  side: Side;
  /** the entry (low = high) or entry zone, quote per base; null: at the market price */
  entry: { low: number; high: number } | null;
  /** in the order the price reaches them (ascending for a long, descending for a short) */
  targets: number[];
  stopLoss: number | null;
  /** the post's leverage (×); null when it names none */
  leverage: number | null;
  /** what could not be read, trader-facing ("no stop loss found") */
  missing: string[];
  /** what was read but changed or left out, trader-facing */
  notes: string[];
}

export type PostParse =
  | { kind: 'draft'; draft: SignalDraft }
  /** it names a pair and a side, but its numbers contradict each other: refused with the reasons */
  | { kind: 'refused'; symbol: string | null; side: Side | null; reasons: string[] }
  /** no pair and side: not a signal post (`found` says what little was read) */
  | { kind: 'none'; symbol: string | null; side: Side | null };

/** posts longer than this are not read (a channel post is at most 4096 characters; a caption 1024) */
export const MAX_POST_CHARS = 4096;
/** a post names at most this many prices in one section before it is taken for something else */
const MAX_PRICES = 20;
const MAX_LEVERAGE = 200;

const QUOTES = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'USD', 'BTC', 'ETH', 'EUR'];
/** hashtags and cashtags that are never a coin */
const NOT_COINS = new Set([
  'LONG', 'SHORT', 'BUY', 'SELL', 'SIGNAL', 'SIGNALS', 'FUTURES', 'SPOT', 'MARGIN', 'BINANCE', 'BYBIT', 'OKX', 'BITGET', 'KRAKEN',
  'VIP', 'TP', 'SL', 'ENTRY', 'TARGET', 'TARGETS', 'LEVERAGE', 'CROSS', 'ISOLATED', 'SCALP', 'SCALPING', 'SWING', 'CRYPTO', 'FREE',
  'PREMIUM', 'UPDATE', 'ALERT', 'NEW', 'TRADE', 'USDT', 'USD', 'PUMP', 'BREAKOUT', 'STOP', 'STOPLOSS', 'PROFIT', 'DCA', 'MID', 'HIGH', 'LOW',
  'RISK', 'CLOSE', 'NOTE', 'X', 'PERP', 'ALTCOIN', 'ALTCOINS', 'ALTS', 'BULLISH', 'BEARISH', 'TA', 'CHART',
]);

const LONG_EMOJI = ['🟢', '📈', '🚀', '⬆️', '⬆', '🔼', '↗️', '↗', '🐂', '✳️'];
const SHORT_EMOJI = ['🔴', '📉', '🔻', '⬇️', '⬇', '🔽', '↘️', '↘', '🐻'];

type Section = 'entry' | 'targets' | 'stop' | 'leverage' | null;

export function parsePost(input: string): PostParse {
  try {
    return read(typeof input === 'string' ? input : '');
  } catch (error) {
    // a parser bug must not take the chat down: the post is refused and the trader told
    return { kind: 'refused', symbol: null, side: null, reasons: [`the post could not be read (${error instanceof Error ? error.message : String(error)})`] };
  }
}

function read(raw: string): PostParse {
  if (raw.length > MAX_POST_CHARS) return { kind: 'none', symbol: null, side: null };
  // keycap digits (1️⃣) are enumerators; bold/monospace letters are not normalised by Telegram, NFKC does
  const text = raw.normalize('NFKC').replace(/[\u200B-\u200D\uFEFF]/g, '').replace(/(\d)\uFE0F?\u20E3/g, '$1)');
  const pair = findPair(text);
  const side = findSide(text);
  if (pair.kind === 'ambiguous') return { kind: 'refused', symbol: null, side: side === 'both' ? null : side, reasons: [`it names more than one pair (${pair.symbols.join(', ')}): send one post per signal`] };
  if (side === 'both') return { kind: 'refused', symbol: pair.symbol, side: null, reasons: ['it says both long and short: I cannot tell the side'] };
  if (pair.symbol === null || side === null) return { kind: 'none', symbol: pair.symbol, side };

  const sections = readSections(text, side);
  const missing: string[] = [];
  const notes: string[] = [];
  const reasons: string[] = [];

  let entry: SignalDraft['entry'] = null;
  if (sections.entry.length > 0) {
    const low = Math.min(...sections.entry);
    const high = Math.max(...sections.entry);
    entry = { low, high };
    if (sections.entry.length > 2) notes.push(`${sections.entry.length} entry prices read: taken as the zone ${low}–${high}`);
  } else if (!sections.marketEntry) missing.push('no entry price found: it enters at the market price');

  let stopLoss: number | null = null;
  if (sections.stop.length > 0) {
    stopLoss = sections.stop[0]!;
    if (sections.stop.length > 1) notes.push(`${sections.stop.length} stop prices read: the first, ${stopLoss}, is used`);
  } else missing.push('no stop loss found: your settings set it');

  let targets = [...new Set(sections.targets)];
  if (targets.length === 0) missing.push('no targets found: your settings set the take profit');
  const sorted = [...targets].sort((a, b) => (side === 'long' ? a - b : b - a));
  if (sorted.some((t, i) => t !== targets[i])) notes.push(`targets put in the order the price reaches them: ${sorted.join(', ')}`);
  targets = sorted;

  let leverage: number | null = null;
  if (sections.leverage.length > 0) {
    const lev = sections.leverage[0]!;
    if (lev >= 1 && lev <= MAX_LEVERAGE) leverage = lev;
    else notes.push(`leverage ${lev}× is not a leverage I can use (1–${MAX_LEVERAGE}): ignored`);
  }

  // the numbers must agree with the side: stop on the losing side, targets on the winning side
  const word = side === 'long' ? 'below' : 'above';
  const losing = (a: number, b: number) => (side === 'long' ? a < b : a > b);
  if (entry !== null) {
    const edge = side === 'long' ? entry.low : entry.high;
    const entryText = entry.low === entry.high ? `the entry ${entry.low}` : `the entry zone ${entry.low}–${entry.high}`;
    if (stopLoss !== null && !losing(stopLoss, edge)) reasons.push(`the stop ${stopLoss} is not ${word} ${entryText}: a ${side}'s stop must be ${word} its entry`);
    const far = side === 'long' ? entry.high : entry.low;
    const wrong = targets.filter((t) => !losing(far, t));
    if (wrong.length > 0) reasons.push(`target${wrong.length > 1 ? 's' : ''} ${wrong.join(', ')} ${wrong.length > 1 ? 'are' : 'is'} not ${side === 'long' ? 'above' : 'below'} ${entryText}: a ${side}'s targets must be ${side === 'long' ? 'above' : 'below'} its entry`);
  }
  if (stopLoss !== null && targets.length > 0 && reasons.length === 0) {
    const wrong = targets.filter((t) => !losing(stopLoss!, t));
    if (wrong.length > 0) reasons.push(`the stop ${stopLoss} is not ${word} target${wrong.length > 1 ? 's' : ''} ${wrong.join(', ')}: a ${side}'s stop must be ${word} its targets`);
  }
  if (reasons.length > 0) return { kind: 'refused', symbol: pair.symbol, side, reasons };
  return { kind: 'draft', draft: { symbol: pair.symbol, side, entry, targets, stopLoss, leverage, missing, notes } };
}

// ---------------------------------------------------------------------------------------------
// pair

type PairFind = { kind: 'one'; symbol: string | null } | { kind: 'ambiguous'; symbols: string[] };

function findPair(text: string): PairFind {
  const quotes = QUOTES.join('|');
  const explicit: string[] = [];
  // BTC/USDT, BTC-USDT, BTC_USDT, BINANCE:BTCUSDT, BTCUSDT, BTCUSDT.P, #BTCUSDT, $BTC/USDT
  const separated = new RegExp(`(?<![A-Za-z0-9])[#$]?([A-Za-z0-9]{1,15})\\s?[/_-]\\s?(${quotes})(?:\\.P|PERP)?(?![A-Za-z0-9])`, 'gi');
  for (const m of text.matchAll(separated)) add(explicit, `${m[1]}/${m[2]}`);
  const joined = new RegExp(`(?<![A-Za-z0-9/_-])[#$]?([A-Za-z0-9]{1,15}?)(USDT|USDC|BUSD|FDUSD|TUSD|USD)(?:\\.P|PERP)?(?![A-Za-z0-9])`, 'gi');
  for (const m of text.matchAll(joined)) add(explicit, `${m[1]}/${m[2]}`);
  if (explicit.length > 1) return { kind: 'ambiguous', symbols: explicit };
  if (explicit.length === 1) return { kind: 'one', symbol: explicit[0]! };
  // $BTC, #BTC, or a "Coin: BTC" / "Pair: BTC" line: quoted in USDT
  const tags: string[] = [];
  for (const m of text.matchAll(/(?<![A-Za-z0-9])[#$]([A-Za-z][A-Za-z0-9]{0,14}|[0-9]{1,4}[A-Za-z][A-Za-z0-9]{0,10})(?![A-Za-z0-9])/g)) add(tags, `${m[1]}/USDT`);
  for (const m of text.matchAll(/\b(?:coin|pair|symbol|asset|token)\s*[:=-]\s*([A-Za-z][A-Za-z0-9]{0,14})\b/gi)) add(tags, `${m[1]}/USDT`);
  if (tags.length > 1) return { kind: 'ambiguous', symbols: tags };
  return { kind: 'one', symbol: tags[0] ?? null };
}

function add(list: string[], candidate: string): void {
  const symbol = normalizeSymbol(candidate);
  if (symbol === null) return;
  const [base, quote] = symbol.split('/') as [string, string];
  if (NOT_COINS.has(base) || /^\d+$/.test(base) || base === quote) return;
  if (!list.includes(symbol)) list.push(symbol);
}

// ---------------------------------------------------------------------------------------------
// side

function findSide(text: string): Side | 'both' | null {
  const lower = text.toLowerCase();
  const long = /(?<![a-z])(long|longs)(?![a-z])/.test(lower);
  const short = /(?<![a-z])(short|shorts)(?![a-z])/.test(lower);
  if (long && short) return 'both';
  if (long) return 'long';
  if (short) return 'short';
  // buy / sell: the first one named (a spot post says "Buy … Sell targets")
  const buy = /(?<![a-z])buy(?![a-z])/.exec(lower);
  const sell = /(?<![a-z])sell(?![a-z])/.exec(lower);
  if (buy && (!sell || buy.index < sell.index)) return 'long';
  if (sell) return 'short';
  const up = LONG_EMOJI.some((e) => text.includes(e));
  const down = SHORT_EMOJI.some((e) => text.includes(e));
  if (up && down) return 'both';
  if (up) return 'long';
  if (down) return 'short';
  return null;
}

// ---------------------------------------------------------------------------------------------
// sections: every price belongs to the label before it

interface Sections {
  entry: number[];
  targets: number[];
  stop: number[];
  leverage: number[];
  /** "Entry: market", "CMP": no entry price, and none is missing */
  marketEntry: boolean;
}

/** labels, longest first so "take profit" wins over "profit"; side words are handled apart */
const LABELS: Array<[RegExp, Exclude<Section, null>]> = [
  [/^(?:stop[\s-]*loss|stoploss|stop\s*targets?|stop|sl|invalidation|⛔️?|🛑|🚫)/u, 'stop'],
  [/^(?:entry\s*targets?|entry\s*zone|entry\s*price|entries|entry|enter|buy\s*zone|buy\s*range|accumulation\s*zone|accumulate|open(?:ing)?\s*price)/u, 'entry'],
  [/^(?:take[\s-]*profits?(?:\s*targets?)?|targets?|tp\d{0,2}|tps|t\d{1,2}(?![a-z])|profit\s*targets?|🎯)/u, 'targets'],
  [/^(?:leverage|lev)/u, 'leverage'],
];

function readSections(text: string, side: Side): Sections {
  const out: Sections = { entry: [], targets: [], stop: [], leverage: [], marketEntry: false };
  let section: Section = null;
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.trim();
    if (line === '') continue;
    // a line that starts with words other than a label ends the previous section; one that starts
    // with a number, an enumerator or a symbol continues it (targets one per line)
    const lowerLine = line.toLowerCase();
    const bare = lowerLine.replace(/^[^\p{L}\d]+/u, '');
    if (labelAt(lowerLine, side) === null && labelAt(bare, side) === null && /^\p{L}/u.test(bare)) section = null;
    // leverage written next to its x: 10x, x10, 20X, "Cross 20x"
    line = line.replace(/(?<![\p{L}\d.])(?:x\s?(\d{1,4}(?:\.\d+)?)|(\d{1,4}(?:\.\d+)?)\s?x)(?![\p{L}\d])/giu, (_m, a: string | undefined, b: string | undefined) => {
      out.leverage.push(Number(a ?? b));
      return ' ';
    });
    // percentages and times are never prices
    line = line.replace(/[+-]?\d+(?:[.,]\d+)?\s?%/g, ' ').replace(/\b\d{1,2}:\d{2}\b/g, ' ');
    const lower = line.toLowerCase();
    let i = 0;
    while (i < lower.length) {
      const rest = lower.slice(i);
      const prev = i === 0 ? '' : lower[i - 1]!;
      const label = /[\p{L}\d]/u.test(prev) ? null : labelAt(rest, side);
      if (label !== null) {
        section = label.section;
        i += label.length;
        // the index of a numbered label (TP1 is read whole; Target 2, T3, "Target 1:") is no price
        const idx = /^\s*\d{1,2}(?![\d.,])\s*[).:\-–]?/.exec(lower.slice(i));
        if (idx && label.section === 'targets') i += idx[0].length;
        continue;
      }
      if (section === 'entry' && /^(?:market|cmp|now|current\s*price)(?![a-z])/.test(rest)) {
        out.marketEntry = true;
        i += 3;
        continue;
      }
      // an enumerator: "1) 63000", "2. 64000", "3: 65000"; at a line's start in targets, "3 - 65000"
      const en = /^\(?\d{1,2}(?:\)|[.:]\s+(?=\d))/.exec(rest) ?? (i === 0 && section === 'targets' ? /^\d{1,2}\s*[-–]\s+(?=\d)/.exec(rest) : null);
      if (en && !/[\d.]/.test(prev)) {
        i += en[0].length;
        continue;
      }
      const num = /^\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|^\d+(?:\.\d+)?|^\.\d+/.exec(rest);
      if (num) {
        i += num[0].length;
        const after = rest[num[0].length];
        // a number glued to letters (4h, 3rd, 1000PEPE, TP1 when no label matched) is no price
        if ((after !== undefined && /\p{L}/u.test(after)) || /\p{L}/u.test(prev)) continue;
        const value = Number(num[0].replace(/,/g, ''));
        if (section === null || !Number.isFinite(value) || !(value > 0)) continue;
        const list = out[section];
        if (list.length < MAX_PRICES) list.push(value);
        continue;
      }
      i++;
    }
  }
  return out;
}

/** the label at the start of `s` (lower case), if any; the side's own word opens the entry, the other side's word the targets */
function labelAt(s: string, side: Side): { section: Exclude<Section, null>; length: number } | null {
  for (const [re, section] of LABELS) {
    const m = re.exec(s);
    if (m && !/^\p{L}/u.test(s.slice(m[0].length))) return { section, length: m[0].length };
  }
  const word = /^(long|short|buy|sell)(?![a-z])/.exec(s);
  if (word) {
    const own = side === 'long' ? ['long', 'buy'] : ['short', 'sell'];
    return { section: own.includes(word[1]!) ? 'entry' : 'targets', length: word[0].length };
  }
  return null;
}

/** percent: an entry (zone) further than this from the market price is refused (SPEC §9 "far from the market") */
export const MAX_ENTRY_DISTANCE_PCT = 5;

/**
 * A draft against the market price it would enter at (SPEC §9): refused when the market is past
 * its stop, past its last target, or further than MAX_ENTRY_DISTANCE_PCT from its entry (zone).
 * Trader-facing reasons; empty when the draft can be traded at `price`.
 */
export function draftAgainstMarket(draft: Pick<SignalDraft, 'side' | 'entry' | 'targets' | 'stopLoss'>, price: number): string[] {
  if (!(Number.isFinite(price) && price > 0)) return ['there is no market price for it now'];
  const reasons: string[] = [];
  const long = draft.side === 'long';
  if (draft.stopLoss !== null && (long ? price <= draft.stopLoss : price >= draft.stopLoss)) {
    reasons.push(`the market price ${price} is already ${long ? 'at or below' : 'at or above'} the stop ${draft.stopLoss}`);
  }
  const last = draft.targets[draft.targets.length - 1];
  if (last !== undefined && (long ? price >= last : price <= last)) reasons.push(`the market price ${price} is already past the last target ${last}`);
  if (draft.entry !== null) {
    const { low, high } = draft.entry;
    const gap = price < low ? (low - price) / low : price > high ? (price - high) / high : 0;
    if (gap * 100 > MAX_ENTRY_DISTANCE_PCT) {
      const zone = low === high ? `the entry ${low}` : `the entry zone ${low}–${high}`;
      reasons.push(`the market price ${price} is ${(gap * 100).toFixed(1)} % from ${zone} (more than ${MAX_ENTRY_DISTANCE_PCT} %)`);
    }
  }
  return reasons;
}
