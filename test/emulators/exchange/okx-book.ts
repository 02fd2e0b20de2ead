/**
 * The trading state behind the OKX emulator: one unified trading account (spot coins and the
 * USDT that margins swaps, as OKX's "spot and futures" account level), instruments, prices a
 * test sets, orders, fills, algo orders (okx-algo.ts) and swap positions (okx-swap.ts).
 * Market orders fill at once at the last price; limit orders rest and fill when the price
 * reaches them. Spot fees are taken in the coin received (a buy pays in the base coin), swap
 * fees in USDT. Violations throw OkxReject with OKX's codes and texts.
 */
import { fillMargin, type MarginAccount, type MarginPosition } from './okx-margin.ts';
import { applySwapFill, swapMarginCheck, type SwapSettings } from './okx-swap.ts';
import { clean, isMultiple, OkxReject, PRICE_LIMIT, SPOT_FEE, SWAP_FEE, type OkxAlgo, type OkxFill, type OkxMarket, type OkxOrder, type OkxPosition, type PosSide, type TdMode } from './okx-types.ts';

export interface OrderInput {
  instId: string;
  side: string;
  ordType: string;
  sz: string;
  px?: string;
  tdMode?: string;
  posSide?: string;
  reduceOnly?: boolean | string;
  clOrdId?: string;
  tgtCcy?: string;
}

const CLIENT_ID = /^[A-Za-z0-9]{1,32}$/;

export class OkxBook {
  readonly markets = new Map<string, OkxMarket>();
  readonly prices = new Map<string, number>();
  /** ccy → cash balance of the trading account */
  readonly balances = new Map<string, number>();
  readonly orders: OkxOrder[] = [];
  readonly fills: OkxFill[] = [];
  readonly algos: OkxAlgo[] = [];
  /** `${instId}:${mgnMode}:${posSide}` → position (okx-swap.ts positionKey) */
  readonly positions = new Map<string, OkxPosition>();
  /** spot margin positions (okx-margin.ts), `${instId}:${mgnMode}:margin` → position */
  readonly marginPositions = new Map<string, MarginPosition>();
  /** `${instId}:${mgnMode}:${posSide}` → leverage */
  readonly leverage = new Map<string, number>();
  /** the account's position mode: net (one-way) or long/short (hedge) */
  posMode: 'net_mode' | 'long_short_mode' = 'net_mode';
  /** default leverage of an instrument nobody set one for */
  defaultLeverage = 3;
  private nextId = 600_000_000_000_000_000n;

  constructor(markets: OkxMarket[], private readonly now: () => number) {
    for (const m of markets) this.markets.set(m.instId, m);
  }

  id(): string {
    this.nextId += 1n;
    return this.nextId.toString();
  }

  market(instId: string): OkxMarket {
    const market = this.markets.get(instId);
    if (!market) throw new OkxReject('51001', "Instrument ID or Spread ID doesn't exist.");
    return market;
  }

  price(instId: string): number {
    const price = this.prices.get(instId);
    if (price === undefined) throw new OkxReject('51001', `No price for ${instId} (emulator: call setPrice first).`);
    return price;
  }

  cash(ccy: string): number {
    return this.balances.get(ccy) ?? 0;
  }

  credit(ccy: string, amount: number): void {
    this.balances.set(ccy, clean(this.cash(ccy) + amount));
  }

  /** what resting orders hold back of a coin */
  frozen(ccy: string): number {
    return this.orders.reduce((sum, o) => sum + (o.frozen && o.frozen.ccy === ccy && (o.state === 'live' || o.state === 'partially_filled') ? o.frozen.amount : 0), 0);
  }

  marginAccount(): MarginAccount {
    return {
      positions: this.marginPositions,
      leverage: this.leverage,
      defaultLeverage: this.defaultLeverage,
      available: (ccy) => this.available(ccy),
      credit: (ccy, amount) => this.credit(ccy, amount),
      newId: () => this.id(),
    };
  }

  swapSettings(): SwapSettings {
    return { positions: this.positions, leverage: this.leverage, defaultLeverage: this.defaultLeverage, posMode: this.posMode };
  }

  /** USDT free for new orders: cash less resting orders, isolated margin and cross initial margin (losses count) */
  available(ccy: string): number {
    let locked = this.frozen(ccy);
    for (const p of this.positions.values()) {
      if (p.pos === 0) continue;
      const m = this.market(p.instId);
      if (m.settleCcy !== ccy) continue;
      const mark = this.prices.get(p.instId) ?? p.avgPx;
      const upl = (mark - p.avgPx) * p.pos * (m.ctVal ?? 1) * (p.posSide === 'short' ? -1 : 1);
      locked += p.mgnMode === 'isolated' ? p.margin : (Math.abs(p.pos) * (m.ctVal ?? 1) * mark) / p.lever - Math.min(0, upl);
    }
    return clean(this.cash(ccy) - locked);
  }

