/**
 * Where the backstop sits and what it is called (SPEC §10): pure, shared by the engine, the
 * backtest's count of stops that would have fired, and the tests.
 */
import type { PositionState } from './types.ts';

/** fraction beyond the bot's stop where the backstop sits (0.005 = 0.5 %) */
export const BACKSTOP_BUFFER = 0.005;
/** without a stop loss: fraction of the entry price the backstop sits away */
export const BACKSTOP_DEFAULT_DISTANCE = 0.1;
/** fraction kept between the backstop and the liquidation price */
const LIQUIDATION_MARGIN = 0.005;
/** a trailing move reaches the exchange once the backstop would move by this fraction of price (0.01 = 1 %) */
export const BACKSTOP_STEP = 0.01;
/** ms: at most one move per position in this time */
export const BACKSTOP_MIN_MOVE_MS = 60_000;
/** ms between reconciliations by the sweep */
export const BACKSTOP_RECONCILE_MS = 180_000;
/** fraction of the quantity within which a backstop's size counts as equal (the exchange rounds it down to its step) */
export const QTY_TOLERANCE = 0.005;
/** fraction of the initial quantity that may remain after a full fill (step rounding) */
export const CLOSE_TOLERANCE = 1e-6;

/** The bot's own protective level: the stop loss, or the trailing stop where it is tighter. */
function botStop(s: PositionState): number | null {
  const long = s.side === 'long';
  const trailing = s.trailingActive ? s.trailingStop : null;
  if (s.stopLoss === null) return trailing;
  if (trailing === null) return s.stopLoss;
  return long ? Math.max(s.stopLoss, trailing) : Math.min(s.stopLoss, trailing);
}

/**
 * Quote per base: beyond the bot's stop by BACKSTOP_BUFFER (a long's below, a short's above), but
 * never past the liquidation price — there protection from liquidation wins.
 */
export function backstopPrice(s: PositionState): number {
  const long = s.side === 'long';
  const ref = botStop(s) ?? s.entry * (long ? 1 - BACKSTOP_DEFAULT_DISTANCE : 1 + BACKSTOP_DEFAULT_DISTANCE);
  let price = ref * (long ? 1 - BACKSTOP_BUFFER : 1 + BACKSTOP_BUFFER);
  const liq = s.liquidationPrice;
  if (liq !== undefined && liq !== null && liq > 0) {
    const limit = liq * (long ? 1 + LIQUIDATION_MARGIN : 1 - LIQUIDATION_MARGIN);
    if (long ? price < limit : price > limit) price = limit;
  }
  return price;
}

/** Deterministic, alphanumeric, 31 characters: fits every venue's client id rules. */
export function backstopClientId(positionId: string, seq: number): string {
  return `bs${positionId.replace(/-/g, '').slice(0, 26)}${seq.toString(36).padStart(3, '0')}`;
}

