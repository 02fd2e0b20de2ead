/**
 * How a spot or margin order fills in the emulator: the price levels a market order walks and
 * the commission of each fill. Binance (without BNB fee payment) charges the fee in the coin the
 * account receives: a BUY pays in the base coin, a SELL in the quote coin. An account that pays
 * in the quote coin for both (`feeAsset: 'quote'`) stands for the other real cases.
 */
import { BinanceReject, type EmulatorMarket, type EmulatorOrder, type Fill } from './binance-book.ts';

/** which coin a spot/margin fill's commission is taken in */
export type FeeAsset = 'received' | 'quote';

/** a market order takes `levelQty` base per price level, each level `levelTicks` ticks worse */
export interface MarketDepth {
  levelQty: number;
  levelTicks: number;
}

/** the wallet entries a fill moves: `free` of an asset */
export type Holdings = (asset: string) => { free: number };

const clean = (value: number): number => Math.round(value * 1e12) / 1e12;
/** commissions carry 8 decimals, as Binance reports them */
const round8 = (value: number): number => Math.round(value * 1e8) / 1e8;

/** the price levels of a fill: one level at the current price unless the book is deep */
export function priceLevels(order: EmulatorOrder, market: EmulatorMarket, current: number, depth: MarketDepth | undefined): Array<{ price: number; qty: number }> {
  if (order.type !== 'MARKET' || !depth || depth.levelQty <= 0) return [{ price: current, qty: order.origQty }];
  const tick = Number(market.tickSize);
  const direction = order.side === 'BUY' ? 1 : -1;
  const levels: Array<{ price: number; qty: number }> = [];
  let left = order.origQty;
  for (let level = 0; left > 1e-12; level += 1) {
    const qty = clean(Math.min(left, depth.levelQty));
    const price = clean(Math.round((current + direction * level * depth.levelTicks * tick) / tick) * tick);
    levels.push({ price, qty });
    left = clean(left - qty);
  }
  return levels;
}

export function spotFills(
  order: EmulatorOrder,
  market: EmulatorMarket,
  levels: Array<{ price: number; qty: number }>,
  rate: number,
  feeAsset: FeeAsset,
  nextTradeId: () => number,
): Fill[] {
  const inBase = order.side === 'BUY' && feeAsset === 'received';
  return levels.map(({ price, qty }) => ({
    price,
    qty,
    commission: round8(inBase ? qty * rate : qty * price * rate),
    commissionAsset: inBase ? market.base : market.quote,
    tradeId: nextTradeId(),
  }));
}

/** what the fills cost or bring: quote value, and commission per asset */
export function fillTotals(fills: readonly Fill[], market: EmulatorMarket): { qty: number; cost: number; baseFee: number; quoteFee: number } {
  let qty = 0;
  let cost = 0;
  let baseFee = 0;
  let quoteFee = 0;
  for (const fill of fills) {
    qty += fill.qty;
    cost += fill.qty * fill.price;
    if (fill.commissionAsset === market.base) baseFee += fill.commission;
    else quoteFee += fill.commission;
  }
  return { qty: clean(qty), cost: clean(cost), baseFee: round8(baseFee), quoteFee: round8(quoteFee) };
}

/** what the account must hold (free) of which asset for the fills */
export function spending(order: EmulatorOrder, market: EmulatorMarket, fills: readonly Fill[]): { asset: string; amount: number } {
  const totals = fillTotals(fills, market);
  return order.side === 'BUY' ? { asset: market.quote, amount: clean(totals.cost + totals.quoteFee) } : { asset: market.base, amount: totals.qty };
}

/** moves the coins of the fills; the caller has checked (or borrowed) what is spent */
export function settleFills(order: EmulatorOrder, market: EmulatorMarket, fills: readonly Fill[], holdings: Holdings): void {
  const { qty, cost, baseFee, quoteFee } = fillTotals(fills, market);
  const base = holdings(market.base);
  const quote = holdings(market.quote);
  if (order.side === 'BUY') {
    quote.free = clean(quote.free - cost - quoteFee);
    base.free = clean(base.free + qty - baseFee);
  } else {
    base.free = clean(base.free - qty);
    quote.free = clean(quote.free + cost - quoteFee);
  }
}

/** a spot fill: refuses what the free balance cannot pay, then moves the coins */
export function fillSpot(order: EmulatorOrder, market: EmulatorMarket, fills: readonly Fill[], holdings: Holdings): void {
  const { asset, amount } = spending(order, market, fills);
  if (holdings(asset).free < amount - 1e-12) throw new BinanceReject(-2010, 'Account has insufficient balance for requested action.');
  settleFills(order, market, fills, holdings);
}
