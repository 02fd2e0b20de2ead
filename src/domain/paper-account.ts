/**
 * A paper account as it is kept between restarts: balances, positions, orders and resting stops,
 * and its bookkeeping for one fill (`applyFill`). The paper exchange (src/exchange/paper.ts) and
 * the backtest both keep their money through `applyFill`, and the database stores the state
 * (src/db/repos/paper-store.ts), so they live below all three. Numbers are JS numbers.
 *
 * Spot: buys pay qty × price and receive qty less the fee in the base coin; sells need the base
 * held and pay their fee in the quote coin (Binance without BNB).
 * Margin/futures (one net position per symbol, isolated margin):
 * - opening locks margin = qty × price / leverage; the fee (qty × price × feeRate) is paid from
 *   the wallet; not enough free quote → MARGIN_LEVEL_TOO_LOW;
 * - an opposite order first reduces the position (realized PnL into the wallet, margin released
 *   pro rata) and, unless reduce-only, opens the remainder the other way;
 * - a reduce-only order never closes more than is open;
 * - liquidation price as Binance computes an isolated position's: long (qty × entry − margin) /
 *   (qty × (1 − mmr)), short (qty × entry + margin) / (qty × (1 + mmr)).
 */
import type { OrderResult, StopOrderState } from './orders.ts';
import type { Mode } from './types.ts';

export interface PaperPosition {
  symbol: string;
  side: 'long' | 'short';
  /** base units, > 0 */
  qty: number;
  entryPrice: number;
  leverage: number;
  /** quote units locked as margin */
  margin: number;
  liquidationPrice?: number;
}

export interface PaperState {
  /** currency → total (for margin/futures the quote total is the wallet incl. locked margin) */
  balances: Map<string, number>;
  positions: Map<string, PaperPosition>;
}

export interface PaperChange {
  balances: ReadonlyMap<string, number>;
  /** positions to write; a position with qty 0 is deleted */
  positions: readonly PaperPosition[];
  order?: OrderResult;
}

export interface PaperStop {
  symbol: string;
  /** the side of the position it protects */
  side: 'long' | 'short';
  base: string;
  state: StopOrderState;
}

/** quantities closer than this are equal (base units) */
const EPS = 1e-12;

/** the market's names, as far as the bookkeeping reads them */
export interface PaperMarket {
  symbol: string;
  base: string;
  quote: string;
}

export interface FillInput {
  side: 'buy' | 'sell';
  /** base units */
  qty: number;
  /** fill price, quote per base (slippage already applied) */
  price: number;
  reduceOnly: boolean;
  leverage: number;
  /** fraction of notional, 0.001 = 0.1 % */
  feeRate: number;
  /** maintenance margin rate, fraction */
  maintenanceRate: number;
  /**
   * false: book the fill even when the wallet cannot pay for it (the backtest's --fixed-qty, whose
   * SPEC §8 contract skips balance checks); the wallet then goes below zero
   */
  checkFunds?: boolean;
}

export interface FillOutcome {
  /** base units actually filled (≤ requested for reduce-only) */
  filledQty: number;
  /** in feeCurrency */
  fee: number;
  feeCurrency: string;
  /** changed balances and positions (qty 0 = removed) */
  balances: Map<string, number>;
  positions: PaperPosition[];
}

/** Why the wallet refused a fill; the paper exchange answers it as the matching ExchangeError. */
export interface FillRefusal {
  code: 'INSUFFICIENT_FUNDS' | 'MARGIN_LEVEL_TOO_LOW' | 'REDUCE_ONLY_INVALID';
  message: string;
}

export type FillResult = { ok: true; value: FillOutcome } | { ok: false; error: FillRefusal };

export function lockedMargin(state: PaperState): number {
  let used = 0;
  for (const position of state.positions.values()) used += position.margin;
  return used;
}

export function liquidationPrice(position: Pick<PaperPosition, 'side' | 'qty' | 'entryPrice' | 'margin'>, maintenanceRate: number): number {
  // Binance's isolated formula with one maintenance bracket: the price at which margin + PnL = maintenance
  const notional = position.qty * position.entryPrice;
  const price =
    position.side === 'long'
      ? (notional - position.margin) / (position.qty * (1 - maintenanceRate))
      : (notional + position.margin) / (position.qty * (1 + maintenanceRate));
  return Math.max(0, price);
}

/** The wallet after one fill, as a function of the state (no I/O); `state` is not changed. */
export function applyFill(state: PaperState, market: PaperMarket, mode: Mode, fill: FillInput): FillResult {
  return mode === 'spot' ? spotFill(state, market, fill) : marginFill(state, market, fill);
}

/** the outcome's balances and positions written into the state */
export function commitFill(state: PaperState, outcome: Pick<FillOutcome, 'balances' | 'positions'>): void {
  for (const [currency, total] of outcome.balances) state.balances.set(currency, total);
  for (const position of outcome.positions) {
    if (position.qty > 0) state.positions.set(position.symbol, position);
    else state.positions.delete(position.symbol);
  }
}

