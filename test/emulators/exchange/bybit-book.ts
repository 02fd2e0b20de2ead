/**
 * The trading state behind the Bybit v5 emulator: one unified trading account (spot, spot margin
 * and USDT perpetuals on one wallet), instruments with their filters, prices a test sets, orders
 * (plain, resting limit, conditional) and executions. Fills are in bybit-fills.ts.
 *
 * Orders: market orders fill at once at the current price; limit orders fill when marketable,
 * else rest (spot ones hold what they may spend). Conditional orders (a triggerPrice) wait
 * `Untriggered` until the price crosses the trigger in their direction, then fire as the order
 * they carry, keeping their orderId (Triggered → Filled, or Deactivated / Rejected when it cannot
 * execute). Spot `StopOrder` holds nothing until it fires; spot `tpslOrder` holds the coins.
 * Business rule violations throw BybitReject with Bybit's retCode and retMsg.
 */
import { randomUUID } from 'node:crypto';
import { fillLinear, fillSpot, positionIM } from './bybit-fills.ts';
import {
  BybitReject,
  clean,
  isMultiple,
  REALTIME_CLOSED_KEPT,
  type BybitExecution,
  type BybitMarket,
  type BybitOrder,
  type BybitPosition,
  type Category,
  type OrderFilter,
  type Side,
} from './bybit-types.ts';

export type MarginModeSetting = 'REGULAR_MARGIN' | 'ISOLATED_MARGIN';
const OPEN: readonly string[] = ['New', 'PartiallyFilled', 'Untriggered'];
const str = (value: unknown): string | undefined => (value === undefined || value === null || value === '' ? undefined : String(value));

export class BybitBook {
  readonly markets = new Map<string, BybitMarket>();
  readonly prices = new Map<string, number>();
  /** coin → wallet balance; negative where the coin is borrowed (spot margin liability) */
  readonly coins = new Map<string, number>();
  /** the unified account's margin mode (account-wide on Bybit UTA) */
  marginMode: MarginModeSetting = 'REGULAR_MARGIN';
  /** symbol → perpetual leverage (Bybit's default 10×) */
  readonly leverages = new Map<string, number>();
  readonly positions = new Map<string, BybitPosition>();
  readonly orders: BybitOrder[] = [];
  readonly executions: BybitExecution[] = [];
  private nextId = 1;

  constructor(markets: BybitMarket[], readonly now: () => number) {
    for (const market of markets) {
      this.markets.set(market.symbol, market);
      this.prices.set(market.symbol, 100);
    }
  }

  market(symbol: string | undefined, category: Category = 'linear'): BybitMarket {
    const market = this.markets.get(symbol ?? '');
    if (!market) throw category === 'spot' ? new BybitReject(170121, 'Invalid symbol.') : new BybitReject(10001, 'params error: symbol invalid');
    return market;
  }

  price(symbol: string): number {
    return this.prices.get(this.market(symbol).symbol)!;
  }

  coin(coin: string): number {
    return this.coins.get(coin) ?? 0;
  }

  addCoin(coin: string, amount: number): void {
    this.coins.set(coin, clean(this.coin(coin) + amount));
  }

  /** what resting spot orders hold of a coin */
  locked(coin: string): number {
    return clean(this.orders.reduce((sum, o) => sum + (o.locked?.coin === coin ? o.locked.amount : 0), 0));
  }

  /** spendable now: the balance less what orders hold and (USDT) the perpetuals' initial margin */
  free(coin: string): number {
    const margin = coin === 'USDT' ? this.totalPositionIM() : 0;
    return clean(this.coin(coin) - this.locked(coin) - margin);
  }

  availableUsdt(): number {
    return this.free('USDT');
  }

  totalPositionIM(): number {
    let sum = 0;
    for (const p of this.positions.values()) sum += positionIM(this, p);
    return sum;
  }

  /** USDT per unit of a coin */
  coinPrice(coin: string): number {
    return coin === 'USDT' ? 1 : (this.prices.get(`${coin}USDT`) ?? 0);
  }

