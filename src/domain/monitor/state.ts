import type { ExitReason, Mode, MonitorAction, MonitorSettings, PositionState, Side } from '../types.ts';

/** Profit in percent of entry at price p: long (p − entry)/entry·100, short (entry − p)/entry·100. */
export function profitPct(state: Pick<PositionState, 'side' | 'entry'>, price: number): number {
  return state.side === 'long'
    ? ((price - state.entry) / state.entry) * 100
    : ((state.entry - price) / state.entry) * 100;
}

/** Quantities below this fraction of the initial quantity count as nothing left (float dust). */
export const DUST = 1e-12;

/** Price at which the position shows `pct` percent profit (negative pct = loss). */
export function priceAtProfit(side: Side, entry: number, pct: number): number {
  return side === 'long' ? entry * (1 + pct / 100) : entry * (1 - pct / 100);
}

/**
 * Liquidation price used by the monitor: the exchange's when known, else an estimate for
 * isolated margin: long entry·(1 − 1/leverage + mmr), short entry·(1 + 1/leverage − mmr).
 * null on spot (no liquidation).
 */
export function effectiveLiquidationPrice(
  state: Pick<PositionState, 'mode' | 'side' | 'entry' | 'leverage' | 'liquidationPrice'>,
  maintenanceMarginRate: number,
): number | null {
  if (state.mode === 'spot') return null;
  if (state.liquidationPrice != null) return state.liquidationPrice;
  const lev = Math.max(1, state.leverage);
  return state.side === 'long'
    ? state.entry * (1 - 1 / lev + maintenanceMarginRate)
    : state.entry * (1 + 1 / lev - maintenanceMarginRate);
}

/** Percent distance from price to the liquidation price, |p − L| / p · 100. */
export function liquidationDistancePct(price: number, liquidationPrice: number): number {
  return (Math.abs(price - liquidationPrice) / price) * 100;
}

export interface OpenPositionInput {
  side: Side;
  entry: number;
  qty: number;
  stopLoss: number | null;
  takeProfit: number | null;
  /** ms since epoch */
  openedAt: number;
  mode: Mode;
  /** default 1 */
  leverage?: number;
  liquidationPrice?: number | null;
}

/** A fresh monitor state for a just-filled position. */
export function openPosition(
  input: OpenPositionInput,
  settings: Pick<MonitorSettings, 'partialTpLevels'>,
): PositionState {
  return {
    side: input.side,
    entry: input.entry,
    qtyInitial: input.qty,
    qty: input.qty,
    stopLoss: input.stopLoss,
    takeProfit: input.takeProfit,
    trailingActive: false,
    peak: null,
    trailingStop: null,
    partialTaken: settings.partialTpLevels.map(() => false),
    openedAt: input.openedAt,
    leverage: input.mode === 'spot' ? 1 : (input.leverage ?? 1),
    mode: input.mode,
    liquidationPrice: input.liquidationPrice ?? null,
    lastPrice: input.entry,
    liquidationWarned: false,
    slBreachSince: null,
    tpTrailPeak: null,
    closed: false,
  };
}

/**
 * A copy of a state (a new object: states are values), lastPrice optionally replaced. Field by
 * field rather than a spread: the copy holds PositionState's fields only, whatever else the
 * source carried.
 */
export function cloneState(s: PositionState, lastPrice: number | null = s.lastPrice): PositionState {
  return {
    side: s.side,
    entry: s.entry,
    qtyInitial: s.qtyInitial,
    qty: s.qty,
    stopLoss: s.stopLoss,
    takeProfit: s.takeProfit,
    trailingActive: s.trailingActive,
    peak: s.peak,
    trailingStop: s.trailingStop,
    partialTaken: s.partialTaken,
    openedAt: s.openedAt,
    leverage: s.leverage,
    mode: s.mode,
    liquidationPrice: s.liquidationPrice ?? null,
    lastPrice,
    liquidationWarned: s.liquidationWarned,
    slBreachSince: s.slBreachSince,
    tpTrailPeak: s.tpTrailPeak,
    closed: s.closed,
  };
}

/** Closes what remains; afterwards qty is 0 and the state is closed. */
export function closeAll(
  s: PositionState,
  reason: ExitReason,
  price: number,
  time: number,
  actions: MonitorAction[],
): void {
  actions.push({ type: 'close_all', reason, price, qty: s.qty, time });
  s.qty = 0;
  s.closed = true;
}
