/**
 * The Kraken spot emulator's state: wallet per asset, last prices, orders, trades, margin lots.
 *
 * - Spot orders pay the fee in the QUOTE currency unless `oflags` says `fcib` (Kraken's default for
 *   our pairs; `fciq` asks for it explicitly). A resting sell (limit or stop) holds its volume of
 *   the base, a resting buy its cost in quote: `hold_trade` in BalanceEx, unavailable to new orders.
 * - A `leverage` param makes it a margin order: it opens (or, against an open position of the
 *   other side, closes) margin lots; nothing is bought, the quote wallet pays the fees and takes
 *   the realized P&L. `reduce_only` caps it at the open volume.
 * - Stop-loss(-limit) orders trigger when the last price reaches the trigger (a sell at or below
 *   it, a buy at or above); a stop-loss then fills at that price, a stop-loss-limit fills at that
 *   price when it is no worse than its limit (`price2`), else rests at the limit.
 */
import {
  KRAKEN_ASSETS,
  KrakenReject,
  MARGIN_STOP_LEVEL,
  TAKER_FEE,
  decimalsOf,
  roundTo,
  type KrakenAsset,
  type KrakenOrder,
  type KrakenPair,
  type KrakenTrade,
  type MarginLot,
  type OrderType,
} from './kraken-types.ts';

export interface AddOrderInput {
  pair?: string;
  type?: string;
  ordertype?: string;
  volume?: string;
  price?: string;
  price2?: string;
  leverage?: string;
  reduce_only?: string;
  oflags?: string;
  cl_ord_id?: string;
  userref?: string;
  validate?: string;
}

const ORDER_TYPES: readonly OrderType[] = ['market', 'limit', 'stop-loss', 'stop-loss-limit'];
const UUID_LONG = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_SHORT = /^[0-9a-f]{32}$/i;

/** Kraken's cl_ord_id: a long UUID (36), a short UUID (32 hex) or free text of at most 18 characters */
export function validClOrdId(id: string): boolean {
  return UUID_LONG.test(id) || UUID_SHORT.test(id) || (id.length > 0 && id.length <= 18 && /^[\x20-\x7e]+$/.test(id));
}

function krakenId(prefix: string, n: number): string {
  const body = n.toString(36).toUpperCase().padStart(16, '0');
  return `${prefix}${body.slice(0, 5)}-${body.slice(5, 10)}-${body.slice(10, 16)}`;
}

export class KrakenBook {
  /** asset id → quantity */
  readonly balances = new Map<string, number>();
  /** pair id → last price */
  readonly prices = new Map<string, number>();
  readonly orders: KrakenOrder[] = [];
  readonly trades: KrakenTrade[] = [];
  readonly lots: MarginLot[] = [];
  private seq = 0;

  constructor(
    readonly pairs: readonly KrakenPair[],
    private readonly now: () => number,
  ) {}

  pair(name: string): KrakenPair {
    const pair = this.pairs.find((p) => p.id === name || p.altname === name);
    if (!pair) throw new KrakenReject('EQuery:Unknown asset pair');
    return pair;
  }

  asset(idOrCode: string): KrakenAsset {
    const asset = KRAKEN_ASSETS.find((a) => a.id === idOrCode || a.code === idOrCode || a.altname === idOrCode);
    if (!asset) throw new KrakenReject('EQuery:Unknown asset');
    return asset;
  }

  /** the wallet's quantity of a coin, by unified code or Kraken id */
  cash(code: string): number {
    return this.balances.get(this.asset(code).id) ?? 0;
  }

  setCash(code: string, quantity: number): void {
    this.balances.set(this.asset(code).id, quantity);
  }

  price(pair: KrakenPair): number {
    const price = this.prices.get(pair.id);
    if (price === undefined) throw new KrakenReject('EService:Unavailable');
    return price;
  }

  /** what resting orders hold of an asset */
  held(assetId: string): number {
    return this.orders.filter((o) => (o.status === 'open' || o.status === 'pending') && o.hold?.asset === assetId).reduce((s, o) => s + o.hold!.amount, 0);
  }

  available(assetId: string): number {
    return (this.balances.get(assetId) ?? 0) - this.held(assetId);
  }

  openLots(pair?: KrakenPair): MarginLot[] {
    return this.lots.filter((l) => l.vol - l.volClosed > 1e-12 && (pair === undefined || l.pair.id === pair.id));
  }

