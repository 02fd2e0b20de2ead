/**
 * Paper exchange: a virtual wallet per account (default 10 000 USDT) trading on the shared
 * public prices of the exchange the trader picked. Market orders fill at once at the current
 * price moved against the trader by the slippage, and pay the taker fee (spot buys in the bought
 * coin, as Binance charges it without BNB, so paper and live hold the same quantities). Margin and futures allow
 * shorts and leverage with a liquidation price. Orders are rounded and checked against the real
 * market's minimums like live orders. Balances, positions and orders persist (PaperStore), so
 * a restart keeps them. Limit orders fill at once when marketable; others rest until cancelled
 * (there is no matching of resting orders).
 *
 * Protective stops (the engine's backstop, SPEC §10) are emulated as the live venues keep them,
 * so paper and live run one code path: a spot stop locks the coins it may sell (a market sell of
 * them is refused for lack of free balance), a futures stop is reduce-only; a stop the price has
 * already crossed is refused; a resting stop fires at the market price once the price is seen at
 * or beyond its trigger (checked whenever the account is used: balances, positions, orders, stop
 * lookups). Stops persist with the account (paper-stops.ts): a restart finds them as it left them.
 */
import { randomUUID } from 'node:crypto';
import { applyFill, liquidateIfCrossed, lockedMargin } from './paper-fills.ts';
import { commitFill } from '../domain/paper-account.ts';
import type { PaperState, PaperStore } from './paper-store.ts';
import { assertMinimums, roundOrder, roundToStep } from './precision.ts';
import { PaperStopBook } from './paper-stops.ts';
import {
  ExchangeError,
  type Balance,
  type Candle,
  type CandleTimeframe,
  type ClosePositionRequest,
  type ExchangeAccount,
  type ExchangePort,
  type ExchangePosition,
  type Market,
  type MarketDataFeed,
  type OrderRef,
  type OrderRequest,
  type OrderResult,
  type BackstopTraits,
  type StopOrderRequest,
  type StopOrderState,
} from './port.ts';

export interface PaperSettings {
  /** currency a new wallet is funded in */
  startCurrency: string;
  /** quote units a new wallet starts with */
  startBalance: number;
  /** taker fee, fraction of notional: 0.001 = 0.1 % */
  feeRate: number;
  /** fraction of price a market order fills worse than the tick: 0.0005 = 0.05 % */
  slippage: number;
  /** maintenance margin rate for liquidation prices, fraction */
  maintenanceRate: number;
}

export const DEFAULT_PAPER_SETTINGS: PaperSettings = { startCurrency: 'USDT', startBalance: 10_000, feeRate: 0.001, slippage: 0.0005, maintenanceRate: 0.005 };

/** current price of a symbol, quote per base; throws ExchangeError NO_PRICE when there is none */
export type PriceSource = (symbol: string) => Promise<number>;

export interface PaperExchangeDeps {
  /** accountId (api_keys.id) keys the wallet */
  account: ExchangeAccount & { accountId: string };
  store: PaperStore;
  price: PriceSource;
  /** the real exchange's markets (public data); absent → any symbol with 1e-8 steps, no minimums */
  markets?: () => Promise<Readonly<Record<string, Market>>>;
  /** the real exchange's public candles; absent (replay feed without history) → no fetchCandles */
  candles?: (symbol: string, timeframe: CandleTimeframe, limit: number) => Promise<Candle[]>;
  settings?: Partial<PaperSettings>;
  now?: () => number;
  newId?: () => string;
}

export class PaperExchange implements ExchangePort {
  readonly account: ExchangeAccount & { accountId: string };
  private readonly settings: PaperSettings;
  private readonly now: () => number;
  private readonly newId: () => string;
  private state: PaperState | undefined;
  /** the real exchange's public candles, where the paper exchange runs on live market data */
  readonly fetchCandles?: (symbol: string, timeframe: CandleTimeframe, limit: number) => Promise<Candle[]>;
  /** serializes operations of this account (a fill reads and writes the wallet) */
  private queue: Promise<unknown> = Promise.resolve();
  /** resting protective stops, persisted with the account */
  private readonly stops: PaperStopBook;

