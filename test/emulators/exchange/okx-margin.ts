/**
 * Spot margin in the OKX emulator (tdMode cross or isolated on a spot instrument whose `lever` is
 * above 1; OKX's "spot and futures" account level borrows automatically): a long buys the base
 * coin with USDT partly borrowed (`liab` in USDT), a short sells a borrowed base coin (`liab` in
 * the base). OKX lists them as MARGIN positions: a long's `pos` in the base coin (`posCcy` base),
 * a short's in USDT (`posCcy` quote). Margin = notional / leverage, taken from the free USDT;
 * a buy's 0.1 % fee is taken in the base coin, a sell's in USDT. No interest accrues.
 */
import { clean, OkxReject, SPOT_FEE, type OkxMarket, type OkxOrder } from './okx-types.ts';

export interface MarginPosition {
  instId: string;
  mgnMode: 'cross' | 'isolated';
  side: 'long' | 'short';
  /** base coins held (long) or owed (short) */
  qty: number;
  avgPx: number;
  /** what is borrowed: USDT (long) or base coins (short) */
  liab: number;
  /** USDT the position holds as margin */
  margin: number;
  /** short: USDT the sale of the borrowed coins brought in */
  proceeds: number;
  lever: number;
  posId: string;
  cTime: number;
  uTime: number;
}

export interface MarginAccount {
  positions: Map<string, MarginPosition>;
  leverage: Map<string, number>;
  defaultLeverage: number;
  available(ccy: string): number;
  credit(ccy: string, amount: number): void;
  newId(): string;
}

export const marginKey = (instId: string, mgnMode: string) => `${instId}:${mgnMode}:margin`;

/** the order's fill on a margin position; returns the fee (OKX's sign, negative) in the coin charged */
export function fillMargin(acct: MarginAccount, market: OkxMarket, order: OkxOrder, price: number, now: number): number {
  if (Number(market.lever) <= 1) throw new OkxReject('51010', 'Operation not supported under the current account mode');
  const key = marginKey(order.instId, order.tdMode);
  let p = acct.positions.get(key);
  const closes = p !== undefined && p.qty > 0 && (p.side === 'long') === (order.side === 'sell');
  if (order.reduceOnly && !closes) throw new OkxReject('51169', "Order failed because you don't have any positions in this direction for this contract to reduce or close.");
  const lever = acct.leverage.get(`${order.instId}:${order.tdMode}:net`) ?? acct.defaultLeverage;
  if (!closes) {
    const notional = order.sz * price;
    const margin = notional / lever;
    if (margin > acct.available(market.quoteCcy) + 1e-9) throw new OkxReject('51008', `Order failed. Insufficient ${market.quoteCcy} margin in account`);
    if (!p || p.qty === 0) {
      p = { instId: order.instId, mgnMode: order.tdMode as 'cross' | 'isolated', side: order.side === 'buy' ? 'long' : 'short', qty: 0, avgPx: 0, liab: 0, margin: 0, proceeds: 0, lever, posId: acct.newId(), cTime: now, uTime: now };
      acct.positions.set(key, p);
    }
    acct.credit(market.quoteCcy, -margin);
    p.margin += margin;
    if (order.side === 'buy') {
      const fee = order.sz * SPOT_FEE;
      p.liab = clean(p.liab + notional - margin);
      p.avgPx = (p.avgPx * p.qty + price * order.sz) / (p.qty + order.sz);
      p.qty = clean(p.qty + order.sz - fee);
      p.uTime = now;
      return -fee;
    }
    const fee = notional * SPOT_FEE;
    p.proceeds += notional - fee;
    p.avgPx = (p.avgPx * p.qty + price * order.sz) / (p.qty + order.sz);
    p.liab = clean(p.liab + order.sz);
    p.qty = p.liab;
    p.uTime = now;
    return -fee;
  }
  const position = p!;
  if (order.side === 'sell') {
    // a long sells what it holds (never more) and repays its USDT debt pro rata
    const sz = Math.min(order.sz, position.qty);
    order.sz = sz;
    const fraction = sz / position.qty;
    const fee = sz * price * SPOT_FEE;
    const repay = position.liab * fraction;
    acct.credit(market.quoteCcy, sz * price - fee - repay);
    position.liab = clean(position.liab - repay);
    position.margin = clean(position.margin * (1 - fraction));
    position.qty = clean(position.qty - sz);
    position.uTime = now;
    if (position.qty === 0) acct.positions.delete(key);
    return -fee;
  }
  // a short buys back: the coins bought (less the fee, taken in them) repay the debt; any excess stays as coins
  const fee = order.sz * SPOT_FEE;
  const received = order.sz - fee;
  const repaid = Math.min(received, position.liab);
  const fraction = repaid / position.liab;
  const cost = order.sz * price;
  acct.credit(market.quoteCcy, fraction * (position.margin + position.proceeds) - cost);
  acct.credit(market.baseCcy, received - repaid);
  position.margin = clean(position.margin * (1 - fraction));
  position.proceeds = clean(position.proceeds * (1 - fraction));
  position.liab = clean(position.liab - repaid);
  position.qty = position.liab;
  position.uTime = now;
  if (position.liab <= 1e-12) acct.positions.delete(key);
  return -fee;
}

/** OKX's MARGIN row of /account/positions */
export function marginPositionJson(p: MarginPosition, market: OkxMarket, mark: number, now: number): Record<string, string> {
  const long = p.side === 'long';
  const upl = (mark - p.avgPx) * p.qty * (long ? 1 : -1);
  const text = (n: number) => String(Number(n.toPrecision(12)));
  return {
    adl: '1',
    availPos: text(long ? p.qty : p.proceeds),
    avgPx: text(p.avgPx),
    cTime: String(p.cTime),
    ccy: long ? market.baseCcy : market.quoteCcy,
    instId: p.instId,
    instType: 'MARGIN',
    lever: String(p.lever),
    liab: text(-p.liab),
    liabCcy: long ? market.quoteCcy : market.baseCcy,
    liqPx: '',
    margin: text(p.margin),
    markPx: text(mark),
    mgnMode: p.mgnMode,
    notionalUsd: text(p.qty * mark),
    pos: text(long ? p.qty : p.proceeds),
    posCcy: long ? market.baseCcy : market.quoteCcy,
    posId: p.posId,
    posSide: 'net',
    upl: text(upl),
    uTime: String(now),
  };
}
