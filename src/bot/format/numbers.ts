/** Number and text formatting for messages. Pure; HTML parse mode. */

import { escapeHtml } from './telegram-text.ts';

export { escapeHtml };

const group = (digits: number) => new Intl.NumberFormat('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits, useGrouping: true });

/** A price at a precision that suits its size: 101 234.5 → "101,234.5"; 0.00012345 → "0.00012345". */
export function fmtPrice(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  const a = Math.abs(p);
  if (a >= 1000) return group(2).format(p);
  if (a >= 1) return group(4).format(p);
  return Number(p.toPrecision(6)).toString();
}

/** Base-currency quantity, up to 8 decimals, trailing zeros dropped. */
export function fmtQty(q: number): string {
  return group(8).format(q);
}

const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: true });

/** Quote money with sign: +12.34 / −5.00. */
export function fmtMoney(v: number, currency = 'USDT', signed = true): string {
  const fixed = MONEY.format(Math.abs(v));
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
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
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
