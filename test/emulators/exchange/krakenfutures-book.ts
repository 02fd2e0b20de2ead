/**
 * The state of the Kraken Futures emulator: instruments, last prices, the multi-collateral
 * ("flex") wallet, one net position per contract, orders (mkt, lmt, stp, take_profit), fills and
 * leverage preferences. Sizes are contracts (`contractSize` base units each), as Kraken counts them.
 *
 * Margin follows Kraken's multi-collateral rules, simplified: a contract with a leverage
 * preference is isolated at that leverage (initial margin = notional / leverage), one without is
 * cross at the instrument's first margin level; P&L and fees settle in USD.
 */

/** taker fee of the emulator (Kraken's first tier for futures), charged in USD on the notional */
export const KRAKEN_FUTURES_TAKER_FEE = 0.0005;
/** ms: orders/status answers open orders and orders finished less than this long ago (Kraken's docs) */
export const ORDER_STATUS_MEMORY_MS = 5_000;

export interface KrakenInstrument {
  /** 'PF_XBTUSD' */
  symbol: string;
  type: 'flexible_futures' | 'futures_inverse' | 'futures_vanilla';
  /** Kraken's base code ('XBT') */
  base: string;
  tickSize: number;
  /** decimals of the size (Kraken's contractValueTradePrecision; may be negative) */
  contractValueTradePrecision: number;
  contractSize: number;
  /** fraction of notional: first margin level (0.02 = 50× maximum leverage) */
  initialMargin: number;
  maintenanceMargin: number;
  /** ISO time; present only on fixed-maturity futures */
  lastTradingTime?: string;
  tradeable?: boolean;
}

export const KRAKEN_FUTURES_INSTRUMENTS: KrakenInstrument[] = [
  { symbol: 'PF_XBTUSD', type: 'flexible_futures', base: 'XBT', tickSize: 1, contractValueTradePrecision: 4, contractSize: 1, initialMargin: 0.02, maintenanceMargin: 0.01 },
  { symbol: 'PF_ETHUSD', type: 'flexible_futures', base: 'ETH', tickSize: 0.1, contractValueTradePrecision: 3, contractSize: 1, initialMargin: 0.02, maintenanceMargin: 0.01 },
  { symbol: 'PF_SOLUSD', type: 'flexible_futures', base: 'SOL', tickSize: 0.01, contractValueTradePrecision: 2, contractSize: 1, initialMargin: 0.1, maintenanceMargin: 0.05 },
  { symbol: 'PI_XBTUSD', type: 'futures_inverse', base: 'XBT', tickSize: 0.5, contractValueTradePrecision: 0, contractSize: 1, initialMargin: 0.02, maintenanceMargin: 0.01 },
  { symbol: 'FI_XBTUSD_260327', type: 'futures_inverse', base: 'XBT', tickSize: 0.5, contractValueTradePrecision: 0, contractSize: 1, initialMargin: 0.02, maintenanceMargin: 0.01, lastTradingTime: '2026-03-27T16:00:00.000Z' },
];

export type OrderType = 'mkt' | 'lmt' | 'stp' | 'take_profit';

export interface KrakenOrder {
  orderId: string;
  cliOrdId: string | undefined;
  symbol: string;
  side: 'buy' | 'sell';
  orderType: OrderType;
  /** contracts */
  size: number;
  filled: number;
  limitPrice: number | undefined;
  stopPrice: number | undefined;
  reduceOnly: boolean;
  status: 'open' | 'filled' | 'cancelled';
  receivedTime: number;
  lastUpdateTime: number;
  /** when it left the book (filled or cancelled), ms */
  finishedAt: number | undefined;
  /** volume-weighted fill price */
  avgPrice: number | undefined;
}

export interface KrakenFill {
  fill_id: string;
  order_id: string;
  cliOrdId: string | undefined;
  symbol: string;
  side: 'buy' | 'sell';
  size: number;
  price: number;
  fillTime: number;
  fillType: 'taker' | 'maker';
  /** USD, charged on the notional */
  fee: number;
  /** USD, realized by the part of the fill that reduced the position */
  realizedPnl: number;
}

