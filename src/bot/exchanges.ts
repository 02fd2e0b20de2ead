/**
 * What the connect dialog offers: exchanges, the modes each supports here, and which credentials
 * each asks for, all read from the exchange's quirks file (the one source the adapter trades by),
 * so the chat and the adapter cannot disagree.
 */
import type { ExchangeId, MarginMode, TradingMode } from '../exchange/port.ts';
import { EXCHANGE_IDS, quirksFor } from '../exchange/quirks/index.ts';

export interface ExchangeChoice {
  id: ExchangeId;
  name: string;
  modes: readonly TradingMode[];
  needsPassphrase: boolean;
  /** the exchange tells whether a key may withdraw (then such keys are refused) */
  reportsWithdrawPermission: boolean;
}

export const EXCHANGE_CHOICES: readonly ExchangeChoice[] = EXCHANGE_IDS.map((id) => {
  const q = quirksFor(id);
  return { id, name: q.name, modes: q.modes, needsPassphrase: q.needsPassword, reportsWithdrawPermission: q.keyPermissions !== undefined };
});

/** Paper trading runs on this exchange's public prices. */
export const PAPER_PRICE_SOURCE: ExchangeId = 'binance';
export const PAPER_MODES: readonly TradingMode[] = ['spot', 'margin', 'futures'];

export const MODE_LABELS: Record<TradingMode, string> = {
  spot: 'Spot (long only, no leverage)',
  margin: 'Margin (long and short, borrowing)',
  futures: 'Futures (perpetuals, long and short)',
};

/** Margin modes an account of this exchange and mode can trade, the exchange's default first (its quirks file says). */
export function marginModesOf(exchange: ExchangeId, mode: TradingMode): readonly MarginMode[] {
  return quirksFor(exchange).marginModes(mode);
}

export const MARGIN_MODE_LABELS: Record<MarginMode, string> = {
  cross: 'Cross (the whole wallet backs every position)',
  isolated: 'Isolated (each position risks only its own margin)',
};

export function exchangeChoice(id: string): ExchangeChoice | undefined {
  return EXCHANGE_CHOICES.find((e) => e.id === id);
}

/** Invisible or look-alike characters a copy may carry, by name (code point → name). */
const NAMED: Record<number, string> = {
  0x20: 'a space',
  0x09: 'a tab',
  0x0a: 'a line break',
  0x0d: 'a line break',
  0xa0: 'a no-break space',
  0x200b: 'a zero-width space',
  0x200c: 'a zero-width non-joiner',
  0x200d: 'a zero-width joiner',
  0x200e: 'a left-to-right mark',
  0x200f: 'a right-to-left mark',
  0x2060: 'a word joiner',
  0xfeff: 'a zero-width no-break space (BOM)',
  0x202a: 'a left-to-right embedding',
  0x202b: 'a right-to-left embedding',
  0x202c: 'a pop directional formatting mark',
  0x202d: 'a left-to-right override',
  0x202e: 'a right-to-left override',
  0x2066: 'a left-to-right isolate',
  0x2067: 'a right-to-left isolate',
  0x2068: 'a first strong isolate',
  0x2069: 'a pop directional isolate',
};

const SCRIPTS: Array<[RegExp, string]> = [
  [/\p{Script=Cyrillic}/u, 'a Cyrillic letter'],
  [/\p{Script=Greek}/u, 'a Greek letter'],
  [/\p{Script=Latin}/u, 'an accented or non-English Latin letter'],
  [/\p{Script=Arabic}/u, 'an Arabic character'],
  [/\p{Script=Hebrew}/u, 'a Hebrew character'],
  [/\p{Script=Han}/u, 'a Chinese character'],
  [/\p{Extended_Pictographic}/u, 'an emoji'],
  [/\p{Nd}/u, 'a non-ASCII digit'],
  [/\p{Zs}/u, 'a special space'],
  [/[\p{Cc}\p{Cf}]/u, 'an invisible control character'],
];

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** "a Cyrillic letter 'а' (U+0430)" / "a zero-width space (U+200B)": what a trader can find and remove */
export function describeCharacter(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const named = NAMED[cp];
  if (named) return `${named} (${hex(cp)})`;
  const kind = SCRIPTS.find(([re]) => re.test(ch))?.[1] ?? 'the character';
  const visible = /[\p{L}\p{N}\p{P}\p{S}]/u.test(ch);
  return visible ? `${kind} '${ch}' (${hex(cp)})` : `${kind} (${hex(cp)})`;
}

/**
 * A plausible API key / secret / passphrase: exchanges accept printable ASCII only (no spaces);
 * the first other character is named with its position (1-based, in characters), sane length.
 */
export function credentialProblem(value: string, what: 'API key' | 'secret' | 'passphrase'): string | undefined {
  const v = value.trim();
  if (v.length === 0) return `The ${what} is empty.`;
  const chars = [...v];
  const at = chars.findIndex((c) => !/^[\x21-\x7e]$/.test(c));
  if (at >= 0) {
    return `The ${what} contains ${describeCharacter(chars[at]!)} at position ${at + 1}: exchanges accept only printable ASCII (Latin letters, digits and symbols, no spaces or line breaks). Copy it again from the exchange.`;
  }
  const min = what === 'passphrase' ? 1 : 8;
  if (chars.length < min) return `That is too short for a ${what} (at least ${min} characters).`;
  if (chars.length > 512) return `That is too long for a ${what} (at most 512 characters).`;
  return undefined;
}