  /** TradeBalance in the quote currency's terms (USDT and USD count 1:1, coins at their last price) */
  tradeBalance(): { eb: number; tb: number; m: number; n: number; c: number; v: number; e: number; mf: number; ml: number | undefined } {
    let tb = 0;
    for (const [assetId, qty] of this.balances) {
      if (qty === 0) continue;
      const pair = this.pairs.find((p) => p.base === assetId && p.quote === 'USDT');
      tb += pair ? qty * (this.prices.get(pair.id) ?? 0) : qty;
    }
    let m = 0;
    let n = 0;
    let c = 0;
    let v = 0;
    for (const lot of this.openLots()) {
      const open = lot.vol - lot.volClosed;
      const price = this.prices.get(lot.pair.id) ?? 0;
      const cost = (lot.cost * open) / lot.vol;
      m += (lot.margin * open) / lot.vol;
      c += cost;
      v += open * price;
      n += lot.type === 'buy' ? open * price - cost : cost - open * price;
    }
    const e = tb + n;
    return { eb: tb, tb, m, n, c, v, e, mf: e - m, ml: m > 0 ? (e / m) * 100 : undefined };
  }

  /** AddOrder: validates as Kraken does, places, fills what is marketable */
  addOrder(input: AddOrderInput): KrakenOrder {
    const pair = this.pair(input.pair ?? '');
    const type = input.type;
    if (type !== 'buy' && type !== 'sell') throw new KrakenReject('EGeneral:Invalid arguments:type');
    const ordertype = input.ordertype as OrderType;
    if (!ORDER_TYPES.includes(ordertype)) throw new KrakenReject('EGeneral:Invalid arguments:ordertype');
    const volText = input.volume ?? '';
    const vol = Number(volText);
    if (volText === '' || !Number.isFinite(vol) || vol <= 0) throw new KrakenReject('EGeneral:Invalid arguments:volume');
    if (decimalsOf(volText.replace(/0+$/, '')) > pair.lotDecimals) throw new KrakenReject('EGeneral:Invalid arguments:volume');
    if (vol < Number(pair.ordermin)) throw new KrakenReject('EOrder:Order minimum not met');
    const price = this.priceArg(pair, input.price, ordertype !== 'market');
    const price2 = this.priceArg(pair, input.price2, ordertype === 'stop-loss-limit');
    const clOrdId = input.cl_ord_id;
    if (clOrdId !== undefined) {
      if (input.userref !== undefined) throw new KrakenReject('EGeneral:Invalid arguments:cl_ord_id and userref are mutually exclusive');
      if (!validClOrdId(clOrdId)) throw new KrakenReject('EGeneral:Invalid arguments:cl_ord_id');
      if (this.orders.some((o) => o.clOrdId === clOrdId && (o.status === 'open' || o.status === 'pending'))) throw new KrakenReject('EOrder:Duplicate cl_ord_id');
    }
    const userref = input.userref === undefined ? 0 : Number(input.userref);
    if (!Number.isInteger(userref)) throw new KrakenReject('EGeneral:Invalid arguments:userref');
    let leverage: number | undefined;
    if (input.leverage !== undefined && input.leverage !== 'none') {
      leverage = Number(input.leverage);
      if (!pair.leverage.includes(leverage)) throw new KrakenReject('EGeneral:Invalid arguments:leverage');
    }
    const reduceOnly = input.reduce_only === 'true' || input.reduce_only === 'True';
    if (reduceOnly && leverage === undefined) throw new KrakenReject('EOrder:Reduce only:Non-PC');
    const last = this.price(pair);
    const reference = ordertype === 'market' ? last : price!;
    if (vol * reference < Number(pair.costmin)) throw new KrakenReject('EOrder:Cost minimum not met');
    const oflags = (input.oflags ?? '').split(',').filter((f) => f !== '');
    if (input.validate === 'true') throw new KrakenReject('EGeneral:Invalid arguments:validate (not served by the emulator)');

    const order: KrakenOrder = {
      txid: krakenId('O', ++this.seq * 7919),
      clOrdId,
      userref,
      pair,
      type,
      ordertype,
      vol,
      volExec: 0,
      price,
      price2,
      leverage,
      reduceOnly,
      oflags,
      status: 'open',
      triggered: false,
      cost: 0,
      fee: 0,
      feeAsset: oflags.includes('fcib') ? pair.base : pair.quote,
      hold: undefined,
      trades: [],
      reason: null,
      opentm: this.now() / 1000,
      closetm: undefined,
    };
    if (leverage === undefined) this.checkSpotFunds(order, last);
    else this.checkMargin(order, last);
    this.orders.push(order);
    this.match(order, last);
    return order;
  }

