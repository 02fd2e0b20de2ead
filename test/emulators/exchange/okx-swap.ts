/**
 * USDT-margined swaps in the OKX emulator: positions in contracts (net mode signed, long/short
 * mode one per side), the margin check before an order, fills that open, add to, reduce or flip a
 * position with realized P&L, and the liquidation price (one maintenance tier, MAINT_RATE).
 */
import { clean, MAINT_RATE, OkxReject, SWAP_FEE, type OkxMarket, type OkxOrder, type OkxPosition } from './okx-types.ts';

export interface SwapSettings {
  positions: Map<string, OkxPosition>;
  leverage: Map<string, number>;
  defaultLeverage: number;
  posMode: 'net_mode' | 'long_short_mode';
}

function leverageOf(s: SwapSettings, order: Pick<OkxOrder, 'instId' | 'tdMode' | 'posSide'>): number {
  return s.leverage.get(`${order.instId}:${order.tdMode}:${order.posSide}`) ?? s.leverage.get(`${order.instId}:${order.tdMode}:net`) ?? s.defaultLeverage;
}

/** OKX keeps a cross and an isolated position of one instrument apart (and per side in long/short mode) */
export function positionKey(order: Pick<OkxOrder, 'instId' | 'tdMode' | 'posSide'>): string {
  return `${order.instId}:${order.tdMode === 'isolated' ? 'isolated' : 'cross'}:${order.posSide}`;
}

/** contracts the order would close of an existing position (the rest opens) */
function closingPart(s: SwapSettings, order: Pick<OkxOrder, 'instId' | 'side' | 'posSide' | 'sz' | 'tdMode'>): number {
  const position = s.positions.get(positionKey(order));
  if (!position || position.pos === 0) return 0;
  if (order.posSide === 'net') {
    const closes = order.side === 'buy' ? position.pos < 0 : position.pos > 0;
    return closes ? Math.min(order.sz, Math.abs(position.pos)) : 0;
  }
  // long/short mode: selling the long side or buying back the short side closes
  const closes = (order.posSide === 'long') === (order.side === 'sell');
  return closes ? Math.min(order.sz, position.pos) : 0;
}

/**
 * Refuses what OKX refuses before an order rests or fills: a reduce-only order with nothing to
 * reduce (51169), opening more than the free margin allows (51008). A reduce-only order larger
 * than the position is cut to it.
 */
export function swapMarginCheck(s: SwapSettings, market: OkxMarket, order: OkxOrder, price: number, available: number): void {
  const hedgeClose = order.posSide !== 'net' && (order.posSide === 'long') === (order.side === 'sell');
  const closing = closingPart(s, order);
  if (order.reduceOnly || hedgeClose) {
    if (closing <= 0) throw new OkxReject('51169', "Order failed because you don't have any positions in this direction for this contract to reduce or close.");
    order.sz = closing;
    return;
  }
  const opening = order.sz - closing;
  const notional = opening * (market.ctVal ?? 1) * price;
  const need = notional / leverageOf(s, order) + order.sz * (market.ctVal ?? 1) * price * SWAP_FEE;
  if (need > available + 1e-9) throw new OkxReject('51008', `Order failed. Insufficient ${market.settleCcy} margin in account`);
}

/** Applies a fill to the position; returns the contracts filled and the realized P&L (USDT). */
export function applySwapFill(s: SwapSettings, market: OkxMarket, order: OkxOrder, price: number, now: number, newId: () => string): { filled: number; pnl: number } {
  const key = positionKey(order);
  const ctVal = market.ctVal ?? 1;
  let position = s.positions.get(key);
  if (!position || position.pos === 0) {
    position = { instId: order.instId, posSide: order.posSide, mgnMode: order.tdMode === 'isolated' ? 'isolated' : 'cross', pos: 0, avgPx: 0, lever: leverageOf(s, order), margin: 0, realizedPnl: 0, posId: newId(), cTime: now, uTime: now };
    s.positions.set(key, position);
  }
  const closing = closingPart(s, order);
  if (closing > 0 && (order.reduceOnly || order.posSide !== 'net') && order.sz > closing) order.sz = closing;
  const direction = order.posSide === 'net' ? Math.sign(position.pos) : 1;
  // P&L of the closed contracts: a long gains when the price rose, a short when it fell
  const longSide = order.posSide === 'net' ? position.pos > 0 : order.posSide === 'long';
  const pnl = closing * ctVal * (price - position.avgPx) * (longSide ? 1 : -1);
  const before = Math.abs(position.pos);
  if (closing > 0) {
    position.margin = before > 0 ? position.margin * (1 - closing / before) : 0;
    position.pos = clean(position.pos - direction * closing);
    position.realizedPnl = clean(position.realizedPnl + pnl);
  }
  const opening = clean(order.sz - closing);
  if (opening > 0) {
    const signed = order.posSide === 'net' ? (order.side === 'buy' ? opening : -opening) : opening;
    const held = Math.abs(position.pos);
    position.avgPx = held === 0 ? price : (position.avgPx * held + price * opening) / (held + opening);
    position.pos = clean(position.pos + signed);
    position.lever = leverageOf(s, order);
    position.mgnMode = order.tdMode === 'isolated' ? 'isolated' : 'cross';
    if (position.mgnMode === 'isolated') position.margin += (opening * ctVal * price) / position.lever;
  }
  if (position.pos === 0) position.margin = 0;
  position.uTime = now;
  return { filled: order.sz, pnl: clean(pnl) };
}

/**
 * Liquidation price of a linear position: where its margin (isolated: its own; cross: the
 * account's free USDT plus its own initial margin) less the loss meets the maintenance margin.
 */
export function liquidationPrice(position: OkxPosition, market: OkxMarket, crossEquity: number): number | undefined {
  const qty = Math.abs(position.pos) * (market.ctVal ?? 1);
  if (qty === 0) return undefined;
  const margin = position.mgnMode === 'isolated' ? position.margin : crossEquity;
  const long = position.posSide === 'net' ? position.pos > 0 : position.posSide === 'long';
  const price = long ? (position.avgPx * qty - margin) / (qty * (1 - MAINT_RATE)) : (position.avgPx * qty + margin) / (qty * (1 + MAINT_RATE));
  return price > 0 ? price : undefined;
}
