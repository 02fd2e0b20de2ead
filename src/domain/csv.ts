import type { Signal } from './signals.ts';
import type { Candle, Result, SignalAction } from './types.ts';

/**
 * CSV readers for the backtest (SPEC §8) and the exchange layer's replay feed.
 * Hand-rolled scanning (indexOf over the text, no per-line split) because a million-candle
 * file must parse in about the time of a bare split-and-Number pass.
 * Every error names the file, the 1-based line and the 1-based character column.
 */

export class CsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
    this.name = 'CsvError';
  }
}

export const CANDLE_COLUMNS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;
export const SIGNAL_COLUMNS = ['created_at', 'symbol', 'action', 'confidence', 'source', 'stop_loss', 'take_profit'] as const;

interface Header {
  /** column index of each required name */
  index: number[];
  /** number of columns in the header */
  width: number;
  /** offset of the first data line */
  bodyStart: number;
}

function readHeader(text: string, file: string, required: readonly string[]): Header {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  let line = text.slice(start, end);
  if (line.endsWith('\r')) line = line.slice(0, -1);
  const names = line.split(',').map((n) => n.trim().toLowerCase());
  const index = required.map((name) => names.indexOf(name));
  const missing = required.filter((_, i) => index[i] === -1);
  if (line.trim() === '') throw new CsvError(file, 1, 1, `empty file: expected the header ${required.join(',')}`);
  if (missing.length > 0) {
    throw new CsvError(file, 1, 1, `header lacks ${missing.join(', ')} (expected ${required.join(',')})`);
  }
  start = end + 1;
  return { index, width: names.length, bodyStart: start };
}

/** ms since epoch from digits, or from an ISO 8601 date; NaN if neither. */
export function parseTime(field: string): number {
  if (/^\d+$/.test(field)) return Number(field);
  if (!/^\d{4}-\d{2}-\d{2}/.test(field)) return NaN;
  return Date.parse(field);
}

/**
 * Candles CSV: header `timestamp,open,high,low,close,volume` (any column order); timestamp in ms
 * since epoch or ISO 8601. Rows must be strictly ascending in time, prices positive, and
 * low ≤ open, close ≤ high. Blank lines are skipped.
 */
export function parseCandlesCsv(text: string, fileName: string): Result<Candle[], CsvError> {
  try {
    return { ok: true, value: readCandles(text, fileName) };
  } catch (e) {
    if (e instanceof CsvError) return { ok: false, error: e };
    throw e;
  }
}

function readCandles(text: string, file: string): Candle[] {
  const h = readHeader(text, file, CANDLE_COLUMNS);
  const [it, io, ih, il, ic, iv] = h.index as [number, number, number, number, number, number];
  const out: Candle[] = [];
  const width = h.width;
  // field values of the current line, by column; NaN marks an unparsable field
  const values = new Float64Array(width);
  const starts = new Int32Array(width + 1);
  let pos = h.bodyStart;
  let lineNo = 1;
  let prevTime = -Infinity;
  const len = text.length;
  while (pos < len) {
    lineNo++;
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    if (end === pos) {
      pos = nl + 1;
      continue;
    }
    let n = 0;
    let a = pos;
    while (n < width) {
      let b = text.indexOf(',', a);
      if (b < 0 || b > end) b = end;
      starts[n] = a;
      // Number('') is 0: an empty field must be an error, hence the explicit check
      values[n] = b > a ? Number(text.slice(a, b)) : NaN;
      n++;
      a = b + 1;
      if (b >= end) break;
    }
    if (n !== width || a <= end) {
      const found = n + (a <= end ? text.slice(a, end).split(',').length : 0);
      throw new CsvError(file, lineNo, 1, `expected ${width} fields, found ${found}`);
    }
    starts[width] = end + 1;
    let time = values[it] as number;
    if (!Number.isFinite(time)) {
      time = parseTime(fieldText(text, starts, it));
      if (!Number.isFinite(time) || fieldText(text, starts, it) === '') {
        throw new CsvError(file, lineNo, (starts[it] as number) - pos + 1, `timestamp "${fieldText(text, starts, it)}" is neither ms since epoch nor ISO 8601`);
      }
    }
    if (time <= prevTime) {
      throw new CsvError(file, lineNo, (starts[it] as number) - pos + 1, `timestamp ${fieldText(text, starts, it)} is not after the previous row`);
    }
    const open = values[io] as number;
    const high = values[ih] as number;
    const low = values[il] as number;
    const close = values[ic] as number;
    const volume = values[iv] as number;
    // NaN fails every comparison below, so one finiteness test per row is enough on the fast path
    if (!(Number.isFinite(open) && Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close) && Number.isFinite(volume))) {
      for (const [i, name] of [[io, 'open'], [ih, 'high'], [il, 'low'], [ic, 'close'], [iv, 'volume']] as const) {
        if (!Number.isFinite(values[i])) {
          throw new CsvError(file, lineNo, (starts[i] as number) - pos + 1, `${name} "${fieldText(text, starts, i)}" is not a number`);
        }
      }
    }
    if (!(low > 0)) throw new CsvError(file, lineNo, (starts[il] as number) - pos + 1, `low ${low} must be positive`);
    if (high < open || high < close || high < low) {
      throw new CsvError(file, lineNo, (starts[ih] as number) - pos + 1, `high ${high} is below open, close or low`);
    }
    if (low > open || low > close) throw new CsvError(file, lineNo, (starts[il] as number) - pos + 1, `low ${low} is above open or close`);
    out.push({ time, open, high, low, close, volume });
    prevTime = time;
    pos = nl + 1;
  }
  return out;
}

