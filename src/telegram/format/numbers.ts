/** Number and text formatting for messages. Pure; HTML parse mode. */

import { escapeHtml } from './telegram-text.ts';
import { decimalsOf } from '../../domain/step-decimals.ts';

export { decimalsOf };

export { escapeHtml };

/** one formatter per decimal count: building an Intl.NumberFormat costs far more than formatting with it */
const GROUPED = new Map<number, Intl.NumberFormat>();
function group(digits: number): Intl.NumberFormat {
  let f = GROUPED.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits, useGrouping: true });
    GROUPED.set(digits, f);
  }
  return f;
}

/**
 * A price at the market's tick when it is known (tick 0.01: 100,749.6; tick 0.1: 100,749.6),
 * else at a precision that suits its size: 101 234.5 → "101,234.5"; 0.00012345 → "0.00012345".
 */
export function fmtPrice(p: number | null | undefined, tick?: number | null): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  if (tick) return group(decimalsOf(tick)).format(p);
  const a = Math.abs(p);
  if (a >= 1000) return group(2).format(p);
  if (a >= 1) return group(4).format(p);
  return Number(p.toPrecision(6)).toString();
}

/** Base-currency quantity at the market's step when known (step 0.00001: 0.00999), else up to 8 decimals; trailing zeros dropped. */
export function fmtQty(q: number, step?: number | null): string {
  return group(step ? decimalsOf(step) : 8).format(q);
}

const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: true });

/** currencies counted in cents; any other quote (BTC, ETH) keeps up to 8 decimals */
const CENTS = new Set(['USDT', 'USDC', 'USD', 'FDUSD', 'BUSD', 'TUSD', 'DAI', 'EUR', 'GBP', 'USDE']);

/** Quote money with sign: +12.34 USDT / −5.00 USD / +0.00012 BTC. */
export function fmtMoney(v: number, currency = 'USDT', signed = true): string {
  const fixed = currency.split(/\s*\+\s*/).every((c) => CENTS.has(c.toUpperCase())) ? MONEY.format(Math.abs(v)) : group(8).format(Math.abs(v));
  const sign = !signed ? (v < 0 ? '−' : '') : v > 0 ? '+' : v < 0 ? '−' : '';
  return `${sign}${fixed} ${escapeHtml(currency)}`;
}

/** percent value (1.5 = 1.5 %) with sign */
export function fmtPct(v: number | null | undefined, signed = true): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const sign = signed && v > 0 ? '+' : v < 0 ? '−' : '';
  return `${sign}${Math.abs(v).toFixed(2)} %`;
}

/** 3 h 25 min / 2 d 4 h / 45 s */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/** 2026-11-24 21:05 UTC */
export function fmtTime(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function quoteOf(symbol: string): string {
  const afterSlash = symbol.split('/')[1] ?? 'USDT';
  return afterSlash.split(':')[0] ?? 'USDT';
}

export function baseOf(symbol: string): string {
  return symbol.split('/')[0] ?? symbol;
}