  private priceArg(pair: KrakenPair, text: string | undefined, required: boolean): number | undefined {
    if (text === undefined || text === '') {
      if (required) throw new KrakenReject('EGeneral:Invalid arguments:price');
      return undefined;
    }
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new KrakenReject('EGeneral:Invalid arguments:price');
    if (decimalsOf(text.replace(/\.?0+$/, '')) > pair.pairDecimals) throw new KrakenReject(`EOrder:Invalid price:${pair.altname} price can only be specified up to ${pair.pairDecimals} decimals.`);
    return value;
  }

  /** spot: a sell needs the base free, a buy the quote (cost and fee at the reference price) */
  private checkSpotFunds(order: KrakenOrder, last: number): void {
    const { pair } = order;
    if (order.type === 'sell') {
      if (this.available(pair.base) < order.vol - 1e-12) throw new KrakenReject('EOrder:Insufficient funds');
      if (order.ordertype !== 'market') order.hold = { asset: pair.base, amount: order.vol };
      return;
    }
    const reference = order.ordertype === 'market' ? last : order.ordertype === 'stop-loss-limit' ? order.price2! : order.price!;
    const needed = order.vol * reference * (1 + (order.feeAsset === pair.quote ? TAKER_FEE : 0));
    if (this.available(pair.quote) < needed - 1e-9) throw new KrakenReject('EOrder:Insufficient funds');
    if (order.ordertype !== 'market') order.hold = { asset: pair.quote, amount: needed };
  }

  /** margin: an opening order needs its margin (cost / leverage) and fee within the free margin */
  private checkMargin(order: KrakenOrder, last: number): void {
    const closable = this.closableVolume(order);
    if (order.reduceOnly && closable <= 0) throw new KrakenReject('EOrder:Reduce only:No position exists');
    const opening = order.reduceOnly ? 0 : Math.max(0, order.vol - closable);
    if (opening <= 0) return;
    const reference = order.ordertype === 'market' ? last : order.price!;
    const cost = opening * reference;
    const { mf } = this.tradeBalance();
    if (mf < cost / order.leverage! + cost * TAKER_FEE) throw new KrakenReject('EOrder:Margin level too low');
  }

  /** open volume of the other side's margin lots on the pair: what this order closes first */
  private closableVolume(order: KrakenOrder): number {
    return this.openLots(order.pair)
      .filter((l) => l.type !== order.type)
      .reduce((s, l) => s + l.vol - l.volClosed, 0);
  }

  /** after a price move: stops trigger, resting limits fill */
  onPrice(pair: KrakenPair): void {
    const last = this.price(pair);
    for (const order of this.orders.filter((o) => o.pair.id === pair.id && o.status === 'open')) this.match(order, last);
    this.liquidate(pair);
  }

  private match(order: KrakenOrder, last: number): void {
    const sell = order.type === 'sell';
    if (order.ordertype === 'stop-loss' || order.ordertype === 'stop-loss-limit') {
      if (!order.triggered) {
        if (sell ? last > order.price! : last < order.price!) return;
        order.triggered = true;
      }
      if (order.ordertype === 'stop-loss') return this.fill(order, last);
      if (sell ? last >= order.price2! : last <= order.price2!) this.fill(order, last);
      return;
    }
    if (order.ordertype === 'market') return this.fill(order, last);
    if (sell ? last >= order.price! : last <= order.price!) this.fill(order, order.price!);
  }