export interface KrakenPosition {
  /** contracts: > 0 long, < 0 short */
  size: number;
  price: number;
  fillTime: number;
}

/** An order refused by the matching engine: the sendStatus status Kraken answers (invalidSize, wouldNotReducePosition, …). */
export class OrderRefusal extends Error {
  constructor(readonly status: string) {
    super(status);
  }
}

export class KrakenFuturesBook {
  readonly instruments = new Map<string, KrakenInstrument>();
  readonly prices = new Map<string, number>();
  /** collateral by currency code ('USD', 'USDT', …): quantity held */
  readonly collateral = new Map<string, number>([['USD', 0]]);
  /** fraction of a collateral's value that does not count as margin (Kraken's haircut) */
  readonly haircuts = new Map<string, number>();
  readonly positions = new Map<string, KrakenPosition>();
  readonly orders: KrakenOrder[] = [];
  readonly fills: KrakenFill[] = [];
  /** symbol → max leverage preference (isolated); absent = cross */
  readonly leveragePreferences = new Map<string, number>();
  private seq = 0;

  constructor(
    instruments: readonly KrakenInstrument[],
    readonly now: () => number,
  ) {
    for (const i of instruments) {
      this.instruments.set(i.symbol, i);
      this.prices.set(i.symbol, i.base === 'XBT' ? 50_000 : i.base === 'ETH' ? 3_000 : 150);
    }
  }

  instrument(symbol: string): KrakenInstrument {
    const found = this.instruments.get(symbol.toUpperCase());
    if (!found) throw new OrderRefusal('contractNotFound');
    return found;
  }

  price(symbol: string): number {
    return this.prices.get(symbol.toUpperCase()) ?? 0;
  }

  nextId(): string {
    this.seq += 1;
    const hex = this.seq.toString(16).padStart(12, '0');
    return `a1b2c3d4-0000-4000-8000-${hex}`;
  }

  /** the maximum leverage of a contract: 1 / its first initial margin level */
  maxLeverage(symbol: string): number {
    return Math.round(1 / this.instrument(symbol).initialMargin);
  }

  /** USD value of the collateral after haircuts, plus unrealized P&L */
  marginEquity(): number {
    let value = 0;
    for (const [currency, quantity] of this.collateral) value += quantity * (1 - (this.haircuts.get(currency) ?? 0));
    return value + this.unrealized();
  }

  /** USD value of the collateral before haircuts */
  balanceValue(): number {
    let value = 0;
    for (const quantity of this.collateral.values()) value += quantity;
    return value;
  }

  unrealized(): number {
    let sum = 0;
    for (const [symbol, p] of this.positions) sum += p.size * this.instrument(symbol).contractSize * (this.price(symbol) - p.price);
    return sum;
  }

  /** USD the positions hold as initial margin */
  initialMargin(): number {
    let sum = 0;
    for (const [symbol, p] of this.positions) sum += this.marginFor(symbol, Math.abs(p.size), this.price(symbol));
    return sum;
  }

  maintenanceMargin(): number {
    let sum = 0;
    for (const [symbol, p] of this.positions) {
      const i = this.instrument(symbol);
      sum += Math.abs(p.size) * i.contractSize * this.price(symbol) * i.maintenanceMargin;
    }
    return sum;
  }

  availableMargin(): number {
    return this.marginEquity() - this.initialMargin();
  }

  private marginFor(symbol: string, contracts: number, price: number): number {
    const i = this.instrument(symbol);
    const leverage = this.leveragePreferences.get(symbol);
    const notional = contracts * i.contractSize * price;
    return leverage === undefined ? notional * i.initialMargin : notional / leverage;
  }

