/**
 * `/signal PAIR buy|sell [sl P] [tp P …] [entry P]` (SPEC §9) read into the same draft a channel
 * post becomes. Pure; a bad word is named, never guessed.
 */
import type { SignalDraft } from './channel-post.ts';
import { normalizeSymbol } from './webhook-alert.ts';

export const SIGNAL_USAGE = 'Usage: /signal PAIR buy|sell [sl PRICE] [tp PRICE …] — for example /signal BTC/USDT buy sl 62000 tp 66000 68000 70000';

export type ManualParse = { ok: true; draft: SignalDraft } | { ok: false; error: string };

const SIDES: Record<string, 'long' | 'short'> = { buy: 'long', long: 'long', sell: 'short', short: 'short' };

export function parseSignalCommand(args: string): ManualParse {
  const words = args.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length < 2) return { ok: false, error: SIGNAL_USAGE };
  const symbol = normalizeSymbol(words[0]!.replace(/^[#$]/, ''));
  if (symbol === null) return { ok: false, error: `"${clip(words[0]!)}" is not a pair like BTC/USDT or BTCUSDT. ${SIGNAL_USAGE}` };
  const side = SIDES[words[1]!.toLowerCase()];
  if (!side) return { ok: false, error: `"${clip(words[1]!)}" is not buy or sell. ${SIGNAL_USAGE}` };
  let stopLoss: number | null = null;
  let entry: number | null = null;
  const targets: number[] = [];
  let key: 'sl' | 'tp' | 'entry' | null = null;
  for (const w of words.slice(2)) {
    const lower = w.toLowerCase();
    if (lower === 'sl' || lower === 'stop' || lower === 'tp' || lower === 'entry') {
      key = lower === 'stop' ? 'sl' : lower;
      continue;
    }
    const n = Number(w.replace(/,/g, ''));
    if (!(Number.isFinite(n) && n > 0)) return { ok: false, error: `"${clip(w)}" is not a price (or sl, tp). ${SIGNAL_USAGE}` };
    if (key === null) return { ok: false, error: `${w}: say what it is first, sl ${w} or tp ${w}. ${SIGNAL_USAGE}` };
    if (key === 'sl') {
      if (stopLoss !== null) return { ok: false, error: 'one stop loss only' };
      stopLoss = n;
    } else if (key === 'entry') {
      if (entry !== null) return { ok: false, error: 'one entry price only' };
      entry = n;
    } else targets.push(n);
  }
  const sorted = [...new Set(targets)].sort((a, b) => (side === 'long' ? a - b : b - a));
  const word = side === 'long' ? 'below' : 'above';
  const beyond = (a: number, b: number) => (side === 'long' ? a < b : a > b);
  if (stopLoss !== null && entry !== null && !beyond(stopLoss, entry)) return { ok: false, error: `the stop ${stopLoss} is not ${word} the entry ${entry}: a ${side}'s stop must be ${word} its entry` };
  const wrong = stopLoss === null ? [] : sorted.filter((t) => !beyond(stopLoss!, t));
  if (wrong.length > 0) return { ok: false, error: `the stop ${stopLoss} is not ${word} target${wrong.length > 1 ? 's' : ''} ${wrong.join(', ')}: a ${side}'s stop must be ${word} its targets` };
  const missing = [...(stopLoss === null ? ['no stop loss given: your settings set it'] : []), ...(sorted.length === 0 ? ['no take profit given: your settings set it'] : [])];
  return {
    ok: true,
    draft: { symbol, side, entry: entry === null ? null : { low: entry, high: entry }, targets: sorted, stopLoss, leverage: null, missing, notes: [] },
  };
}

function clip(s: string): string {
  return s.length > 24 ? `${s.slice(0, 24)}…` : s;
}