  /** Places a regular order (POST /trade/order, /trade/batch-orders); algo orders are okx-algo.ts. */
  placeOrder(input: OrderInput, origin: { algoId: string; algoClOrdId: string } = { algoId: '', algoClOrdId: '' }): OkxOrder {
    const market = this.market(input.instId);
    const side = input.side;
    if (side !== 'buy' && side !== 'sell') throw new OkxReject('51000', 'Parameter side error');
    if (input.ordType !== 'market' && input.ordType !== 'limit') throw new OkxReject('51000', 'Parameter ordType error');
    const clOrdId = input.clOrdId ?? '';
    if (clOrdId !== '' && !CLIENT_ID.test(clOrdId)) throw new OkxReject('51000', 'Parameter clOrdId error');
    if (clOrdId !== '' && this.orders.some((o) => o.clOrdId === clOrdId && (o.state === 'live' || o.state === 'partially_filled'))) throw new OkxReject('51016', 'Duplicated client order ID');
    const tdMode = this.tradeMode(market, input.tdMode);
    const posSide = this.positionSide(market, input.posSide);
    const sz = Number(input.sz);
    this.checkSize(market, sz);
    let px: number | undefined;
    if (input.ordType === 'limit') {
      px = Number(input.px);
      if (!(px > 0) || !isMultiple(px, market.tickSz)) throw new OkxReject('51000', 'Parameter px error');
      const last = this.price(market.instId);
      if (side === 'buy' ? px > last * (1 + PRICE_LIMIT) : px < last * (1 - PRICE_LIMIT)) {
        throw new OkxReject('51006', `Order price is not within the price limit (max buy price: ${(last * (1 + PRICE_LIMIT)).toFixed(1)}, min sell price: ${(last * (1 - PRICE_LIMIT)).toFixed(1)})`);
      }
    }
    const reduceOnly = input.reduceOnly === true || input.reduceOnly === 'true';
    const margin = market.instType === 'SPOT' && tdMode !== 'cash';
    if (margin && input.ordType !== 'market') throw new OkxReject('51000', 'Parameter ordType error (emulator: margin limit orders are not emulated)');
    if (reduceOnly && market.instType === 'SPOT' && !margin) throw new OkxReject('51139', 'Reduce-only feature is unavailable for the spot transactions by simple account');
    const t = this.now();
    const order: OkxOrder = {
      ordId: this.id(),
      clOrdId,
      instId: market.instId,
      instType: market.instType,
      side,
      ordType: input.ordType,
      sz,
      px,
      tdMode,
      posSide,
      reduceOnly,
      state: 'live',
      accFillSz: 0,
      avgPx: 0,
      fee: 0,
      feeCcy: market.instType === 'SWAP' ? market.settleCcy! : side === 'buy' ? market.baseCcy : market.quoteCcy,
      pnl: 0,
      lever: 0,
      algoId: origin.algoId,
      algoClOrdId: origin.algoClOrdId,
      cTime: t,
      uTime: t,
      fillTime: undefined,
    };
    const fillAt = input.ordType === 'market' ? this.price(market.instId) : undefined;
    if (market.instType === 'SPOT' && !margin) this.checkSpotFunds(market, order, fillAt ?? px!);
    else if (market.instType === 'SWAP') swapMarginCheck(this.swapSettings(), market, order, fillAt ?? px!, this.available(market.settleCcy!));
    if (market.instType === 'SWAP') order.lever = swapLeverage(this.swapSettings(), order);
    if (margin) {
      // borrowing is decided at the fill: a refusal leaves no order behind
      this.fill(order, fillAt!);
      this.orders.push(order);
      return order;
    }
    this.orders.push(order);
    if (fillAt !== undefined) this.fill(order, fillAt);
    else if (market.instType === 'SPOT') order.frozen = side === 'buy' ? { ccy: market.quoteCcy, amount: sz * px! } : { ccy: market.baseCcy, amount: sz };
    return order;
  }