  /**
   * editorder: an open order's size, limit or stop price changed in place (same order id and
   * client id). A stop keeps its trigger on the far side of the price (Kraken refuses one that
   * would fire at once); a field of another order kind is refused as Kraken does. Throws OrderRefusal.
   */
  edit(order: KrakenOrder, change: { size?: number | undefined; limitPrice?: number | undefined; stopPrice?: number | undefined }): void {
    const i = this.instrument(order.symbol);
    if (change.size !== undefined && (!(change.size > order.filled) || !onStep(change.size, 10 ** -i.contractValueTradePrecision))) throw new OrderRefusal('invalidSize');
    for (const price of [change.limitPrice, change.stopPrice]) if (price !== undefined && (!(price > 0) || !onStep(price, i.tickSize))) throw new OrderRefusal('invalidPrice');
    if (change.stopPrice !== undefined) {
      if (order.orderType !== 'stp' && order.orderType !== 'take_profit') throw new OrderRefusal('orderForEditNotAStop');
      const price = this.price(order.symbol);
      const firesAtOnce = order.orderType === 'stp' ? (order.side === 'sell' ? price <= change.stopPrice : price >= change.stopPrice) : order.side === 'sell' ? price >= change.stopPrice : price <= change.stopPrice;
      if (firesAtOnce) throw new OrderRefusal('invalidPrice');
      order.stopPrice = change.stopPrice;
    }
    if (change.size !== undefined) order.size = change.size;
    if (change.limitPrice !== undefined) order.limitPrice = change.limitPrice;
    order.lastUpdateTime = this.now();
  }

  /** Checks and stores a new order; a market order fills at once. Throws OrderRefusal. */
  place(input: { symbol: string; side: 'buy' | 'sell'; orderType: OrderType; size: number; limitPrice?: number; stopPrice?: number; reduceOnly: boolean; cliOrdId?: string }): KrakenOrder {
    const i = this.instrument(input.symbol);
    if (i.tradeable === false) throw new OrderRefusal('marketSuspended');
    if (!(input.size > 0) || !onStep(input.size, 10 ** -i.contractValueTradePrecision)) throw new OrderRefusal('invalidSize');
    for (const price of [input.limitPrice, input.stopPrice]) if (price !== undefined && (!(price > 0) || !onStep(price, i.tickSize))) throw new OrderRefusal('invalidPrice');
    if (input.orderType === 'lmt' && input.limitPrice === undefined) throw new OrderRefusal('invalidPrice');
    if ((input.orderType === 'stp' || input.orderType === 'take_profit') && input.stopPrice === undefined) throw new OrderRefusal('invalidPrice');
    if (input.cliOrdId !== undefined) {
      if (input.cliOrdId.length > 100) throw new OrderRefusal('clientOrderIdTooLong');
      if (this.orders.some((o) => o.cliOrdId === input.cliOrdId && o.status === 'open')) throw new OrderRefusal('clientOrderIdAlreadyExist');
    }
    const position = this.positions.get(i.symbol);
    const reduces = position !== undefined && (input.side === 'sell' ? position.size > 0 : position.size < 0);
    if (input.reduceOnly && !reduces) throw new OrderRefusal('wouldNotReducePosition');
    const price = this.price(i.symbol);
    if (!input.reduceOnly && (input.orderType === 'mkt' || input.orderType === 'lmt')) {
      const needed = this.marginFor(i.symbol, input.size, input.limitPrice ?? price) + input.size * i.contractSize * price * KRAKEN_FUTURES_TAKER_FEE;
      if (!reduces && needed > this.availableMargin()) throw new OrderRefusal('insufficientAvailableFunds');
    }
    const now = this.now();
    const order: KrakenOrder = {
      orderId: this.nextId(),
      cliOrdId: input.cliOrdId,
      symbol: i.symbol,
      side: input.side,
      orderType: input.orderType,
      size: input.size,
      filled: 0,
      limitPrice: input.limitPrice,
      stopPrice: input.stopPrice,
      reduceOnly: input.reduceOnly,
      status: 'open',
      receivedTime: now,
      lastUpdateTime: now,
      finishedAt: undefined,
      avgPrice: undefined,
    };
    this.orders.push(order);
    if (order.orderType === 'mkt') this.execute(order, price);
    else if (order.orderType === 'lmt' && (order.side === 'buy' ? price <= order.limitPrice! : price >= order.limitPrice!)) this.execute(order, price);
    return order;
  }