/** 10^k for the decimal fast path (exact doubles up to 10^22) */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** digits a mantissa may have and stay below 2^53, where m / 10^k is Number()'s exact answer */
const MAX_DIGITS = 15;

/**
 * parseCandlesCsv over the file's UTF-8 bytes, without decoding them to a string first (the
 * backtest CLI's million-candle files: decoding and slicing cost as much as the parse). The fast
 * path takes plain rows only: ms timestamps and unsigned decimals of at most 15 digits, which it
 * reads as mantissa / 10^k, the same double Number() gives (both exact, one correctly rounded
 * division). Anything else (ISO times, exponents, a bad or out-of-order row) sends the whole file
 * through parseCandlesCsv, which reads it or names the error.
 */
export function parseCandlesBytes(bytes: Uint8Array, fileName: string): Result<Candle[], CsvError> {
  const fast = readPlainCandles(bytes);
  return fast !== null ? { ok: true, value: fast } : parseCandlesCsv(new TextDecoder().decode(bytes), fileName);
}

function readPlainCandles(bytes: Uint8Array): Candle[] | null {
  const headerEnd = bytes.indexOf(10);
  if (headerEnd < 0) return null;
  let h: Header;
  try {
    h = readHeader(`${new TextDecoder().decode(bytes.subarray(0, headerEnd))}\n`, '', CANDLE_COLUMNS);
  } catch {
    return null;
  }
  const [it, io, ih, il, ic, iv] = h.index as [number, number, number, number, number, number];
  const width = h.width;
  const values = new Float64Array(width);
  const out: Candle[] = [];
  let prevTime = -Infinity;
  const len = bytes.length;
  let pos = headerEnd + 1;
  while (pos < len) {
    let c = bytes[pos] as number;
    if (c === 10 || c === 13) {
      // a blank line (or the CR of one)
      pos++;
      continue;
    }
    for (let n = 0; n < width; n++) {
      let m = 0;
      let digits = 0;
      let scale = -1;
      for (; pos < len; pos++) {
        c = bytes[pos] as number;
        if (c >= 48 && c <= 57) {
          m = m * 10 + (c - 48);
          digits++;
          if (scale >= 0) scale++;
        } else if (c === 46 && scale < 0) scale = 0;
        else break;
      }
      if (digits === 0 || digits > MAX_DIGITS) return null;
      values[n] = scale > 0 ? m / (POW10[scale] as number) : m;
      const last = n === width - 1;
      if (last) {
        if (pos < len && c === 13) pos++;
        if (pos < len && bytes[pos] !== 10) return null;
      } else if (pos >= len || c !== 44) return null;
      pos++;
    }
    const time = values[it] as number;
    const open = values[io] as number;
    const high = values[ih] as number;
    const low = values[il] as number;
    const close = values[ic] as number;
    if (time <= prevTime || !(low > 0) || high < open || high < close || high < low || low > open || low > close) return null;
    out.push({ time, open, high, low, close, volume: values[iv] as number });
    prevTime = time;
  }
  return out;
}