  /** the account's equity in USDT: coins at their price plus the perpetuals' unrealised P&L */
  equity(): number {
    let sum = 0;
    for (const [coin, balance] of this.coins) sum += balance * this.coinPrice(coin);
    for (const p of this.positions.values()) sum += this.unrealised(p);
    return sum;
  }

  liabilitiesValue(): number {
    let sum = 0;
    for (const [coin, balance] of this.coins) if (balance < 0) sum += -balance * this.coinPrice(coin);
    return sum;
  }

  unrealised(p: BybitPosition): number {
    return p.size === 0 ? 0 : (this.price(p.symbol) - p.avgPrice) * p.size;
  }

  position(symbol: string): BybitPosition {
    let position = this.positions.get(symbol);
    if (!position) {
      position = { symbol, size: 0, avgPrice: 0, leverage: this.leverage(symbol), positionBalance: 0, curRealisedPnl: 0, cumRealisedPnl: 0, createdTime: this.now(), updatedTime: this.now() };
      this.positions.set(symbol, position);
    }
    return position;
  }

  leverage(symbol: string): number {
    return this.leverages.get(symbol) ?? 10;
  }

  /** POST /v5/position/set-leverage: buy and sell leverage together (one-way mode) */
  setLeverage(symbol: string, buy: string | undefined, sell: string | undefined): void {
    const market = this.market(symbol);
    const leverage = Number(buy);
    if (buy !== sell) throw new BybitReject(10001, 'params error: buy leverage must equal sell leverage in one-way mode');
    if (!(leverage >= 1) || leverage > market.linear.maxLeverage || !isMultiple(leverage, '0.01')) throw new BybitReject(10001, `leverage invalid: ${buy}, must be within [1, ${market.linear.maxLeverage}]`);
    if (this.leverage(symbol) === leverage) throw new BybitReject(110043, 'leverage not modified');
    this.leverages.set(symbol, leverage);
  }

  /** POST /v5/account/set-margin-mode: account-wide; refused while a perpetual position is open */
  setMarginMode(mode: string | undefined): { reasons: Array<{ reasonCode: string; reasonMsg: string }> } {
    if (mode !== 'REGULAR_MARGIN' && mode !== 'ISOLATED_MARGIN' && mode !== 'PORTFOLIO_MARGIN') throw new BybitReject(10001, 'params error: setMarginMode invalid');
    if (mode === 'PORTFOLIO_MARGIN') throw new BybitReject(3400045, 'Set margin mode failed');
    if (mode === this.marginMode) return { reasons: [] };
    if ([...this.positions.values()].some((p) => p.size !== 0)) throw new BybitReject(3400045, 'Set margin mode failed');
    this.marginMode = mode;
    return { reasons: [] };
  }

  /** The order named by orderId or orderLinkId (latest first); spot lookups also match the order kind. */
  findOrder(category: Category, p: Record<string, unknown>): BybitOrder | undefined {
    const orderId = str(p.orderId);
    const orderLinkId = str(p.orderLinkId);
    const filter = str(p.orderFilter) as OrderFilter | undefined;
    return this.orders.findLast(
      (o) =>
        o.category === category &&
        (str(p.symbol) === undefined || o.symbol === str(p.symbol)) &&
        (orderId !== undefined ? o.orderId === orderId : o.orderLinkId === orderLinkId) &&
        (category !== 'spot' || filter === undefined || o.orderFilter === filter),
    );
  }