  constructor(private readonly deps: PaperExchangeDeps) {
    this.account = deps.account;
    this.settings = { ...DEFAULT_PAPER_SETTINGS, ...deps.settings };
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => `paper-${randomUUID()}`);
    this.stops = new PaperStopBook(deps.store, deps.account.accountId, deps.account.mode === 'spot');
    const { candles } = deps;
    if (candles) this.fetchCandles = (symbol, timeframe, limit) => candles(symbol, timeframe, limit);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async wallet(): Promise<PaperState> {
    await this.stops.load();
    if (this.state) return this.state;
    const loaded = await this.deps.store.load(this.account.accountId);
    if (loaded) return (this.state = loaded);
    const fresh: PaperState = { balances: new Map([[this.settings.startCurrency, this.settings.startBalance]]), positions: new Map() };
    await this.deps.store.save(this.account.accountId, { balances: fresh.balances, positions: [] });
    return (this.state = fresh);
  }

  async loadMarkets(): Promise<Readonly<Record<string, Market>>> {
    return (await this.deps.markets?.()) ?? {};
  }

  async market(symbol: string): Promise<Market> {
    if (!this.deps.markets) return syntheticMarket(symbol, this.account.mode);
    const market = (await this.deps.markets())[symbol];
    if (!market) throw new ExchangeError('UNKNOWN_SYMBOL', { message: `${symbol} is not a ${this.account.mode} market on ${this.account.exchange}.` });
    return market;
  }

  fetchBalance(): Promise<Balance> {
    return this.exclusive(async () => {
      await this.fireAllStops();
      const state = await this.wallet();
      const used = this.account.mode === 'spot' ? 0 : lockedMargin(state);
      const out: Record<string, { free: number; used: number; total: number }> = {};
      for (const [currency, total] of state.balances) {
        if (total === 0) continue;
        const locked = currency === this.settings.startCurrency ? used : this.stops.lockedBy(currency);
        out[currency] = { free: total - locked, used: locked, total };
      }
      return out;
    });
  }

  fetchPositions(symbols?: string[]): Promise<ExchangePosition[]> {
    if (this.account.mode === 'spot') return Promise.resolve([]);
    return this.exclusive(async () => {
      await this.fireAllStops();
      const state = await this.wallet();
      const out: ExchangePosition[] = [];
      for (const position of [...state.positions.values()]) {
        if (symbols && !symbols.includes(position.symbol)) continue;
        if (await this.liquidate(state, position.symbol)) continue;
        const entry: ExchangePosition = { symbol: position.symbol, side: position.side, qty: position.qty, entryPrice: position.entryPrice, leverage: position.leverage, marginMode: 'isolated' };
        if (position.liquidationPrice !== undefined) entry.liquidationPrice = position.liquidationPrice;
        out.push(entry);
      }
      return out;
    });
  }

  async fetchPrice(symbol: string): Promise<number> {
    await this.market(symbol);
    return this.deps.price(symbol);
  }

  placeOrder(request: OrderRequest): Promise<OrderResult> {
    return this.exclusive(() => this.fill(request));
  }

  private async fill(request: OrderRequest): Promise<OrderResult> {
    const { mode } = this.account;
    const reduceOnly = request.reduceOnly === true;
    if (reduceOnly && mode === 'spot') throw new ExchangeError('REDUCE_ONLY_INVALID');
    const existing = await this.deps.store.findOrder(this.account.accountId, { clientOrderId: request.clientOrderId });
    if (existing) return existing; // a retried request never fills twice
    const market = await this.market(request.symbol);
    const rounded = roundOrder(market, request);
    const tick = await this.deps.price(market.symbol);
    assertMinimums(market, rounded.qty, rounded.price ?? tick, reduceOnly);
    const state = await this.wallet();
    await this.liquidate(state, market.symbol);
    if (mode === 'spot' && request.side === 'sell' && rounded.qty > (state.balances.get(market.base) ?? 0) - this.stops.lockedBy(market.base) + 1e-12) {
      throw new ExchangeError('INSUFFICIENT_FUNDS', { message: `Not enough free ${market.base}: a stop holds the rest.` });
    }

    // the fill lands on the market's tick, rounded against the trader
    const slipped = request.side === 'buy' ? roundToStep(tick * (1 + this.settings.slippage), market.tickSize, 'up') : roundToStep(tick * (1 - this.settings.slippage), market.tickSize, 'down');
    const limit = rounded.price;
    const marketable = limit === undefined || (request.side === 'buy' ? limit >= tick : limit <= tick);
    const result: OrderResult = {
      id: this.newId(),
      clientOrderId: request.clientOrderId,
      symbol: market.symbol,
      side: request.side,
      type: request.type,
      status: 'open',
      qty: rounded.qty,
      filledQty: 0,
      avgPrice: 0,
      fee: 0,
      feeCurrency: market.quote,
      timestamp: this.now(),
    };
    if (reduceOnly) result.reduceOnly = true;
    if (!marketable) {
      await this.deps.store.save(this.account.accountId, { balances: new Map(), positions: [], order: result });
      return result;
    }
    const price = limit === undefined ? slipped : request.side === 'buy' ? Math.min(slipped, limit) : Math.max(slipped, limit);
    const leverage = mode === 'spot' ? 1 : (request.leverage ?? state.positions.get(market.symbol)?.leverage ?? 1);
    const outcome = applyFill(state, market, mode, {
      side: request.side,
      qty: rounded.qty,
      price,
      reduceOnly,
      leverage,
      feeRate: this.settings.feeRate,
      maintenanceRate: this.settings.maintenanceRate,
    });
    Object.assign(result, { status: 'closed', filledQty: outcome.filledQty, avgPrice: price, fee: outcome.fee, feeCurrency: outcome.feeCurrency });
    await this.deps.store.save(this.account.accountId, { balances: outcome.balances, positions: outcome.positions, order: result });
    commitFill(state, outcome);
    return result;
  }