/** Spot fees as Binance charges them without BNB: a buy's in the bought coin, a sell's in the quote coin. */
function spotFill(state: PaperState, market: PaperMarket, fill: FillInput): FillResult {
  const check = fill.checkFunds !== false;
  const quote = state.balances.get(market.quote) ?? 0;
  const base = state.balances.get(market.base) ?? 0;
  const cost = fill.qty * fill.price;
  const balances = new Map<string, number>();
  if (fill.side === 'buy') {
    const fee = fill.qty * fill.feeRate;
    if (check && quote + EPS < cost) return refuse('INSUFFICIENT_FUNDS', `Insufficient funds: buying ${fill.qty} ${market.base} needs ${cost.toFixed(2)} ${market.quote}, the wallet has ${quote.toFixed(2)}.`);
    balances.set(market.quote, quote - cost);
    balances.set(market.base, dust(base + fill.qty - fee));
    return { ok: true, value: { filledQty: fill.qty, fee, feeCurrency: market.base, balances, positions: [] } };
  }
  if (check && base + EPS < fill.qty) return refuse('INSUFFICIENT_FUNDS', `Insufficient funds: selling ${fill.qty} ${market.base}, the wallet has ${base}.`);
  const fee = cost * fill.feeRate;
  balances.set(market.base, dust(base - fill.qty));
  balances.set(market.quote, quote + cost - fee);
  return { ok: true, value: { filledQty: fill.qty, fee, feeCurrency: market.quote, balances, positions: [] } };
}

function marginFill(state: PaperState, market: PaperMarket, fill: FillInput): FillResult {
  const direction = fill.side === 'buy' ? 'long' : 'short';
  const current = state.positions.get(market.symbol);
  let wallet = state.balances.get(market.quote) ?? 0;
  let used = lockedMargin(state);
  let fee = 0;
  let remaining = fill.qty;
  let position: PaperPosition | undefined = current && { ...current };

  if (position && position.side !== direction) {
    const closing = Math.min(remaining, position.qty);
    const sign = position.side === 'long' ? 1 : -1;
    const released = position.margin * (closing / position.qty);
    fee += closing * fill.price * fill.feeRate;
    wallet += closing * (fill.price - position.entryPrice) * sign - closing * fill.price * fill.feeRate;
    used -= released;
    position.qty -= closing;
    position.margin -= released;
    remaining -= closing;
    if (position.qty <= EPS) position = { ...position, qty: 0, margin: 0 };
  } else if (fill.reduceOnly) {
    return refuse('REDUCE_ONLY_INVALID', `Reduce-only order refused: there is no ${direction === 'long' ? 'short' : 'long'} ${market.symbol} position to reduce.`);
  }

  if (remaining > EPS && !fill.reduceOnly) {
    const notional = remaining * fill.price;
    const margin = notional / fill.leverage;
    const openFee = notional * fill.feeRate;
    if (fill.checkFunds !== false && wallet - used + EPS < margin + openFee) {
      return refuse(
        'MARGIN_LEVEL_TOO_LOW',
        `Margin level too low: ${remaining} ${market.base} at ${fill.leverage}× needs ${(margin + openFee).toFixed(2)} ${market.quote} of margin, ${(wallet - used).toFixed(2)} is free. Reduce the position size.`,
      );
    }
    wallet -= openFee;
    fee += openFee;
    const before = position && position.qty > EPS ? position : undefined;
    const qty = (before?.qty ?? 0) + remaining;
    position = {
      symbol: market.symbol,
      side: direction,
      qty,
      entryPrice: before ? (before.qty * before.entryPrice + notional) / qty : fill.price,
      leverage: fill.leverage,
      margin: (before?.margin ?? 0) + margin,
    };
    remaining = 0;
  }

  const positions: PaperPosition[] = [];
  if (position) {
    if (position.qty > EPS) position.liquidationPrice = liquidationPrice(position, fill.maintenanceRate);
    else delete position.liquidationPrice;
    positions.push(position);
  }
  return { ok: true, value: { filledQty: fill.qty - remaining, fee, feeCurrency: market.quote, balances: new Map([[market.quote, wallet]]), positions } };
}

/** A position whose liquidation price the market crossed loses its margin and is removed. */
export function liquidateIfCrossed(state: PaperState, market: PaperMarket, price: number): FillOutcome | undefined {
  const position = state.positions.get(market.symbol);
  if (!position?.liquidationPrice) return undefined;
  const crossed = position.side === 'long' ? price <= position.liquidationPrice : price >= position.liquidationPrice;
  if (!crossed) return undefined;
  const wallet = (state.balances.get(market.quote) ?? 0) - position.margin;
  return { filledQty: position.qty, fee: 0, feeCurrency: market.quote, balances: new Map([[market.quote, wallet]]), positions: [{ ...position, qty: 0, margin: 0 }] };
}

/** binary noise below EPS is zero (a fully sold holding reads 0, not 7e-18) */
function dust(value: number): number {
  return Math.abs(value) < EPS ? 0 : value;
}

function refuse(code: FillRefusal['code'], message: string): FillResult {
  return { ok: false, error: { code, message } };
}
