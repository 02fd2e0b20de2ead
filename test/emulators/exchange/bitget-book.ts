/**
 * The trading state behind the Bitget v2 emulator: markets, prices a test sets, a spot wallet,
 * a USDT-M futures account with one-way positions, market orders, fills and trigger orders
 * (bitget-plans.ts). Market orders fill at once at the current price.
 * - Spot fees are taken in the coin received (a buy pays in the base coin, a sell in USDT);
 *   a spot market BUY's `size` is the USDT to spend, a SELL's the base coin to sell.
 * - USDT-M sizes are base coin (ccxt's contract size 1); a fill pays 0.06 % in USDT; reduce-only
 *   orders only shrink the position; margin = notional / leverage of the symbol.
 * Business rule violations throw BitgetReject with Bitget's code.
 */
import { BitgetReject, clean, DEFAULT_LEVERAGE, fitsDecimals, KEEP_MARGIN_RATE, MIX_TAKER_FEE, SPOT_FEE, type BitgetFill, type BitgetMarket, type BitgetOrder, type MarginModeId, type MixPosition, type PlanOrder, type Side } from './bitget-types.ts';

export interface SpotOrderInput {
  symbol: string;
  side: Side;
  /** market BUY: USDT to spend; SELL: base coin */
  size: number;
  clientOid?: string;
}

export interface MixOrderInput {
  symbol: string;
  side: Side;
  /** base coin */
  size: number;
  marginMode: MarginModeId;
  reduceOnly: boolean;
  clientOid?: string;
}

export class BitgetBook {
  readonly markets = new Map<string, BitgetMarket>();
  readonly prices = new Map<string, number>();
  readonly spotBalances = new Map<string, { available: number; frozen: number }>();
  /** USDT-M wallet balance (cash, without unrealized P&L), USDT */
  mixWallet = 0;
  /** USDT-M position mode; hedge mode refuses one-way orders (40774) */
  posMode: 'one_way_mode' | 'hedge_mode' = 'one_way_mode';
  /** symbol → position (one-way: one per symbol) */
  readonly positions = new Map<string, MixPosition>();
  readonly leverage = new Map<string, number>();
  readonly marginModes = new Map<string, MarginModeId>();
  readonly orders: BitgetOrder[] = [];
  readonly fills: BitgetFill[] = [];
  readonly plans: PlanOrder[] = [];
  private nextId = 1_100_000_000_000_000_000n;

  constructor(
    markets: readonly BitgetMarket[],
    private readonly now: () => number,
  ) {
    for (const market of markets) this.markets.set(market.id, market);
  }

  /** Bitget ids are 19-digit numbers, sent as strings */
  newId(): string {
    this.nextId += 1n;
    return this.nextId.toString();
  }

  market(symbol: string | undefined): BitgetMarket {
    const market = symbol === undefined ? undefined : this.markets.get(symbol);
    if (!market) throw new BitgetReject('40034', `Parameter ${symbol ?? 'symbol'} does not exist`);
    return market;
  }

  price(symbol: string): number {
    const price = this.prices.get(symbol);
    if (price === undefined) throw new BitgetReject('40808', `No price for ${symbol}`);
    return price;
  }

  spot(coin: string): { available: number; frozen: number } {
    let entry = this.spotBalances.get(coin);
    if (!entry) this.spotBalances.set(coin, (entry = { available: 0, frozen: 0 }));
    return entry;
  }

  leverageOf(symbol: string): number {
    return this.leverage.get(symbol) ?? DEFAULT_LEVERAGE;
  }

  marginModeOf(symbol: string): MarginModeId {
    return this.marginModes.get(symbol) ?? 'crossed';
  }

  /** USDT set aside by open positions */
  usedMargin(): number {
    return [...this.positions.values()].reduce((sum, p) => sum + p.margin, 0);
  }

  unrealized(p: MixPosition): number {
    const price = this.prices.get(p.symbol) ?? p.openPriceAvg;
    return (p.holdSide === 'long' ? price - p.openPriceAvg : p.openPriceAvg - price) * p.total;
  }

  mixAvailable(): number {
    const losses = [...this.positions.values()].filter((p) => p.marginMode === 'crossed').reduce((sum, p) => sum + Math.min(0, this.unrealized(p)), 0);
    return clean(Math.max(0, this.mixWallet - this.usedMargin() + losses));
  }

