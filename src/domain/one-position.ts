/**
 * SPEC §3 rule 7: one position per account and symbol, the same rule for live trading, paper and
 * backtests. Given the side of the position already open on the account for the signal's symbol
 * (null when none), a valid BUY or SELL either opens, is refused, or reverses:
 * - nothing open: BUY opens a long; SELL opens a short where the account can short, else refused;
 * - the same direction open: refused ("a long of BTC/USDT is already open");
 * - the opposite direction open: the open position closes (exit reason `signal_reverse`) and the
 *   reverse position opens where the account can hold it (a long anywhere, a short on margin or
 *   futures), subject to every other check, sized on the balance after the close.
 */
import type { Mode, Side } from './types.ts';

export type PositionPlan =
  | { kind: 'open'; side: Side }
  | { kind: 'refuse'; reason: string }
  /** close the open `close` side first; then open `open` (null: nothing opens, e.g. spot SELL) */
  | { kind: 'reverse'; close: Side; open: Side | null };

export function canShort(mode: Mode): boolean {
  return mode !== 'spot';
}

export function planAgainstOpen(input: { symbol: string; action: 'BUY' | 'SELL'; mode: Mode; open: Side | null }): PositionPlan {
  const wanted: Side = input.action === 'BUY' ? 'long' : 'short';
  if (input.open === null) {
    if (wanted === 'short' && !canShort(input.mode)) {
      return { kind: 'refuse', reason: `SELL on ${input.mode} needs an open long of ${input.symbol} to close (shorting needs margin or futures)` };
    }
    return { kind: 'open', side: wanted };
  }
  if (input.open === wanted) return { kind: 'refuse', reason: `a ${wanted} of ${input.symbol} is already open` };
  return { kind: 'reverse', close: input.open, open: wanted === 'short' && !canShort(input.mode) ? null : wanted };
}