  placeOrder(p: Record<string, unknown>): BybitOrder {
    const category = categoryOf(p.category);
    const market = this.market(str(p.symbol), category);
    const side = str(p.side);
    const orderType = str(p.orderType);
    if (side !== 'Buy' && side !== 'Sell') throw new BybitReject(10001, 'params error: side invalid');
    if (orderType !== 'Market' && orderType !== 'Limit') throw new BybitReject(10001, 'params error: orderType invalid');
    const orderLinkId = str(p.orderLinkId) ?? '';
    if (orderLinkId.length > 36) throw new BybitReject(10001, 'params error: orderLinkId is too long');
    if (orderLinkId && this.orders.some((o) => o.category === category && o.orderLinkId === orderLinkId)) {
      throw category === 'spot' ? new BybitReject(170141, 'Duplicate clientOrderId.') : new BybitReject(110072, 'OrderLinkedID is duplicate');
    }
    if (category === 'linear' && Number(p.positionIdx ?? 0) !== 0) throw new BybitReject(10001, 'position idx not match position mode');
    const current = this.price(market.symbol);
    const price = orderType === 'Limit' ? Number(p.price) : 0;
    const tick = category === 'spot' ? market.spot.tickSize : market.linear.tickSize;
    if (orderType === 'Limit' && (!(price > 0) || !isMultiple(price, tick))) throw category === 'spot' ? new BybitReject(170134, 'Order price decimal too long.') : new BybitReject(10001, 'params error: price invalid');
    const triggerPrice = Number(p.triggerPrice ?? 0);
    const conditional = triggerPrice > 0;
    if (conditional && !isMultiple(triggerPrice, tick)) throw new BybitReject(10001, 'params error: triggerPrice invalid');
    const qty = this.checkQty(category, market, p, side, orderType === 'Limit' ? price : conditional ? triggerPrice : current);
    const reduceOnly = category === 'linear' && (p.reduceOnly === true || p.reduceOnly === 'true');
    const valueAt = (orderType === 'Limit' ? price : conditional ? triggerPrice : current) * qty;
    if (category === 'spot' && valueAt < Number(market.spot.minOrderAmt) - 1e-9) throw new BybitReject(170140, 'Order value exceeded lower limit.');
    if (category === 'linear' && !reduceOnly && valueAt < Number(market.linear.minNotionalValue) - 1e-9) throw new BybitReject(110094, `Order does not meet minimum order value ${market.linear.minNotionalValue}USDT`);

    let triggerDirection: 0 | 1 | 2 = 0;
    if (conditional) {
      const given = Number(p.triggerDirection ?? 0);
      if (category === 'linear' && given !== 1 && given !== 2) throw new BybitReject(10001, 'params error: TriggerDirection invalid');
      triggerDirection = given === 1 || given === 2 ? given : triggerPrice > current ? 1 : 2;
      if (category === 'linear') checkDirection(triggerDirection, triggerPrice, current);
    }
    const filter: OrderFilter = category === 'spot' ? ((str(p.orderFilter) as OrderFilter | undefined) ?? (conditional ? 'StopOrder' : 'Order')) : conditional ? 'StopOrder' : 'Order';
    if (category === 'spot' && !['Order', 'StopOrder', 'tpslOrder'].includes(filter)) throw new BybitReject(10001, 'params error: orderFilter invalid');
    const now = this.now();
    const order: BybitOrder = {
      category,
      orderId: category === 'spot' ? String(1_900_000_000_000 + this.nextId++) : randomUUID(),
      orderLinkId,
      symbol: market.symbol,
      side,
      orderType,
      qty,
      price,
      orderStatus: conditional ? 'Untriggered' : 'New',
      orderFilter: filter,
      triggerPrice,
      triggerDirection,
      reduceOnly,
      isLeverage: Number(p.isLeverage ?? 0) === 1 ? 1 : 0,
      cumExecQty: 0,
      cumExecValue: 0,
      cumExecFee: 0,
      feeCoin: '',
      avgPrice: 0,
      locked: undefined,
      rejectReason: 'EC_NoError',
      createdTime: now,
      updatedTime: now,
    };
    if (!conditional && reduceOnly && orderType === 'Market') {
      const position = this.position(market.symbol);
      if (position.size === 0 || (position.size > 0) === (side === 'Buy')) throw new BybitReject(110017, 'current position is zero, cannot fix reduce-only order qty');
    }
    if (!conditional) this.work(order, current, true);
    else if (category === 'spot' && filter === 'tpslOrder') this.lock(order);
    this.orders.push(order);
    if (conditional && category === 'spot' && crossed(order, current)) this.fire(order, current);
    return order;
  }

