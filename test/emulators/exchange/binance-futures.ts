/**
 * The USDⓈ-M futures account of the emulator: per-symbol settings (leverage, margin type), the
 * account's position mode (one-way: one BOTH position per symbol, opposite orders net; hedge:
 * LONG and SHORT positions side by side, closed by SELL+LONG or BUY+SHORT), fills, and the
 * liquidation price by Binance's formula (cross: the whole cross wallet backs the position;
 * isolated: only the margin put into it). Quantities are base units, money is USDT.
 */
import { BinanceReject, FUTURES_FEE, MAINT_RATE, type BinanceBook, type EmulatorOrder, type PositionSide } from './binance-book.ts';

export type MarginType = 'cross' | 'isolated';

export interface SymbolSettings {
  leverage: number;
  marginType: MarginType;
}

export interface EmulatorPosition {
  symbol: string;
  positionSide: PositionSide;
  /** signed base quantity: > 0 long, < 0 short (a SHORT side position is negative) */
  amount: number;
  entryPrice: number;
  /** isolated positions: the margin held in the position's own wallet, USDT */
  isolatedWallet: number;
}

const clean = (value: number): number => Math.round(value * 1e12) / 1e12;

/** the sides an order may name: BOTH in one-way mode, LONG or SHORT in hedge mode (-4061 otherwise) */
export function checkPositionSide(book: BinanceBook, p: Record<string, string>): PositionSide {
  const side = (p.positionSide ?? 'BOTH').toUpperCase();
  const allowed = book.dualSidePosition ? ['LONG', 'SHORT'] : ['BOTH'];
  if (!allowed.includes(side)) throw new BinanceReject(-4061, "Order's position side does not match user's setting.");
  if (book.dualSidePosition && p.reduceOnly !== undefined) throw new BinanceReject(-1106, "Parameter 'reduceOnly' sent when not required.");
  return side as PositionSide;
}

/** hedge mode: SELL on LONG and BUY on SHORT close (they can only reduce) */
export function closesHedged(order: Pick<EmulatorOrder, 'positionSide' | 'side'>): boolean {
  return order.positionSide !== 'BOTH' && (order.positionSide === 'LONG') === (order.side === 'SELL');
}

export function setPositionMode(book: BinanceBook, dual: boolean): void {
  if (book.dualSidePosition === dual) throw new BinanceReject(-4059, 'No need to change position side.');
  if ([...book.positions.values()].some((p) => p.amount !== 0)) throw new BinanceReject(-4068, 'Position side cannot be changed if there exists position.');
  const openAlgo = book.algoOrders.some((a) => a.algoStatus === 'NEW');
  if (openAlgo || book.orders.some((o) => o.venue === 'futures' && o.status === 'NEW')) throw new BinanceReject(-4067, 'Position side cannot be changed if there exists open orders.');
  book.dualSidePosition = dual;
}

export function setMarginType(book: BinanceBook, symbol: string, marginType: string | undefined): void {
  if (marginType !== 'ISOLATED' && marginType !== 'CROSSED') throw new BinanceReject(-1116, 'Invalid marginType.');
  const settings = book.settings(symbol);
  const wanted: MarginType = marginType === 'ISOLATED' ? 'isolated' : 'cross';
  if (settings.marginType === wanted) throw new BinanceReject(-4046, 'No need to change margin type.');
  if (positionsOf(book, symbol).length > 0) throw new BinanceReject(-4048, 'Margin type cannot be changed if there exists position.');
  if (book.orders.some((o) => o.venue === 'futures' && o.symbol === symbol && o.status === 'NEW')) throw new BinanceReject(-4047, 'Margin type cannot be changed if there exists open orders.');
  settings.marginType = wanted;
}

/** open (non-zero) positions of a symbol */
export function positionsOf(book: BinanceBook, symbol: string): EmulatorPosition[] {
  return [...book.positions.values()].filter((p) => p.symbol === symbol && p.amount !== 0);
}

/** initial margin of all open positions at their entry, USDT */
export function usedMargin(book: BinanceBook): number {
  let used = 0;
  for (const p of book.positions.values()) used += (Math.abs(p.amount) * p.entryPrice) / book.settings(p.symbol).leverage;
  return used;
}

