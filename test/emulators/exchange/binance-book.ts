/**
 * The trading state behind the Binance emulator: markets with filters, prices a test sets,
 * a spot wallet, a USDⓈ-M futures account (binance-futures.ts), orders and the account's trades.
 * Market orders fill at once at the current price (or walk `depth` levels); limit orders fill when
 * marketable, else rest (spot ones locking what they may spend; binance-triggers.ts fills them
 * and fires spot stops when the price moves). Spot and margin fees are taken in the coin received
 * (`feeAsset`).
 * Business rule violations throw BinanceReject, which the server turns into Binance's
 * `{code, msg}` with HTTP 400.
 */
import type { AlgoOrder } from './binance-algo.ts';
import { checkPositionSide, closesHedged, fillFutures, type EmulatorPosition, type SymbolSettings } from './binance-futures.ts';
import { fillMargin, type MarginWallet } from './binance-margin.ts';
import { fillSpot, priceLevels, spotFills, type FeeAsset, type MarketDepth } from './binance-spot.ts';
import { lockFor, triggersNow, unlock } from './binance-triggers.ts';
import { BinanceReject, SPOT_FEE, type EmulatorMarket, type EmulatorOrder, type EmulatorTrade, type Fill, type OrderType, type PositionSide, type Venue } from './binance-types.ts';

export { BinanceReject, DEFAULT_MARKETS, FUTURES_FEE, MAINT_RATE, SPOT_FEE } from './binance-types.ts';
export type { EmulatorMarket, EmulatorOrder, EmulatorTrade, Fill, OrderType, PositionSide, Venue } from './binance-types.ts';

