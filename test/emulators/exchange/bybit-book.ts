/**
 * The trading state behind the Bybit v5 emulator: one unified trading account (spot, spot margin
 * and USDT perpetuals on one wallet), instruments with their filters, prices a test sets, orders
 * and executions. Placing, amending, cancelling and triggering orders: bybit-orders.ts; fills:
 * bybit-fills.ts. Business rule violations throw BybitReject with Bybit's retCode and retMsg.
 */
import { randomUUID } from 'node:crypto';
import { fillLinear, fillSpot, positionIM } from './bybit-fills.ts';
import { amendOrder, cancelOrder, placeOrder, priceMoved } from './bybit-orders.ts';
import { BybitReject, clean, isMultiple, REALTIME_CLOSED_KEPT, type BybitExecution, type BybitMarket, type BybitOrder, type BybitPosition, type Category, type OrderFilter } from './bybit-types.ts';

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

  /** open orders and the last REALTIME_CLOSED_KEPT closed ones of a category (what /v5/order/realtime sees) */
  placeOrder(p: Record<string, unknown>): BybitOrder {
    return placeOrder(this, p);
  }

  /** POST /v5/order/amend: qty, price or trigger price of an open order, in place (same orderId) */
  amend(p: Record<string, unknown>): BybitOrder {
    return amendOrder(this, p);
  }

  cancel(p: Record<string, unknown>): BybitOrder {
    return cancelOrder(this, p);
  }

  /** The price of `symbol` moved: conditional orders it crossed fire, resting limits it reached fill. */
  priceMoved(symbol: string): void {
    priceMoved(this, symbol);
  }

  /** a new order id: numeric on spot, a UUID on perpetuals, as Bybit's */
  newOrderId(category: Category): string {
    return category === 'spot' ? String(1_900_000_000_000 + this.nextId++) : randomUUID();
  }

  recent(category: Category): BybitOrder[] {
    const mine = this.orders.filter((o) => o.category === category);
    const closed = mine.filter((o) => !OPEN.includes(o.orderStatus)).slice(-REALTIME_CLOSED_KEPT);
    return mine.filter((o) => OPEN.includes(o.orderStatus) || closed.includes(o));
  }

  isOpen(order: BybitOrder): boolean {
    return OPEN.includes(order.orderStatus);
  }

}