  async closePosition(request: ClosePositionRequest): Promise<OrderResult> {
    const market = await this.market(request.symbol);
    const state = await this.exclusive(() => this.wallet());
    if (this.account.mode === 'spot') {
      const balance = state.balances.get(market.base) ?? 0;
      const held = balance - this.stops.lockedBy(market.base);
      if (!(held > 0)) {
        // as the live adapter answers (nothing free to sell), saying why when a resting stop holds the coins
        const why = balance > 0 ? `There is no free ${market.base} to sell: a resting stop order holds it.` : `There is no ${market.base} to sell.`;
        throw new ExchangeError('POSITION_NOT_FOUND', { message: why });
      }
      return this.placeOrder({ symbol: market.symbol, side: 'sell', type: 'market', qty: Math.min(request.qty ?? held, held), clientOrderId: request.clientOrderId });
    }
    const position = state.positions.get(market.symbol);
    if (!position) throw new ExchangeError('POSITION_NOT_FOUND', { message: `There is no open ${market.symbol} position to close.` });
    const qty = Math.min(request.qty ?? position.qty, position.qty);
    return this.placeOrder({ symbol: market.symbol, side: position.side === 'long' ? 'sell' : 'buy', type: 'market', qty, reduceOnly: true, clientOrderId: request.clientOrderId });
  }

  fetchOrder(_symbol: string, ref: OrderRef): Promise<OrderResult | undefined> {
    return this.deps.store.findOrder(this.account.accountId, ref);
  }

  cancelOrder(_symbol: string, ref: OrderRef): Promise<OrderResult | undefined> {
    return this.exclusive(async () => {
      const order = await this.deps.store.findOrder(this.account.accountId, ref);
      if (!order || order.status !== 'open') return undefined;
      const canceled: OrderResult = { ...order, status: 'canceled' };
      await this.deps.store.save(this.account.accountId, { balances: new Map(), positions: [], order: canceled });
      return canceled;
    });
  }

  async close(): Promise<void> {
    await this.queue;
  }

  backstopTraits(): BackstopTraits {
    return { locksBalance: this.account.mode === 'spot', amendable: false };
  }

  placeStop(request: StopOrderRequest): Promise<StopOrderState> {
    return this.exclusive(async () => {
      await this.stops.load();
      const known = this.stops.get(request.clientOrderId);
      if (known?.state.status === 'open') return { ...known.state }; // a retried request never places twice
      const market = await this.market(request.symbol);
      const long = request.side === 'long';
      const stopPrice = roundToStep(request.stopPrice, market.tickSize, long ? 'down' : 'up');
      const qty = roundToStep(request.qty, market.stepSize, 'down');
      if (!(qty > 0)) throw new ExchangeError('ORDER_BELOW_MINIMUM');
      const price = await this.deps.price(market.symbol);
      if (long ? price <= stopPrice : price >= stopPrice) throw new ExchangeError('INVALID_ORDER', { message: 'Stop price would trigger immediately.' });
      if (this.account.mode === 'spot') {
        const state = await this.wallet();
        const free = (state.balances.get(market.base) ?? 0) - this.stops.lockedBy(market.base);
        if (qty > free + 1e-12) throw new ExchangeError('INSUFFICIENT_FUNDS', { message: `Not enough free ${market.base} for the stop.` });
      }
      const stop = { symbol: market.symbol, side: request.side, base: market.base, state: { id: this.newId(), clientOrderId: request.clientOrderId, status: 'open' as const, stopPrice, qty } };
      await this.stops.add(stop);
      return { ...stop.state };
    });
  }