/** drops binary noise below 1e-12 so balances and positions reach exactly zero */
const clean = (value: number): number => Math.round(value * 1e12) / 1e12;
const SPOT_TYPES: readonly string[] = ['MARKET', 'LIMIT', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
/** margin and futures orders here are plain (futures conditional orders are algo orders) */
const PLAIN_TYPES: readonly string[] = ['MARKET', 'LIMIT'];
const decimals = (step: string): number => (step.includes('.') ? step.replace(/0+$/, '').split('.')[1]!.length : 0);
const isMultiple = (value: number, step: string): boolean => {
  const ratio = value / Number(step);
  return Math.abs(ratio - Math.round(ratio)) < 1e-7;
};

export class BinanceBook {
  readonly markets: Map<string, EmulatorMarket>;
  /** the market's prices: one map shared by every account of the emulator */
  readonly prices: Map<string, number>;
  readonly spotBalances = new Map<string, { free: number; locked: number }>();
  /** USDⓈ-M wallet balance (cross and isolated margin together), USDT */
  futuresWallet = 0;
  /** `${symbol}:${positionSide}` → position */
  readonly positions = new Map<string, EmulatorPosition>();
  readonly symbolSettings = new Map<string, SymbolSettings>();
  /**
   * USDⓈ-M leverage brackets per symbol id (GET /fapi/v1/leverageBracket): each bracket's
   * initialLeverage and notionalCap; a symbol not listed has one bracket of 125× (the first
   * bracket's initialLeverage is the most leverage POST /fapi/v1/leverage accepts)
   */
  readonly leverageBrackets = new Map<string, Array<{ initialLeverage: number; notionalCap: number }>>();
  /** futures position mode: true = hedge mode (LONG and SHORT), false = one-way (BOTH) */
  dualSidePosition = false;
  /**
   * Binance spot's PERCENT_PRICE_BY_SIDE filter, where set: a priced or stop order whose price (or
   * trigger) lies outside [down × price, up × price] is refused with -1013 (a stop too far away)
   */
  percentPrice: { down: number; up: number } | undefined;
  readonly orders: EmulatorOrder[] = [];
  readonly trades: EmulatorTrade[] = [];
  /** USDⓈ-M conditional orders (binance-algo.ts) */
  readonly algoOrders: AlgoOrder[] = [];
  nextAlgoId = 5000;
  /** spot/margin: fees in the coin received (Binance without BNB) or always in the quote coin */
  feeAsset: FeeAsset = 'received';
  /** spot/margin market orders walk price levels when set (several fills) */
  depth: MarketDepth | undefined = undefined;
  /** like real Binance futures: a market order's answer says NEW, the fill shows on a later query */
  futuresReportsFillsLate = false;
  readonly marginCross: MarginWallet = new Map();
  /** symbol id → isolated wallet */
  readonly marginIsolated = new Map<string, MarginWallet>();
  private nextOrderId = 1000;
  private nextTradeId = 1;

  constructor(
    markets: EmulatorMarket[],
    private readonly now: () => number,
    shared?: { markets: Map<string, EmulatorMarket>; prices: Map<string, number>; idBase: number },
  ) {
    this.markets = shared?.markets ?? new Map();
    this.prices = shared?.prices ?? new Map();
    if (shared) {
      this.nextOrderId += shared.idBase;
      this.nextAlgoId += shared.idBase;
    }
    else
      for (const market of markets) {
        this.markets.set(market.id, market);
        this.prices.set(market.id, 100);
      }
  }

  /** another account on the same exchange: its own balances, orders and positions, the same markets and prices (its ids counted from `idBase` up) */
  openAccount(idBase: number): BinanceBook {
    return new BinanceBook([], this.now, { markets: this.markets, prices: this.prices, idBase });
  }

  market(symbol: string): EmulatorMarket {
    const market = this.markets.get(symbol);
    if (!market) throw new BinanceReject(-1121, 'Invalid symbol.');
    return market;
  }

  price(symbol: string): number {
    const price = this.prices.get(symbol);
    if (price === undefined) throw new BinanceReject(-1121, 'Invalid symbol.');
    return price;
  }

  spot(asset: string): { free: number; locked: number } {
    let entry = this.spotBalances.get(asset);
    if (!entry) {
      entry = { free: 0, locked: 0 };
      this.spotBalances.set(asset, entry);
    }
    return entry;
  }

  position(symbol: string, positionSide: PositionSide = 'BOTH'): EmulatorPosition {
    const key = `${symbol}:${positionSide}`;
    let position = this.positions.get(key);
    if (!position) {
      position = { symbol, positionSide, amount: 0, entryPrice: 0, isolatedWallet: 0 };
      this.positions.set(key, position);
    }
    return position;
  }

  /** leverage and margin type of a futures symbol (Binance's defaults: 20×, cross) */
  settings(symbol: string): SymbolSettings {
    let settings = this.symbolSettings.get(symbol);
    if (!settings) {
      settings = { leverage: 20, marginType: 'cross' };
      this.symbolSettings.set(symbol, settings);
    }
    return settings;
  }

  /** the cross margin wallet, or a symbol's isolated one */
  marginWallet(isolatedSymbol?: string): MarginWallet {
    if (isolatedSymbol === undefined) return this.marginCross;
    let wallet = this.marginIsolated.get(isolatedSymbol);
    if (!wallet) {
      wallet = new Map();
      this.marginIsolated.set(isolatedSymbol, wallet);
    }
    return wallet;
  }

  /** USDT per unit of an asset (USDT = 1, others from their USDT market) */
  assetPrice(asset: string): number {
    return asset === 'USDT' ? 1 : (this.prices.get(`${asset}USDT`) ?? 0);
  }

  /** margin orders are found only in the wallet asked for (`isIsolated`, default the cross one) */
  findOrder(venue: Venue, symbol: string, ref: { orderId?: string; clientOrderId?: string; isIsolated?: boolean }): EmulatorOrder {
    // the latest of several with the same client id (a client id is unique among open orders only)
    const order = this.orders.findLast(
      (o) =>
        o.venue === venue &&
        o.symbol === symbol &&
        (venue !== 'margin' || o.isIsolated === (ref.isIsolated ?? false)) &&
        (ref.orderId !== undefined ? String(o.orderId) === ref.orderId : o.clientOrderId === ref.clientOrderId),
    );
    if (!order) throw new BinanceReject(-2013, 'Order does not exist.');
    return order;
  }

  placeOrder(venue: Venue, p: Record<string, string>): EmulatorOrder {
    const market = this.market(p.symbol ?? '');
    const side = p.side === 'SELL' ? 'SELL' : 'BUY';
    const type = (p.type ?? '') as OrderType;
    if (!(venue === 'spot' ? SPOT_TYPES : PLAIN_TYPES).includes(type)) throw new BinanceReject(-1116, 'Invalid orderType.');
    const qty = Number(p.quantity);
    if (!(qty > 0) || qty < Number(market.minQty) || !isMultiple(qty, market.stepSize)) {
      throw new BinanceReject(-1013, 'Filter failure: LOT_SIZE');
    }
    const priced = type === 'LIMIT' || type.endsWith('_LIMIT');
    const limit = priced ? Number(p.price) : 0;
    if (priced && (!(limit > 0) || !isMultiple(limit, market.tickSize))) {
      throw new BinanceReject(-1013, 'Filter failure: PRICE_FILTER');
    }
    const conditional = type.startsWith('STOP_LOSS') || type.startsWith('TAKE_PROFIT');
    const stopPrice = conditional ? Number(p.stopPrice) : 0;
    if (conditional && !(stopPrice > 0)) throw new BinanceReject(-1102, "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed.");
    const current = this.price(market.id);
    if (conditional && triggersNow(type, side, stopPrice, current)) throw new BinanceReject(-2010, 'Stop price would trigger immediately.');
    const band = venue === 'spot' ? this.percentPrice : undefined;
    for (const level of [limit, stopPrice]) {
      if (band && level > 0 && (level < current * band.down || level > current * band.up)) throw new BinanceReject(-1013, 'Filter failure: PERCENT_PRICE_BY_SIDE');
    }
    const reduceOnly = p.reduceOnly === 'true';
    const positionSide = venue === 'futures' ? checkPositionSide(this, p) : 'BOTH';
    const reducing = reduceOnly || closesHedged({ positionSide, side });
    if (qty * (limit || stopPrice || current) < Number(market.minNotional) && !reducing) {
      throw new BinanceReject(venue === 'spot' ? -1013 : -4164, venue === 'spot' ? 'Filter failure: NOTIONAL' : `Order's notional must be no smaller than ${market.minNotional} (unless you choose reduce only).`);
    }
    if (venue !== 'futures' && p.reduceOnly !== undefined) throw new BinanceReject(-1104, 'Not all sent parameters were read.');
    // Binance keeps a client id unique among OPEN orders only: once filled or cancelled it may be sent again
    if (p.newClientOrderId !== undefined && this.orders.some((o) => o.venue === venue && o.status === 'NEW' && o.clientOrderId === p.newClientOrderId)) {
      throw venue === 'futures' ? new BinanceReject(-4116, 'ClientOrderId is duplicated.') : new BinanceReject(-2010, 'Duplicate order sent.');
    }
    const marketable = type === 'MARKET' || (type === 'LIMIT' && (side === 'BUY' ? limit >= current : limit <= current));
    const order: EmulatorOrder = {
      venue,
      orderId: this.nextOrderId++,
      clientOrderId: p.newClientOrderId ?? `emu-${this.nextOrderId}`,
      symbol: market.id,
      side,
      type,
      origQty: qty,
      price: limit,
      executedQty: 0,
      avgPrice: 0,
      status: 'NEW',
      reduceOnly,
      commission: 0,
      commissionAsset: market.quote,
      fills: [],
      isIsolated: venue === 'margin' && (p.isIsolated === 'TRUE' || p.isIsolated === 'true'),
      positionSide,
      stopPrice,
      working: !conditional,
      locked: undefined,
      time: this.now(),
    };
    const answer = { ...order };
    if (marketable) this.execute(order, current, p.sideEffectType);
    else if (venue === 'spot') lockFor(this, order);
    this.orders.push(order);
    return venue === 'futures' && type === 'MARKET' && this.futuresReportsFillsLate ? answer : order;
  }

  /** fills the order now at `price` (spot and margin fills may walk the book) */
  execute(order: EmulatorOrder, price: number, sideEffect?: string): void {
    const market = this.market(order.symbol);
    if (order.venue === 'futures') {
      const { fee, realized } = fillFutures(this, order, price);
      this.recordFills(order, [{ price, qty: order.origQty, commission: fee, commissionAsset: market.quote, tradeId: this.nextTradeId++ }], realized);
      return;
    }
    const fills = spotFills(order, market, priceLevels(order, market, price, this.depth), SPOT_FEE, this.feeAsset, () => this.nextTradeId++);
    if (order.venue === 'spot') fillSpot(order, market, fills, (a) => this.spot(a));
    else fillMargin(this.marginWallet(order.isIsolated ? market.id : undefined), order, market, fills, sideEffect, (a) => this.assetPrice(a));
    this.recordFills(order, fills);
  }

  /** marks the order filled by `fills` and adds them to the account's trades */
  recordFills(order: EmulatorOrder, fills: Fill[], realizedPnl = 0): void {
    let qty = 0;
    let cost = 0;
    let commission = 0;
    for (const fill of fills) {
      qty += fill.qty;
      cost += fill.qty * fill.price;
      commission += fill.commission;
      this.trades.push({ ...fill, venue: order.venue, orderId: order.orderId, symbol: order.symbol, side: order.side, isIsolated: order.isIsolated, positionSide: order.positionSide, realizedPnl, time: this.now() });
    }
    Object.assign(order, {
      executedQty: clean(qty),
      avgPrice: clean(cost / qty),
      status: 'FILLED',
      commission: Math.round(commission * 1e8) / 1e8,
      commissionAsset: fills[0]?.commissionAsset ?? order.commissionAsset,
      fills,
    });
  }

  cancel(order: EmulatorOrder): EmulatorOrder {
    if (order.status !== 'NEW') throw new BinanceReject(-2011, 'Unknown order sent.');
    unlock(this, order);
    order.status = 'CANCELED';
    return order;
  }

  static pricePrecision(market: EmulatorMarket): number {
    return decimals(market.tickSize);
  }

  static quantityPrecision(market: EmulatorMarket): number {
    return decimals(market.stepSize);
  }
}