  /** a plain or fired order meets the price: fills now (market, marketable limit) or rests */
  private work(order: BybitOrder, current: number, placing: boolean): void {
    const marketable = order.orderType === 'Market' || (order.side === 'Buy' ? order.price >= current : order.price <= current);
    if (!marketable) {
      order.orderStatus = 'New';
      if (order.category === 'spot' && order.isLeverage === 0) this.lock(order);
      return;
    }
    const at = order.orderType === 'Market' ? current : order.price;
    if (placing) this.execute(order, at);
    else {
      try {
        this.execute(order, at);
      } catch (error) {
        if (!(error instanceof BybitReject)) throw error;
        order.orderStatus = error.retCode === 110017 ? 'Deactivated' : 'Rejected';
        order.rejectReason = error.message;
        order.updatedTime = this.now();
      }
    }
  }

  execute(order: BybitOrder, price: number): void {
    if (order.category === 'spot') fillSpot(this, order, price);
    else fillLinear(this, order, price);
  }

  recordFill(order: BybitOrder, price: number, qty: number, fee: number, feeCoin: string, closedSize: number): void {
    this.executions.push({
      category: order.category,
      execId: randomUUID(),
      orderId: order.orderId,
      orderLinkId: order.orderLinkId,
      symbol: order.symbol,
      side: order.side,
      orderType: order.orderType,
      stopOrderType: order.triggerPrice > 0 ? 'Stop' : '',
      execPrice: price,
      execQty: qty,
      execFee: fee,
      feeRate: qty * price > 0 ? fee / (feeCoin === 'USDT' ? qty * price : qty) : 0,
      feeCurrency: feeCoin,
      closedSize,
      execTime: this.now(),
    });
    order.cumExecQty = clean(order.cumExecQty + qty);
    order.cumExecValue = clean(order.cumExecValue + qty * price);
    order.cumExecFee = Math.round((order.cumExecFee + fee) * 1e10) / 1e10;
    order.feeCoin = feeCoin;
    order.avgPrice = clean(order.cumExecValue / order.cumExecQty);
    order.orderStatus = 'Filled';
    order.updatedTime = this.now();
  }

  /** POST /v5/order/amend: qty, price or trigger price of an open order, in place (same orderId) */
  amend(p: Record<string, unknown>): BybitOrder {
    const category = categoryOf(p.category);
    const order = this.findOrder(category, { ...p, orderFilter: undefined });
    if (!order || !OPEN.includes(order.orderStatus)) throw category === 'spot' ? new BybitReject(170213, 'Order does not exist.') : new BybitReject(110001, 'order not exists or too late to replace');
    const market = this.market(order.symbol, category);
    const qty = p.qty === undefined ? order.qty : this.checkQty(category, market, p, order.side, order.price || order.triggerPrice || this.price(order.symbol));
    const triggerPrice = p.triggerPrice === undefined ? order.triggerPrice : Number(p.triggerPrice);
    const price = p.price === undefined ? order.price : Number(p.price);
    if (qty === order.qty && triggerPrice === order.triggerPrice && price === order.price) throw new BybitReject(10001, 'The order remains unchanged as the parameters entered match the existing ones.');
    if (order.orderStatus === 'Untriggered' && triggerPrice !== order.triggerPrice) {
      if (!(triggerPrice > 0)) throw new BybitReject(10001, 'params error: triggerPrice invalid');
      if (category === 'linear') checkDirection(order.triggerDirection as 1 | 2, triggerPrice, this.price(order.symbol));
    }
    this.unlock(order);
    Object.assign(order, { qty, triggerPrice, price, updatedTime: this.now() });
    if (order.locked === undefined && (order.orderFilter === 'tpslOrder' || (order.orderStatus === 'New' && order.category === 'spot' && order.isLeverage === 0))) this.lock(order);
    return order;
  }

  cancel(p: Record<string, unknown>): BybitOrder {
    const category = categoryOf(p.category);
    const order = this.findOrder(category, p);
    if (!order || !OPEN.includes(order.orderStatus)) throw category === 'spot' ? new BybitReject(170213, 'Order does not exist.') : new BybitReject(110001, 'order not exists or too late to cancel');
    this.unlock(order);
    order.orderStatus = order.orderStatus === 'Untriggered' ? 'Deactivated' : 'Cancelled';
    order.updatedTime = this.now();
    return order;
  }

