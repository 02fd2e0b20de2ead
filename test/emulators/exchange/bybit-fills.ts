/**
 * How orders fill in the Bybit emulator's unified account: one wallet of coins shared by spot,
 * spot margin and USDT perpetuals (a coin's balance goes negative where it is borrowed: the
 * liability), spot fees in the coin received, perpetual fees and realised P&L in USDT, and the
 * perpetual's liquidation price (cross: the account's USDT backs it; isolated: its own margin).
 */
import type { BybitBook } from './bybit-book.ts';
import { BybitReject, clean, LINEAR_FEE, MAINT_RATE, SPOT_FEE, SPOT_MARGIN_LEVERAGE, type BybitOrder, type BybitPosition } from './bybit-types.ts';

/**
 * Fills a spot order of `qty` at `price`: a buy pays quote and receives base less the fee, a sell
 * pays base and receives quote less the fee. Without isLeverage the coin spent must be free (170131);
 * a margin order (isLeverage 1) may borrow it, within SPOT_MARGIN_LEVERAGE × equity (170131 beyond).
 */
export function fillSpot(book: BybitBook, order: BybitOrder, price: number): void {
  const market = book.market(order.symbol);
  const buy = order.side === 'Buy';
  const value = order.qty * price;
  const spend = buy ? { coin: market.quote, amount: value } : { coin: market.base, amount: order.qty };
  const fee = buy ? order.qty * SPOT_FEE : value * SPOT_FEE;
  const receive = buy ? { coin: market.base, amount: order.qty - fee } : { coin: market.quote, amount: value - fee };
  const free = book.free(spend.coin);
  if (free < spend.amount - 1e-12) {
    if (order.isLeverage !== 1 || book.marginMode === 'ISOLATED_MARGIN') throw new BybitReject(170131, 'Insufficient balance.');
    const borrowed = spend.amount - Math.max(free, 0);
    const liabilities = book.liabilitiesValue() + borrowed * book.coinPrice(spend.coin);
    if (liabilities > book.equity() * (SPOT_MARGIN_LEVERAGE - 1) + 1e-9) throw new BybitReject(170131, 'Insufficient balance.');
  }
  book.addCoin(spend.coin, -spend.amount);
  book.addCoin(receive.coin, receive.amount);
  book.recordFill(order, price, order.qty, fee, buy ? market.base : market.quote, 0);
}

/**
 * Fills a perpetual order: opens, adds to, reduces or flips the one-way position. Opening needs
 * initial margin (qty × price / leverage) plus the fee from the available USDT (110007).
 * A reduce-only order is cut to the position's size (nothing to reduce: 110017).
 */
export function fillLinear(book: BybitBook, order: BybitOrder, price: number): void {
  const position = book.position(order.symbol);
  const signed = order.side === 'Buy' ? order.qty : -order.qty;
  let qty = order.qty;
  const reducing = position.size !== 0 && Math.sign(signed) !== Math.sign(position.size);
  if (order.reduceOnly) {
    if (!reducing) throw new BybitReject(110017, 'current position is zero, cannot fix reduce-only order qty');
    qty = Math.min(qty, Math.abs(position.size));
  }
  const closing = reducing ? Math.min(qty, Math.abs(position.size)) : 0;
  const opening = qty - closing;
  const leverage = book.leverage(order.symbol);
  const fee = qty * price * LINEAR_FEE;
  if (opening > 0 && opening * price / leverage + fee > book.availableUsdt() + 1e-9) throw new BybitReject(110007, 'ab not enough for new order');

  let realised = 0;
  if (closing > 0) {
    const direction = Math.sign(position.size);
    realised = (price - position.avgPrice) * closing * direction;
    const share = closing / Math.abs(position.size);
    const released = position.positionBalance * share;
    position.positionBalance = clean(position.positionBalance - released);
    position.size = clean(position.size - direction * closing);
    if (position.size === 0) {
      position.avgPrice = 0;
      position.positionBalance = 0;
    }
  }
  if (opening > 0) {
    const direction = Math.sign(signed);
    const before = Math.abs(position.size);
    position.avgPrice = (position.avgPrice * before + price * opening) / (before + opening);
    position.size = clean(position.size + direction * opening);
    position.leverage = leverage;
    if (book.marginMode === 'ISOLATED_MARGIN') position.positionBalance = clean(position.positionBalance + (opening * price) / leverage);
    if (before === 0) position.createdTime = book.now();
  }
  position.curRealisedPnl = clean(position.curRealisedPnl + realised - fee);
  position.cumRealisedPnl = clean(position.cumRealisedPnl + realised - fee);
  position.updatedTime = book.now();
  book.addCoin('USDT', realised - fee);
  book.recordFill(order, price, qty, fee, 'USDT', closing);
}

/** initial margin of a position, USDT */
export function positionIM(book: BybitBook, p: BybitPosition): number {
  if (p.size === 0) return 0;
  return book.marginMode === 'ISOLATED_MARGIN' ? p.positionBalance : (Math.abs(p.size) * p.avgPrice) / p.leverage;
}

/**
 * Liquidation and bankruptcy prices (quote per base). Isolated: the position's own margin;
 * cross: the account's USDT wallet less the other positions' margin backs it.
 */
export function liquidation(book: BybitBook, p: BybitPosition): { liqPrice: number; bustPrice: number } {
  if (p.size === 0) return { liqPrice: 0, bustPrice: 0 };
  const size = Math.abs(p.size);
  const long = p.size > 0;
  const backing = book.marginMode === 'ISOLATED_MARGIN' ? p.positionBalance : book.coin('USDT') - otherIM(book, p);
  const perUnit = backing / size;
  const bust = long ? p.avgPrice - perUnit : p.avgPrice + perUnit;
  const liq = long ? (p.avgPrice - perUnit) / (1 - MAINT_RATE) : (p.avgPrice + perUnit) / (1 + MAINT_RATE);
  return { liqPrice: Math.max(liq, 0), bustPrice: Math.max(bust, 0) };
}

function otherIM(book: BybitBook, p: BybitPosition): number {
  let sum = 0;
  for (const other of book.positions.values()) if (other !== p) sum += positionIM(book, other);
  return sum;
}

/** the fee of a fill, the spot fee rate or the perpetual one */
export function feeRate(order: Pick<BybitOrder, 'category'>): number {
  return order.category === 'spot' ? SPOT_FEE : LINEAR_FEE;
}