  /** fills the rest of an order at `price` */
  private fill(order: KrakenOrder, price: number): void {
    const { pair } = order;
    let vol = roundTo(order.vol - order.volExec, pair.lotDecimals);
    const quoteDecimals = this.asset(pair.quote).decimals;
    const time = this.now() / 1000;
    order.hold = undefined;
    let net: number | undefined;
    let margin = 0;
    let misc = '';
    if (order.leverage === undefined) {
      if (order.type === 'sell' && (this.balances.get(pair.base) ?? 0) < vol - 1e-12) {
        // the coins went elsewhere meanwhile: Kraken cancels what cannot be covered
        this.finish(order, 'canceled', 'Insufficient funds');
        return;
      }
    } else {
      const closing = this.closableVolume(order);
      if (order.reduceOnly) vol = Math.min(vol, roundTo(closing, pair.lotDecimals));
      if (vol <= 0) {
        this.finish(order, 'canceled', 'Reduce only');
        return;
      }
    }
    const cost = roundTo(vol * price, quoteDecimals);
    const fee = order.feeAsset === pair.base ? roundTo(vol * TAKER_FEE, this.asset(pair.base).decimals) : roundTo(cost * TAKER_FEE, quoteDecimals);
    const add = (asset: string, delta: number) => this.balances.set(asset, roundTo((this.balances.get(asset) ?? 0) + delta, this.asset(asset).decimals));
    const tradeId = krakenId('T', ++this.seq * 104_729);
    if (order.leverage === undefined) {
      if (order.type === 'buy') {
        add(pair.quote, -cost);
        add(pair.base, vol);
      } else {
        add(pair.base, -vol);
        add(pair.quote, cost);
      }
      add(order.feeAsset, -fee);
    } else {
      // closes lots of the other side first (oldest first), opens the rest
      let left = vol;
      net = 0;
      for (const lot of this.openLots(pair).filter((l) => l.type !== order.type)) {
        if (left <= 1e-12) break;
        const take = Math.min(left, lot.vol - lot.volClosed);
        const entry = lot.cost / lot.vol;
        net += lot.type === 'buy' ? (price - entry) * take : (entry - price) * take;
        lot.volClosed = roundTo(lot.volClosed + take, pair.lotDecimals);
        left = roundTo(left - take, pair.lotDecimals);
        misc = 'closing';
      }
      net = roundTo(net, quoteDecimals);
      add(pair.quote, net - fee);
      if (left > 1e-12) {
        const openCost = roundTo(left * price, quoteDecimals);
        margin = roundTo(openCost / order.leverage, quoteDecimals);
        this.lots.push({ id: tradeId, ordertxid: order.txid, pair, type: order.type, vol: left, volClosed: 0, cost: openCost, margin, fee, leverage: order.leverage, time });
      }
      if (misc === '') net = undefined;
    }
    this.trades.push({ id: tradeId, ordertxid: order.txid, postxid: krakenId('T', this.seq * 7), pair, time, type: order.type, ordertype: order.ordertype, price, cost, fee, feeAsset: order.feeAsset, vol, margin, leverage: order.leverage, misc, net });
    order.trades.push(tradeId);
    order.volExec = roundTo(order.volExec + vol, pair.lotDecimals);
    order.cost = roundTo(order.cost + cost, quoteDecimals);
    order.fee = roundTo(order.fee + fee, this.asset(order.feeAsset).decimals);
    this.finish(order, 'closed', null);
  }

  private finish(order: KrakenOrder, status: 'closed' | 'canceled', reason: string | null): void {
    order.status = status;
    order.reason = reason;
    order.hold = undefined;
    order.closetm = this.now() / 1000;
  }

  /** CancelOrder by txid or cl_ord_id: only open orders; answers how many were cancelled */
  cancel(ref: { txid?: string; clOrdId?: string }): number {
    const order = this.orders.find((o) => (ref.txid !== undefined ? o.txid === ref.txid : o.clOrdId === ref.clOrdId) && (o.status === 'open' || o.status === 'pending'));
    if (!order) throw new KrakenReject('EOrder:Unknown order');
    this.finish(order, 'canceled', 'User requested');
    return 1;
  }

  /** Kraken closes margin positions at market when the margin level falls to 40 % */
  private liquidate(pair: KrakenPair): void {
    const { ml } = this.tradeBalance();
    if (ml === undefined || ml > MARGIN_STOP_LEVEL) return;
    for (const lot of this.openLots(pair)) {
      const order = this.addLiquidation(lot);
      this.fill(order, this.price(pair));
    }
  }

  private addLiquidation(lot: MarginLot): KrakenOrder {
    const order: KrakenOrder = {
      txid: krakenId('O', ++this.seq * 7919),
      clOrdId: undefined,
      userref: 0,
      pair: lot.pair,
      type: lot.type === 'buy' ? 'sell' : 'buy',
      ordertype: 'market',
      vol: roundTo(lot.vol - lot.volClosed, lot.pair.lotDecimals),
      volExec: 0,
      price: undefined,
      price2: undefined,
      leverage: lot.leverage,
      reduceOnly: true,
      oflags: [],
      status: 'open',
      triggered: false,
      cost: 0,
      fee: 0,
      feeAsset: lot.pair.quote,
      hold: undefined,
      trades: [],
      reason: 'Liquidation',
      opentm: this.now() / 1000,
      closetm: undefined,
    };
    this.orders.push(order);
    return order;
  }
}