  /** The price of `symbol` moved: conditional orders it crossed fire, resting limits it reached fill. */
  priceMoved(symbol: string): void {
    const price = this.price(symbol);
    for (const order of [...this.orders]) {
      if (order.symbol !== symbol) continue;
      if (order.orderStatus === 'Untriggered' && crossed(order, price)) this.fire(order, price);
      else if (order.orderStatus === 'New' && order.orderType === 'Limit' && (order.side === 'Buy' ? price <= order.price : price >= order.price)) {
        this.unlock(order);
        this.work(order, price, false);
      }
    }
  }

  /** open orders and the last REALTIME_CLOSED_KEPT closed ones of a category (what /v5/order/realtime sees) */
  recent(category: Category): BybitOrder[] {
    const mine = this.orders.filter((o) => o.category === category);
    const closed = mine.filter((o) => !OPEN.includes(o.orderStatus)).slice(-REALTIME_CLOSED_KEPT);
    return mine.filter((o) => OPEN.includes(o.orderStatus) || closed.includes(o));
  }

  isOpen(order: BybitOrder): boolean {
    return OPEN.includes(order.orderStatus);
  }

  private fire(order: BybitOrder, price: number): void {
    this.unlock(order);
    order.orderStatus = 'Triggered';
    order.updatedTime = this.now();
    this.work(order, price, false);
  }

  private checkQty(category: Category, market: BybitMarket, p: Record<string, unknown>, side: Side, price: number): number {
    let qty = Number(p.qty);
    if (category === 'spot' && str(p.marketUnit) === 'quoteCoin') qty = Math.floor(qty / price / Number(market.spot.basePrecision)) * Number(market.spot.basePrecision);
    const step = category === 'spot' ? market.spot.basePrecision : market.linear.qtyStep;
    const min = Number(category === 'spot' ? market.spot.minOrderQty : market.linear.minOrderQty);
    if (!(qty > 0) || !isMultiple(qty, step)) throw category === 'spot' ? new BybitReject(170137, 'Order volume decimal too long.') : new BybitReject(10001, 'params error: Qty invalid');
    if (qty < min - 1e-12) throw category === 'spot' ? new BybitReject(170136, 'Order quantity lower than the minimum.') : new BybitReject(10001, 'The number of contracts exceeds minimum limit allowed');
    const max = Number(category === 'spot' ? market.spot.maxOrderQty : market.linear.maxOrderQty);
    if (qty > max) throw category === 'spot' ? new BybitReject(170135, 'Order quantity too large.') : new BybitReject(10001, 'The number of contracts exceeds maximum limit allowed');
    void side;
    return clean(qty);
  }

  private lock(order: BybitOrder): void {
    const market = this.market(order.symbol);
    const coin = order.side === 'Sell' ? market.base : market.quote;
    const amount = order.side === 'Sell' ? order.qty : clean(order.qty * (order.price || order.triggerPrice));
    if (this.free(coin) < amount - 1e-12) throw new BybitReject(170131, 'Insufficient balance.');
    order.locked = { coin, amount };
  }

  private unlock(order: BybitOrder): void {
    order.locked = undefined;
  }
}

function categoryOf(value: unknown): Category {
  if (value === 'spot' || value === 'linear') return value;
  throw new BybitReject(10001, 'params error: Category is invalid');
}

/** whether the price has reached a conditional order's trigger in its direction */
function crossed(order: BybitOrder, price: number): boolean {
  return order.triggerDirection === 1 ? price >= order.triggerPrice : price <= order.triggerPrice;
}

/** Bybit refuses a perpetual trigger already on the far side of the price */
function checkDirection(direction: 1 | 2, triggerPrice: number, current: number): void {
  if (direction === 1 && triggerPrice <= current) throw new BybitReject(110092, `expect Rising, but trigger_price[${Math.round(triggerPrice * 1e4)}] <= current[${Math.round(current * 1e4)}]??LastPrice`);
  if (direction === 2 && triggerPrice >= current) throw new BybitReject(110093, `expect Falling, but trigger_price[${Math.round(triggerPrice * 1e4)}] >= current[${Math.round(current * 1e4)}]??LastPrice`);
}