  /** Bitget's liquidation price: isolated from the position's margin, crossed from the wallet */
  liquidationPrice(p: MixPosition): number {
    const cushion = p.marginMode === 'isolated' ? p.margin : this.mixWallet - this.usedMargin() + p.margin;
    const perCoin = cushion / p.total;
    const price = p.holdSide === 'long' ? (p.openPriceAvg - perCoin) / (1 - KEEP_MARGIN_RATE) : (p.openPriceAvg + perCoin) / (1 + KEEP_MARGIN_RATE);
    return Math.max(0, price);
  }

  placeSpotMarket(input: SpotOrderInput): BitgetOrder {
    const market = this.market(input.symbol);
    const price = this.price(market.id);
    const time = this.now();
    this.checkClientOid(input.clientOid);
    let base: number;
    let quote: number;
    let fee: number;
    let feeCoin: string;
    if (input.side === 'buy') {
      if (!fitsDecimals(input.size, market.spotPricePrecision)) throw new BitgetReject('40808', `Parameter verification exception size checkBDScale error value=${input.size} checkScale=${market.spotPricePrecision}`);
      if (input.size < market.minTradeUSDT) throw new BitgetReject('45110', `less than the minimum amount ${market.minTradeUSDT} USDT`);
      const wallet = this.spot(market.quote);
      if (wallet.available < input.size - 1e-12) throw new BitgetReject('43012', 'Insufficient balance');
      base = Math.floor((input.size / price) * 10 ** market.spotQuantityPrecision + 1e-9) / 10 ** market.spotQuantityPrecision;
      quote = clean(base * price);
      fee = clean(base * SPOT_FEE);
      feeCoin = market.base;
      wallet.available = clean(wallet.available - quote);
      const coin = this.spot(market.base);
      coin.available = clean(coin.available + base - fee);
    } else {
      if (!fitsDecimals(input.size, market.spotQuantityPrecision)) throw new BitgetReject('40808', `Parameter verification exception size checkBDScale error value=${input.size} checkScale=${market.spotQuantityPrecision}`);
      if (input.size * price < market.minTradeUSDT) throw new BitgetReject('45110', `less than the minimum amount ${market.minTradeUSDT} USDT`);
      const coin = this.spot(market.base);
      if (coin.available < input.size - 1e-12) throw new BitgetReject('43012', 'Insufficient balance');
      base = input.size;
      quote = clean(base * price);
      fee = clean(quote * SPOT_FEE);
      feeCoin = market.quote;
      coin.available = clean(coin.available - base);
      const wallet = this.spot(market.quote);
      wallet.available = clean(wallet.available + quote - fee);
    }
    const order: BitgetOrder = {
      venue: 'spot', orderId: this.newId(), clientOid: input.clientOid ?? this.newId(), symbol: market.id, side: input.side, orderType: 'market',
      size: input.size, baseVolume: base, quoteVolume: quote, priceAvg: price, fee, feeCoin, status: 'filled', reduceOnly: false, marginMode: 'crossed',
      profit: 0, tradeSide: 'open', cTime: time, uTime: time,
    };
    this.orders.push(order);
    this.fills.push({ venue: 'spot', tradeId: this.newId(), orderId: order.orderId, symbol: market.id, side: input.side, price, size: base, fee, feeCoin, profit: 0, tradeSide: 'open', cTime: time });
    return order;
  }