  cancel(order: KrakenOrder): void {
    order.status = 'cancelled';
    order.lastUpdateTime = this.now();
    order.finishedAt = order.lastUpdateTime;
  }

  /** Fills the rest of an order at `price` (taker), moving the position and the USD collateral. */
  execute(order: KrakenOrder, price: number): KrakenFill | undefined {
    const i = this.instrument(order.symbol);
    const position = this.positions.get(order.symbol);
    let size = order.size - order.filled;
    if (order.reduceOnly) {
      const reducible = position && (order.side === 'sell' ? Math.max(0, position.size) : Math.max(0, -position.size));
      size = Math.min(size, reducible ?? 0);
      if (!(size > 0)) {
        this.cancel(order);
        return undefined;
      }
    }
    const signed = order.side === 'buy' ? size : -size;
    const now = this.now();
    let realized = 0;
    if (!position || position.size === 0) {
      this.positions.set(order.symbol, { size: signed, price, fillTime: now });
    } else if (Math.sign(position.size) === Math.sign(signed)) {
      const total = position.size + signed;
      position.price = (position.price * position.size + price * signed) / total;
      position.size = round(total);
      position.fillTime = now;
    } else {
      const closing = Math.min(Math.abs(signed), Math.abs(position.size));
      realized = closing * i.contractSize * (price - position.price) * Math.sign(position.size);
      const rest = round(position.size + signed);
      if (rest === 0) this.positions.delete(order.symbol);
      else if (Math.sign(rest) === Math.sign(position.size)) position.size = rest;
      else this.positions.set(order.symbol, { size: rest, price, fillTime: now });
    }
    const fee = size * i.contractSize * price * KRAKEN_FUTURES_TAKER_FEE;
    this.collateral.set('USD', (this.collateral.get('USD') ?? 0) + realized - fee);
    order.avgPrice = ((order.avgPrice ?? 0) * order.filled + price * size) / (order.filled + size);
    order.filled = round(order.filled + size);
    order.lastUpdateTime = now;
    if (order.filled >= order.size || order.reduceOnly) {
      order.status = 'filled';
      order.finishedAt = now;
    }
    const fill: KrakenFill = { fill_id: this.nextId(), order_id: order.orderId, cliOrdId: order.cliOrdId, symbol: order.symbol, side: order.side, size, price, fillTime: now, fillType: 'taker', fee, realizedPnl: realized };
    this.fills.push(fill);
    return fill;
  }

  /** A new last price: resting limits that it crosses fill, stops and take-profits it reaches trigger (a market order). */
  setPrice(symbol: string, price: number): void {
    const id = this.instrument(symbol).symbol;
    this.prices.set(id, price);
    for (const order of this.orders.filter((o) => o.symbol === id && o.status === 'open')) {
      if (order.orderType === 'lmt' && (order.side === 'buy' ? price <= order.limitPrice! : price >= order.limitPrice!)) this.execute(order, order.limitPrice!);
      // a sell stop triggers at or below its price, a buy stop at or above; take-profits the other way
      const stop = order.stopPrice!;
      const hit = order.orderType === 'stp' ? (order.side === 'sell' ? price <= stop : price >= stop) : order.orderType === 'take_profit' ? (order.side === 'sell' ? price >= stop : price <= stop) : false;
      if (hit) this.execute(order, price);
    }
  }
}

function onStep(value: number, step: number): boolean {
  const n = value / step;
  return Math.abs(n - Math.round(n)) < 1e-6;
}

function round(x: number): number {
  return Number(x.toPrecision(12));
}