/** Text of field i of the current line (starts[i + 1] − 1 is the field's end). */
function fieldText(text: string, starts: Int32Array, i: number): string {
  return text.slice(starts[i] as number, (starts[i + 1] as number) - 1);
}

/** A signal row of the backtest's signals CSV. */
export interface SignalRow extends Signal {
  /** 1-based line in its file, for messages */
  line: number;
  /** 1-based column of the symbol field */
  symbolColumn: number;
}

const ACTIONS: readonly SignalAction[] = ['BUY', 'SELL', 'HOLD'];

/**
 * Signals CSV: header `created_at,symbol,action,confidence,source,stop_loss,take_profit` (any
 * order, extra columns ignored); empty stop_loss / take_profit allowed; an optional `expires_at`
 * column (ms or ISO 8601, may be empty) as the table's. Ids are `line-N`.
 */
export function parseSignalsCsv(text: string, fileName: string): Result<SignalRow[], CsvError> {
  try {
    return { ok: true, value: readSignals(text, fileName) };
  } catch (e) {
    if (e instanceof CsvError) return { ok: false, error: e };
    throw e;
  }
}

function readSignals(text: string, file: string): SignalRow[] {
  const h = readHeader(text, file, SIGNAL_COLUMNS);
  const [ic, isym, ia, iconf, isrc, isl, itp] = h.index as [number, number, number, number, number, number, number];
  const headerLine = text.slice(text.charCodeAt(0) === 0xfeff ? 1 : 0, h.bodyStart).trim();
  const iexp = headerLine.split(',').map((n) => n.trim().toLowerCase()).indexOf('expires_at');
  const lines = text.slice(h.bodyStart).split('\n');
  const out: SignalRow[] = [];
  lines.forEach((raw, k) => {
    const lineNo = k + 2;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const fields = line.split(',');
    if (fields.length !== h.width) throw new CsvError(file, lineNo, 1, `expected ${h.width} fields, found ${fields.length}`);
    const col = (i: number) => fields.slice(0, i).reduce((s, f) => s + f.length + 1, 1);
    const f = (i: number) => (fields[i] ?? '').trim();
    const createdAt = parseTime(f(ic));
    if (!Number.isFinite(createdAt)) throw new CsvError(file, lineNo, col(ic), `created_at "${f(ic)}" is neither ms since epoch nor ISO 8601`);
    const symbol = f(isym);
    if (symbol === '') throw new CsvError(file, lineNo, col(isym), 'symbol is empty');
    const action = f(ia).toUpperCase() as SignalAction;
    if (!ACTIONS.includes(action)) throw new CsvError(file, lineNo, col(ia), `action "${f(ia)}" is not BUY, SELL or HOLD`);
    const confidence = Number(f(iconf));
    if (f(iconf) === '' || !(confidence >= 0 && confidence <= 1)) {
      throw new CsvError(file, lineNo, col(iconf), `confidence "${f(iconf)}" is not a number in 0..1`);
    }
    const source = f(isrc);
    if (source === '') throw new CsvError(file, lineNo, col(isrc), 'source is empty');
    const price = (i: number, name: string): number | null => {
      if (f(i) === '') return null;
      const v = Number(f(i));
      if (!(v > 0) || !Number.isFinite(v)) throw new CsvError(file, lineNo, col(i), `${name} "${f(i)}" is not a positive price`);
      return v;
    };
    let expiresAt: number | null = null;
    if (iexp >= 0 && f(iexp) !== '') {
      expiresAt = parseTime(f(iexp));
      if (!Number.isFinite(expiresAt)) throw new CsvError(file, lineNo, col(iexp), `expires_at "${f(iexp)}" is neither ms since epoch nor ISO 8601`);
    }
    out.push({
      id: `line-${lineNo}`,
      symbol,
      action,
      confidence,
      source,
      createdAt,
      expiresAt,
      stopLoss: price(isl, 'stop_loss'),
      takeProfit: price(itp, 'take_profit'),
      userId: null,
      line: lineNo,
      symbolColumn: col(isym),
    });
  });
  return out.sort((a, b) => a.createdAt - b.createdAt || a.line - b.line);
}