  fetchStop(symbol: string, ref: OrderRef): Promise<StopOrderState | undefined> {
    return this.exclusive(async () => {
      await this.fireStops(symbol);
      const stop = this.stops.find(ref);
      return stop && { ...stop.state };
    });
  }

  cancelStop(_symbol: string, ref: OrderRef): Promise<StopOrderState | undefined> {
    return this.exclusive(async () => {
      await this.stops.load();
      const stop = this.stops.find(ref);
      if (!stop || stop.state.status !== 'open') return undefined;
      await this.stops.update(stop, { status: 'canceled' });
      return { ...stop.state };
    });
  }

  private async fireAllStops(): Promise<void> {
    await this.stops.load();
    const symbols = new Set(this.stops.open().map((s) => s.symbol));
    for (const symbol of symbols) await this.fireStops(symbol);
  }

  /** fires the resting stops of `symbol` whose trigger the current price reached (at that price, with slippage) */
  private async fireStops(symbol: string): Promise<void> {
    await this.stops.load();
    const open = this.stops.open(symbol);
    if (open.length === 0) return;
    const price = await this.deps.price(symbol).catch(() => undefined);
    if (price === undefined) return;
    for (const stop of open) {
      const long = stop.side === 'long';
      if (long ? price > stop.state.stopPrice : price < stop.state.stopPrice) continue;
      stop.state.status = 'closed'; // unlocks the coins before the sell
      let fill: OrderResult;
      try {
        fill = await this.fill({ symbol, side: long ? 'sell' : 'buy', type: 'market', qty: stop.state.qty, reduceOnly: this.account.mode !== 'spot', clientOrderId: `${stop.state.clientOrderId}f` });
      } catch (error) {
        stop.state.status = 'open';
        // the wallet could not be written (its database is down): nothing was sold, the stop keeps
        // resting and fires on a later tick; only a sell the paper exchange refused expires it
        if (!(error instanceof ExchangeError)) continue;
        await this.stops.update(stop, { status: 'expired' });
        continue;
      }
      // the fill is stored; a stop row left 'open' by a failed write is read as fired at load
      stop.state = { ...stop.state, status: 'closed', fill };
      await this.stops.update(stop, { status: 'closed', fill });
    }
  }

  /** removes a position whose liquidation price the market crossed; true when it did */
  private async liquidate(state: PaperState, symbol: string): Promise<boolean> {
    const position = state.positions.get(symbol);
    if (!position?.liquidationPrice) return false;
    const market = await this.market(symbol);
    const outcome = liquidateIfCrossed(state, market, await this.deps.price(symbol));
    if (!outcome) return false;
    await this.deps.store.save(this.account.accountId, { balances: outcome.balances, positions: outcome.positions });
    commitFill(state, outcome);
    return true;
  }
}

/** A market for offline sessions (replay) when the real exchange's markets are not at hand. */
export function syntheticMarket(symbol: string, mode: ExchangeAccount['mode']): Market {
  const [pair = symbol, settle] = symbol.split(':');
  const [base = pair, quote = 'USDT'] = pair.split('/');
  const market: Market = { symbol, id: symbol, base, quote, type: mode === 'futures' ? 'swap' : 'spot', tickSize: 1e-8, stepSize: 1e-8, minQty: 0, minCost: 0, contractSize: 1 };
  if (settle) market.settle = settle;
  return market;
}

/**
 * Prices for paper fills from a shared feed: the latest tick, or the first one after
 * subscribing. Symbols stay subscribed (so later fills see fresh prices) until `close()`.
 */
export function feedPriceSource(feed: MarketDataFeed, options: { timeoutMs?: number } = {}): PriceSource & { close(): void } {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const held = new Map<string, () => void>();
  const source = async (symbol: string): Promise<number> => {
    if (!held.has(symbol)) held.set(symbol, feed.subscribe(symbol, () => {}));
    if (feed.isStale()) throw new ExchangeError('NO_PRICE', { message: `Prices from ${feed.exchange} are stale; paper orders wait for fresh ones.` });
    const tick = feed.lastTick(symbol);
    if (tick) return tick.price;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new ExchangeError('NO_PRICE', { message: `No price for ${symbol} from ${feed.exchange} within ${timeoutMs / 1000} s.` }));
      }, timeoutMs);
      const stop = feed.subscribe(symbol, (t) => {
        clearTimeout(timer);
        stop();
        resolve(t.price);
      });
    });
  };
  return Object.assign(source, {
    close() {
      for (const stop of held.values()) stop();
      held.clear();
    },
  });
}
