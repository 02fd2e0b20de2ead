/**
 * The one reading of a typed number, for settings, prices and take-profit levels. Pure.
 * - one number per message: a line break or a second number is refused with the reason;
 * - `1,5` and `1.5` are the same number;
 * - thousands only in a form that cannot be a decimal: `1 000`, `1_000` (also with a decimal part,
 *   `1 000,5`); `1,000` or `1.000` is asked back ("did you mean 1000 or 1.0?");
 * - an optional unit the caller allows (`%`, `x`, `USDT` …) after the number.
 * Reasons are plain text quoting the input briefly; the caller adds the unit and range.
 */
import { shownInput } from './format/telegram-text.ts';

export type NumberRead = { ok: true; value: number } | { ok: false; reason: string };

const LINE_BREAK = /[\r\n\u2028\u2029\u0085]/;
/** a separator inside a number: after NFKC, no-break and thin spaces are plain spaces */
const DECIMAL = /^[+-]?(\d+)(?:[.,](\d*))?$|^[+-]?[.,](\d+)$/;
const GROUPED = /^[+-]?[1-9]\d{0,2}(?:([ _])\d{3})(?:\1\d{3})*(?:[.,]\d+)?$/;
/** one to three digits (not a lone 0), a separator, exactly three digits: a decimal or thousands */
const AMBIGUOUS = /^([+-]?)([1-9]\d{0,2})([.,])(\d{3})$/;
const COMMA_GROUPED = /^[+-]?[1-9]\d{0,2}(?:[.,]\d{3})+(?:[.,]\d+)?$/;
const ONE_NUMBER = /^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$/;

function quoted(raw: string): string {
  return `"${shownInput(raw)}"`;
}

/** 1 → "1.0", 2.5 → "2.5": a decimal reading shown as one */
function asDecimal(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

export function readNumber(raw: string, units: readonly string[] = []): NumberRead {
  if (LINE_BREAK.test(raw.trim())) return { ok: false, reason: `Send one number per message: ${quoted(raw)} has a line break.` };
  let s = raw.normalize('NFKC').replace(/\u2212/g, '-').trim();
  const unit = [...units].sort((a, b) => b.length - a.length).find((u) => s.toLowerCase().endsWith(u.toLowerCase()));
  if (unit) s = s.slice(0, s.length - unit.length).trimEnd();
  if (/\s/.test(s) && !GROUPED.test(s)) {
    const parts = s.split(/\s+/);
    if (parts.length > 1 && parts.every((p) => ONE_NUMBER.test(p))) {
      const listed = parts.length === 2 ? `${parts[0]} and ${parts[1]}` : `${parts.length} numbers`;
      return { ok: false, reason: `Send a single number: I read ${listed} in ${quoted(raw)}. Write thousands as 1 000 (groups of three digits).` };
    }
  }
  const ambiguous = AMBIGUOUS.exec(s);
  if (ambiguous) {
    const [, sign, head, , tail] = ambiguous;
    const thousands = Number(`${sign}${head}${tail}`);
    const decimal = Number(`${sign}${head}.${tail}`);
    return { ok: false, reason: `${quoted(raw)} can be read two ways: did you mean ${thousands} or ${asDecimal(decimal)}? Send ${thousands} or ${asDecimal(decimal)}.` };
  }
  let normal: string | undefined;
  if (GROUPED.test(s)) normal = s.replace(/[ _]/g, '').replace(',', '.');
  else if (DECIMAL.test(s)) normal = s.replace(',', '.');
  else if (COMMA_GROUPED.test(s)) {
    return { ok: false, reason: `${quoted(raw)}: write thousands with a space or _ (like 1 000 000) and at most one decimal point or comma.` };
  }
  if (normal === undefined) return { ok: false, reason: `${quoted(raw)} is not a number.` };
  const value = Number(normal.endsWith('.') ? normal.slice(0, -1) : normal);
  if (!Number.isFinite(value)) return { ok: false, reason: `${quoted(raw)} is not a number.` };
  return { ok: true, value: Object.is(value, -0) ? 0 : value };
}