  placeMixMarket(input: MixOrderInput): BitgetOrder {
    const market = this.market(input.symbol);
    const price = this.price(market.id);
    const time = this.now();
    this.checkClientOid(input.clientOid);
    if (this.posMode === 'hedge_mode') throw new BitgetReject('40774', 'The order type for unilateral position must also be the unilateral position type.');
    if (!fitsDecimals(input.size, market.volumePlace)) throw new BitgetReject('40808', `Parameter verification exception size checkBDScale error value=${input.size} checkScale=${market.volumePlace}`);
    const held = this.positions.get(market.id);
    const closes = held !== undefined && (held.holdSide === 'long') !== (input.side === 'buy');
    if (input.reduceOnly && !closes) throw new BitgetReject('22002', 'No position to close');
    let size = input.size;
    let profit = 0;
    const fee = (qty: number) => clean(qty * price * MIX_TAKER_FEE);
    if (closes) {
      // a one-way order against the position closes it first; what is left (not reduce-only) opens the other side
      const closing = Math.min(size, held.total);
      profit = clean((held.holdSide === 'long' ? price - held.openPriceAvg : held.openPriceAvg - price) * closing);
      const released = (held.margin * closing) / held.total;
      held.margin = clean(held.margin - released);
      held.total = clean(held.total - closing);
      held.achievedProfits = clean(held.achievedProfits + profit);
      held.uTime = time;
      this.mixWallet = clean(this.mixWallet + profit - fee(closing));
      if (held.total <= 0) this.closePositionOf(market.id);
      size = input.reduceOnly ? 0 : clean(size - closing);
      const order = this.mixOrder(input, market.id, price, closing, fee(closing), profit, 'close', time);
      if (size <= 0) return order;
    } else {
      if (size < market.minTradeNum - 1e-12) throw new BitgetReject('45111', `less than the minimum order quantity ${market.minTradeNum}`);
      if (size * price < market.minTradeUSDT) throw new BitgetReject('45110', `less than the minimum amount ${market.minTradeUSDT} USDT`);
    }
    const leverage = this.leverageOf(market.id);
    const margin = clean((size * price) / leverage);
    if (this.mixAvailable() < margin + fee(size)) throw new BitgetReject('40762', 'The order amount exceeds the balance');
    const position = this.positions.get(market.id) ?? { symbol: market.id, holdSide: input.side === 'buy' ? 'long' : 'short', total: 0, openPriceAvg: 0, marginMode: input.marginMode, leverage, margin: 0, achievedProfits: 0, cTime: time, uTime: time };
    position.openPriceAvg = (position.openPriceAvg * position.total + price * size) / (position.total + size);
    position.total = clean(position.total + size);
    position.margin = clean(position.margin + margin);
    position.uTime = time;
    this.positions.set(market.id, position);
    this.mixWallet = clean(this.mixWallet - fee(size));
    return this.mixOrder(input, market.id, price, size, fee(size), 0, 'open', time);
  }

  /** a position that reached zero: its stops go with it, as on Bitget */
  private closePositionOf(symbol: string): void {
    this.positions.delete(symbol);
    for (const plan of this.plans) {
      if (plan.venue === 'mix' && plan.symbol === symbol && plan.status === 'live' && (plan.planType === 'loss_plan' || plan.planType === 'profit_plan')) {
        plan.status = 'cancelled';
        plan.uTime = this.now();
      }
    }
  }

  private mixOrder(input: MixOrderInput, symbol: string, price: number, size: number, fee: number, profit: number, tradeSide: 'open' | 'close', time: number): BitgetOrder {
    const existing = input.clientOid === undefined ? undefined : this.orders.find((o) => o.venue === 'mix' && o.clientOid === input.clientOid && o.uTime === time);
    if (existing) {
      // the opening remainder of a reversing one-way order: one order, two fills
      existing.priceAvg = (existing.priceAvg * existing.baseVolume + price * size) / (existing.baseVolume + size);
      existing.baseVolume = clean(existing.baseVolume + size);
      existing.quoteVolume = clean(existing.quoteVolume + price * size);
      existing.fee = clean(existing.fee + fee);
    }
    const order: BitgetOrder = existing ?? {
      venue: 'mix', orderId: this.newId(), clientOid: input.clientOid ?? this.newId(), symbol, side: input.side, orderType: 'market', size: input.size,
      baseVolume: size, quoteVolume: clean(price * size), priceAvg: price, fee, feeCoin: 'USDT', status: 'filled', reduceOnly: input.reduceOnly,
      marginMode: input.marginMode, profit, tradeSide, cTime: time, uTime: time,
    };
    if (!existing) this.orders.push(order);
    this.fills.push({ venue: 'mix', tradeId: this.newId(), orderId: order.orderId, symbol, side: input.side, price, size, fee, feeCoin: 'USDT', profit, tradeSide, cTime: time });
    return order;
  }

  checkClientOid(clientOid: string | undefined): void {
    if (clientOid === undefined) return;
    if (clientOid.length > 50) throw new BitgetReject('40305', 'Client_oid length is not greater than 50, and cannot be Martian characters');
    const taken = this.orders.some((o) => o.clientOid === clientOid) || this.plans.some((p) => p.clientOid === clientOid);
    if (taken) throw new BitgetReject('40786', 'Duplicate clientOid');
  }

  findOrder(venue: 'spot' | 'mix', ref: { orderId?: string; clientOid?: string }): BitgetOrder | undefined {
    return this.orders.find((o) => o.venue === venue && (ref.orderId ? o.orderId === ref.orderId : o.clientOid === ref.clientOid));
  }
}