  /** fills the whole order at `price`: spot balances with the fee in the coin received, swaps via okx-swap.ts */
  fill(order: OkxOrder, price: number): void {
    const market = this.market(order.instId);
    const t = this.now();
    let fee: number;
    let pnl = 0;
    let sz = order.sz;
    if (market.instType === 'SPOT' && order.tdMode !== 'cash') {
      const signedFee = fillMargin(this.marginAccount(), market, order, price, t);
      sz = order.sz;
      fee = -signedFee;
    } else if (market.instType === 'SPOT') {
      delete order.frozen;
      if (order.side === 'buy') {
        fee = sz * SPOT_FEE;
        this.credit(market.quoteCcy, -sz * price);
        this.credit(market.baseCcy, sz - fee);
      } else {
        fee = sz * price * SPOT_FEE;
        this.credit(market.baseCcy, -sz);
        this.credit(market.quoteCcy, sz * price - fee);
      }
    } else {
      const result = applySwapFill(this.swapSettings(), market, order, price, t, () => this.id());
      sz = result.filled;
      pnl = result.pnl;
      fee = sz * (market.ctVal ?? 1) * price * SWAP_FEE;
      this.credit(market.settleCcy!, pnl - fee);
    }
    order.accFillSz = sz;
    order.avgPx = price;
    order.fee = -clean(fee);
    order.pnl = clean(pnl);
    order.state = 'filled';
    order.uTime = t;
    order.fillTime = t;
    this.fills.push({
      tradeId: this.id(),
      billId: this.id(),
      ordId: order.ordId,
      clOrdId: order.clOrdId,
      instId: order.instId,
      instType: order.instType,
      side: order.side,
      posSide: order.posSide,
      fillPx: price,
      fillSz: sz,
      fee: order.fee,
      feeCcy: order.feeCcy,
      fillPnl: order.pnl,
      ts: t,
    });
  }

  findOrder(instId: string, ref: { ordId?: string; clOrdId?: string }): OkxOrder {
    if (ref.ordId === undefined && ref.clOrdId === undefined) throw new OkxReject('51000', 'Parameter ordId error');
    const matches = this.orders.filter((o) => o.instId === instId && (ref.ordId !== undefined ? o.ordId === ref.ordId : o.clOrdId === ref.clOrdId));
    const order = matches.at(-1);
    if (!order) throw new OkxReject('51603', 'Order does not exist');
    return order;
  }

  cancel(order: OkxOrder): OkxOrder {
    if (order.state === 'canceled') throw new OkxReject('51401', 'Order cancellation failed as the order has been canceled', 200, true);
    if (order.state === 'filled') throw new OkxReject('51402', 'Order cancellation failed as the order has been completed', 200, true);
    order.state = 'canceled';
    delete order.frozen;
    order.uTime = this.now();
    return order;
  }

  /** resting limit orders the price reached fill at their price */
  fillRestingOrders(instId: string): void {
    const last = this.prices.get(instId);
    if (last === undefined) return;
    for (const order of this.orders) {
      if (order.instId !== instId || order.state !== 'live' || order.ordType !== 'limit' || order.px === undefined) continue;
      if (order.side === 'buy' ? last <= order.px : last >= order.px) this.fill(order, order.px);
    }
  }

  private tradeMode(market: OkxMarket, raw: string | undefined): TdMode {
    if (market.instType === 'SPOT') {
      if (raw === 'cash') return 'cash';
      // spot margin: on instruments that allow leverage (okx-margin.ts)
      if ((raw === 'cross' || raw === 'isolated') && Number(market.lever) > 1) return raw;
      throw new OkxReject('51000', 'Parameter tdMode error');
    }
    if (raw !== 'cross' && raw !== 'isolated') throw new OkxReject('51000', 'Parameter tdMode error');
    return raw;
  }

  positionSide(market: OkxMarket, raw: string | undefined): PosSide {
    if (market.instType === 'SPOT') return 'net';
    if (this.posMode === 'long_short_mode') {
      if (raw !== 'long' && raw !== 'short') throw new OkxReject('51000', 'Parameter posSide error');
      return raw;
    }
    if (raw !== undefined && raw !== '' && raw !== 'net') throw new OkxReject('51000', 'Parameter posSide error');
    return 'net';
  }

  checkSize(market: OkxMarket, sz: number): void {
    if (!(sz > 0)) throw new OkxReject('51000', 'Parameter sz error');
    if (!isMultiple(sz, market.lotSz)) throw new OkxReject('51121', `Order quantity must be a multiple of the lot size. Lot size: ${market.lotSz}`);
    if (sz < Number(market.minSz) - 1e-12) throw new OkxReject('51020', 'Order amount should be greater than the min available amount.');
  }

  private checkSpotFunds(market: OkxMarket, order: OkxOrder, price: number): void {
    const [ccy, need] = order.side === 'buy' ? [market.quoteCcy, order.sz * price] : [market.baseCcy, order.sz];
    if (this.cash(ccy) - this.frozen(ccy) < need - 1e-12) throw new OkxReject('51008', `Order failed. Insufficient ${ccy} balance in account.`);
  }
}

function swapLeverage(s: SwapSettings, order: OkxOrder): number {
  return s.leverage.get(`${order.instId}:${order.tdMode}:${order.posSide}`) ?? s.leverage.get(`${order.instId}:${order.tdMode}:net`) ?? s.defaultLeverage;
}