export function unrealizedPnl(book: BinanceBook, p: EmulatorPosition): number {
  return p.amount * (book.price(p.symbol) - p.entryPrice);
}

/**
 * Binance's liquidation price (one maintenance bracket, cum = 0):
 *   LP = (WB − TMM₁ + UPNL₁ − Σ side·Q·EP) / (Σ Q·MMR − Σ side·Q)
 * over the legs of the symbol that share the wallet (cross: BOTH, or LONG and SHORT together;
 * isolated: the position alone). Cross: WB is the wallet less isolated wallets, TMM₁ and UPNL₁ the
 * maintenance margin and unrealised PnL of the other symbols' cross positions. Isolated: WB is
 * the position's own wallet. 0 when the position cannot be liquidated.
 */
export function liquidationPrice(book: BinanceBook, position: EmulatorPosition): number {
  if (position.amount === 0) return 0;
  const isolated = book.settings(position.symbol).marginType === 'isolated';
  let wallet = position.isolatedWallet;
  let legs = [position];
  if (!isolated) {
    legs = positionsOf(book, position.symbol);
    wallet = book.futuresWallet;
    for (const other of book.positions.values()) {
      if (other.amount === 0) continue;
      if (book.settings(other.symbol).marginType === 'isolated') wallet -= other.isolatedWallet;
      else if (other.symbol !== position.symbol) wallet += unrealizedPnl(book, other) - Math.abs(other.amount) * book.price(other.symbol) * MAINT_RATE;
    }
  }
  let numerator = wallet;
  let denominator = 0;
  for (const leg of legs) {
    const q = Math.abs(leg.amount);
    const side = Math.sign(leg.amount);
    numerator -= side * q * leg.entryPrice;
    denominator += q * MAINT_RATE - side * q;
  }
  const price = numerator / denominator;
  return Number.isFinite(price) && price > 0 ? Math.round(price * 1e8) / 1e8 : 0;
}

/** fills a futures order at `price`: returns the fee (USDT) and the PnL it realised */
export function fillFutures(book: BinanceBook, order: EmulatorOrder, price: number): { fee: number; realized: number } {
  const settings = book.settings(order.symbol);
  const position = book.position(order.symbol, order.positionSide);
  const signed = order.side === 'BUY' ? order.origQty : -order.origQty;
  const reduces = position.amount !== 0 && Math.sign(signed) !== Math.sign(position.amount);
  const mustReduce = order.reduceOnly || closesHedged(order);
  if (mustReduce && (!reduces || order.origQty > Math.abs(position.amount) + 1e-12)) throw new BinanceReject(-2022, 'ReduceOnly Order is rejected.');
  const fee = Math.round(order.origQty * price * FUTURES_FEE * 1e8) / 1e8;
  const closed = reduces ? Math.min(order.origQty, Math.abs(position.amount)) : 0;
  const opened = clean(order.origQty - closed);
  const realized = closed * (price - position.entryPrice) * Math.sign(position.amount);
  if (opened > 1e-12) {
    const stillUsed = usedMargin(book) - (closed * position.entryPrice) / settings.leverage;
    if ((opened * price) / settings.leverage + fee > book.futuresWallet + realized - stillUsed + 1e-9) throw new BinanceReject(-2019, 'Margin is insufficient.');
  }
  if (closed > 0) {
    position.isolatedWallet = clean(position.isolatedWallet * (1 - closed / Math.abs(position.amount)));
    position.amount = clean(position.amount + Math.sign(signed) * closed);
  }
  if (opened > 1e-12) {
    const held = Math.abs(position.amount);
    position.entryPrice = Math.round(((held * position.entryPrice + opened * price) / (held + opened)) * 1e8) / 1e8;
    position.amount = clean(position.amount + Math.sign(signed) * opened);
    if (settings.marginType === 'isolated') position.isolatedWallet = clean(position.isolatedWallet + (opened * price) / settings.leverage);
  }
  if (position.amount === 0) Object.assign(position, { entryPrice: 0, isolatedWallet: 0 });
  book.futuresWallet = clean(book.futuresWallet + realized - fee);
  return { fee, realized };
}
