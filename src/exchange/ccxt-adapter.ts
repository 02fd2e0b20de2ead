/**
 * ExchangePort over one ccxt instance for one account. Exchange differences come from the
 * account's quirks; raw shapes are mapped in ccxt-mapping.ts; errors in errors.ts.
 *
 * Placing is safe to retry: every order carries our client order id, and after an ambiguous
 * failure (timeout, dropped connection, 5xx) the order is looked up by that id before another
 * attempt, so a retry never places it twice.
 */
import ccxt, { MarginModeAlreadySet, NoChange } from 'ccxt';
import type { Exchange, Fee, Market as CcxtMarket, Order as CcxtOrder, Trade } from 'ccxt';
import { liquidationFromMarginLevel } from '../domain/liquidation.ts';
import { toBalance, toCandles, toMarket, toOrderResult, toPosition } from './ccxt-mapping.ts';
import { parseRetryAfter, toExchangeError } from './errors.ts';
import { placeOnce } from './place-once.ts';
import { PriorityGate } from './priority.ts';
import { assertMayAct } from './send-guard.ts';
import { assertMinimums, roundOrder, roundToStep } from './precision.ts';
import {
  ExchangeError,
  type AccountTrade,
  type Balance,
  type Candle,
  type CandleTimeframe,
  type ClosePositionRequest,
  type ExchangeAccount,
  type ExchangePort,
  type ExchangePosition,
  type KeyPermissions,
  type MarginMode,
  type Market,
  type OrderRef,
  type OrderRequest,
  type OrderResult,
  type PositionMode,
  type BackstopTraits,
  type StopOrderRequest,
  type StopOrderState,
} from './port.ts';
import { AMBIGUOUS_CODES } from './place-once.ts';
import type { BackstopOrder, ExchangeQuirks } from './quirks/types.ts';
import { DEFAULT_RETRY_POLICY, realRetryDeps, withRetry, type RetryDeps, type RetryPolicy } from './retry.ts';

/** Loads markets once per exchange and mode, shared by every account's instance. */
export interface MarketCache {
  get(key: string, load: () => Promise<Record<string, CcxtMarket>>): Promise<Record<string, CcxtMarket>>;
}

export interface CcxtAdapterDeps {
  account: ExchangeAccount;
  exchange: Exchange;
  quirks: ExchangeQuirks;
  retryPolicy?: RetryPolicy;
  retryDeps?: RetryDeps;
  marketCache?: MarketCache;
  /** latest price from the shared feed (checks the minimum order value without a request) */
  priceHint?: (symbol: string) => number | undefined;
  onRetry?: (event: { operation: string; code: string; attempt: number; delayMs: number }) => void;
}

export class CcxtExchange implements ExchangePort {
  readonly account: ExchangeAccount;
  private readonly ex: Exchange;
  private readonly quirks: ExchangeQuirks;
  private readonly policy: RetryPolicy;
  private readonly retryDeps: RetryDeps;
  private markets: Record<string, Market> | undefined;
  private loading: Promise<Record<string, Market>> | undefined;
  /** symbol → the account's leverage limit read from the venue (accountMaxLeverage), and when */
  private readonly leverageLimits = new Map<string, { value: number | undefined; at: number }>();
  /** symbol → "leverage|marginMode" already applied on the exchange */
  private readonly applied = new Map<string, string>();
  /** futures: the account's position mode as the exchange reports it (read once per instance) */
  private positionModeRead: Promise<PositionMode> | undefined;
  /** exits ahead of balance refreshes and reports (priority.ts) */
  private readonly gate = new PriorityGate();

  constructor(private readonly deps: CcxtAdapterDeps) {
    this.account = deps.account;
    this.ex = deps.exchange;
    // the last check of an order, stop or cancel made under actingUnder: right before the request
    // leaves, after ccxt's throttle (send-guard.ts)
    const fetch = this.ex.fetch.bind(this.ex);
    this.ex.fetch = async (...args: Parameters<Exchange['fetch']>) => {
      assertMayAct();
      return fetch(...args);
    };
    this.quirks = deps.quirks;
    this.policy = deps.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.retryDeps = deps.retryDeps ?? realRetryDeps;
  }

  private get marginMode(): MarginMode {
    return this.account.marginMode ?? 'isolated';
  }

  /** one ccxt call with error mapping and retries of temporary errors (idempotent calls only) */
  private call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (ROUTINE.has(operation)) return this.gate.routine(() => this.callNow(operation, fn));
    return this.callNow(operation, fn);
  }

  private callNow<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(() => this.once(fn), this.policy, this.retryDeps, (error, attempt, delayMs) =>
      this.deps.onRetry?.({ operation, code: error.code, attempt, delayMs }),
    );
  }

  private async once<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const retryAfterSec = parseRetryAfter(this.ex.last_response_headers as Record<string, unknown> | undefined);
      throw toExchangeError(error, retryAfterSec === undefined ? { quirks: this.quirks } : { quirks: this.quirks, retryAfterSec });
    }
  }

  loadMarkets(): Promise<Readonly<Record<string, Market>>> {
    if (this.markets) return Promise.resolve(this.markets);
    this.loading ??= this.fetchMarkets().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async fetchMarkets(): Promise<Record<string, Market>> {
    const { marketCache } = this.deps;
    const key = `${this.ex.id}:${this.account.mode}`;
    const raw = marketCache
      ? await marketCache.get(key, () => this.call('loadMarkets', () => this.ex.loadMarkets()))
      : await this.call('loadMarkets', () => this.ex.loadMarkets());
    if (marketCache && this.ex.markets !== raw) this.ex.setMarkets(raw);
    const markets: Record<string, Market> = {};
    for (const market of Object.values(raw)) {
      if (!market || !this.quirks.acceptsMarket(market, this.account.mode)) continue;
      const mapped = toMarket(market, Number(this.ex.precisionMode));
      mapped.maxLeverage ??= this.quirks.maxLeverage?.(market);
      if (mapped.maxLeverage === undefined) delete mapped.maxLeverage;
      markets[market.symbol] = mapped;
    }
    this.markets = markets;
    return markets;
  }

  async market(symbol: string): Promise<Market> {
    const market = (await this.loadMarkets())[symbol];
    if (market) return market;
    const listed = this.ex.markets?.[symbol];
    const reason = listed ? this.quirks.refusedMarketReason?.(listed, this.account.mode) : undefined;
    throw new ExchangeError('UNKNOWN_SYMBOL', { message: reason ? `${symbol} is not traded on ${this.account.exchange} ${this.account.mode}: ${reason}.` : `${symbol} is not a ${this.account.mode} market on ${this.account.exchange}.` });
  }

  async maxLeverage(symbol: string): Promise<number | undefined> {
    const market = await this.market(symbol);
    const { accountMaxLeverage } = this.quirks;
    if (!accountMaxLeverage) return market.maxLeverage;
    const now = Date.now();
    let cached = this.leverageLimits.get(market.symbol);
    if (!cached || now - cached.at > LEVERAGE_LIMIT_TTL_MS) {
      const id = this.ex.markets?.[market.symbol]?.id ?? market.symbol;
      cached = { value: await this.call('accountMaxLeverage', () => accountMaxLeverage(this.ex, { id, symbol: market.symbol }, this.account.mode)), at: now };
      this.leverageLimits.set(market.symbol, cached);
    }
    const limits = [market.maxLeverage, cached.value].filter((v): v is number => v !== undefined && v > 0);
    return limits.length > 0 ? Math.min(...limits) : undefined;
  }

  async fetchBalance(): Promise<Balance> {
    await this.loadMarkets();
    const params = this.quirks.balanceParams(this.account.mode, this.marginMode);
    const raw = await this.call('fetchBalance', () => this.ex.fetchBalance(params));
    const balance = toBalance(raw);
    return this.quirks.adjustBalance ? this.quirks.adjustBalance(balance, raw.info, this.account.mode) : balance;
  }

  reportsPositions(): boolean {
    return this.quirks.reportsPositions(this.account.mode);
  }

  async fetchPositions(symbols?: string[]): Promise<ExchangePosition[]> {
    if (!this.quirks.reportsPositions(this.account.mode)) return [];
    const markets = await this.loadMarkets();
    const raw = await this.call('fetchPositions', () => this.ex.fetchPositions(symbols));
    const positions = raw.flatMap((p) => {
      const mapped = toPosition(p, p.symbol ? markets[p.symbol] : undefined);
      if (!mapped || (symbols && !symbols.includes(mapped.symbol))) return [];
      const adjusted = this.quirks.adjustPosition ? this.quirks.adjustPosition(mapped, (p.info ?? {}) as Record<string, unknown>) : mapped;
      return adjusted.qty > 0 ? [adjusted] : [];
    });
    const { fetchMarginLevel } = this.quirks;
    if (fetchMarginLevel && positions.some((p) => p.marginLevel === undefined)) {
      const level = await this.call('fetchMarginLevel', () => fetchMarginLevel(this.ex, this.account.mode));
      if (level !== undefined) for (const p of positions) p.marginLevel ??= level;
    }
    const liquidationLevel = this.quirks.liquidationMarginLevel;
    if (liquidationLevel !== undefined) for (const p of positions) this.estimateLiquidation(p, liquidationLevel);
    return positions;
  }

  /** where the exchange reports a margin level but no liquidation price: the price at which the position's share of the cushion is lost */
  private estimateLiquidation(p: ExchangePosition, liquidationLevel: number): void {
    if (p.liquidationPrice !== undefined || p.marginLevel === undefined || p.margin === undefined) return;
    const fromPnl = p.unrealizedPnl === undefined ? undefined : p.entryPrice + (p.side === 'long' ? 1 : -1) * (p.unrealizedPnl / p.qty);
    const price = p.markPrice ?? fromPnl ?? p.entryPrice;
    const liq = liquidationFromMarginLevel({ side: p.side, qty: p.qty, price, margin: p.margin, marginLevel: p.marginLevel, liquidationLevel });
    if (liq !== undefined && liq > 0) p.liquidationPrice = liq;
  }

  /**
   * Futures: one-way or hedge, read from the exchange (ccxt fetchPositionMode) once per account
   * instance; one-way where the exchange or mode has no such setting.
   */
  positionMode(): Promise<PositionMode> {
    if (this.account.mode !== 'futures' || !this.ex.has['fetchPositionMode']) return Promise.resolve('one-way');
    this.positionModeRead ??= this.call('fetchPositionMode', () => this.ex.fetchPositionMode()).then(
      (r) => (r.hedged ? 'hedge' : 'one-way'),
      (error: unknown) => {
        this.positionModeRead = undefined;
        throw error;
      },
    );
    return this.positionModeRead;
  }

  async fetchPrice(symbol: string): Promise<number> {
    await this.market(symbol);
    const ticker = await this.call('fetchTicker', () => this.ex.fetchTicker(symbol));
    const price = ticker.last ?? ticker.close ?? (ticker.bid && ticker.ask ? (ticker.bid + ticker.ask) / 2 : undefined);
    if (!price) throw new ExchangeError('NO_PRICE', { message: `No current price for ${symbol}.` });
    return price;
  }

  /** the exchange's report of the key's permissions; {} where the exchange cannot tell */
  async keyPermissions(): Promise<KeyPermissions> {
    const { keyPermissions } = this.quirks;
    if (!keyPermissions) return {};
    return this.call('keyPermissions', () => keyPermissions(this.ex));
  }

  /** OHLCV through ccxt fetchOHLCV (public); rows with a missing number are dropped */
  async fetchCandles(symbol: string, timeframe: CandleTimeframe, limit: number): Promise<Candle[]> {
    const market = await this.market(symbol);
    return toCandles(await this.call('fetchOHLCV', () => this.ex.fetchOHLCV(market.symbol, timeframe, undefined, limit)));
  }

  async placeOrder(request: OrderRequest): Promise<OrderResult> {
    const market = await this.market(request.symbol);
    const { mode } = this.account;
    const reduceOnly = request.reduceOnly === true;
    if (reduceOnly && !this.quirks.supportsReduceOnly(mode)) throw new ExchangeError('REDUCE_ONLY_INVALID');
    if (request.type === 'limit' && !(request.price !== undefined && request.price > 0)) {
      throw new ExchangeError('INVALID_ORDER', { message: 'A limit order needs a price above zero.' });
    }
    const rounded = roundOrder(market, request);
    const checkPrice = rounded.price ?? (market.minCost > 0 && !reduceOnly ? await this.currentPrice(request.symbol) : undefined);
    assertMinimums(market, rounded.qty, checkPrice, reduceOnly);
    const marginMode = request.marginMode ?? this.marginMode;
    // never above the market's own maximum, whatever the settings asked
    const leverage = request.leverage === undefined ? undefined : capLeverage(request.leverage, { maxLeverage: await this.maxLeverage(market.symbol) });
    await this.applySettings(market, leverage, marginMode);

    const exchangeClientId = this.quirks.normalizeClientOrderId(request.clientOrderId, this.account.mode);
    const hedged = (await this.positionMode()) === 'hedge';
    const params = this.quirks.orderParams({
      mode,
      marginMode,
      side: request.side,
      clientOrderId: exchangeClientId,
      reduceOnly,
      ...(leverage !== undefined ? { leverage } : {}),
    });
    // ccxt's unified flag: the order names its position side (Binance positionSide, Bybit positionIdx, OKX posSide, Bitget)
    if (hedged) params.hedged = true;
    // base units → the exchange's unit (contracts on OKX swaps), truncated by ccxt's own precision (never above what was asked)
    const amount =
      market.contractSize === 1
        ? Number(this.ex.amountToPrecision(market.symbol, rounded.qty))
        : roundToStep(rounded.qty / market.contractSize, this.contractStep(market), 'nearest'); // qty is on the step: nearest is exact
    // a venue that takes a market buy as quote to spend gets the price to convert with (ccxt does the sum)
    const price = rounded.price ?? (request.type === 'market' && request.side === 'buy' && this.quirks.marketBuyInQuote?.(mode) ? (checkPrice ?? (await this.currentPrice(request.symbol))) : undefined);
    const create = () => this.ex.createOrder(market.symbol, request.type, request.side, amount, price, params);

    return placeOnce({
      create: async () => {
        const result = toOrderResult(await this.withTradeFees(await this.once(create), market), market, request.clientOrderId, this.takerFee(market));
        return request.type === 'market' && result.status === 'open' ? this.awaitFill(market.symbol, result) : result;
      },
      lookup: () => this.fetchOrder(market.symbol, { clientOrderId: request.clientOrderId }),
      policy: this.policy,
      retry: this.retryDeps,
      onRetry: (code, attempt, delayMs) => this.deps.onRetry?.({ operation: 'createOrder', code, attempt, delayMs }),
    });
  }

  get orderHorizonMs(): number {
    const recvWindow = Number(this.ex.options?.['recvWindow'] ?? this.quirks.receiveWindowMs);
    return this.ex.timeout + (Number.isFinite(recvWindow) ? recvWindow : this.quirks.receiveWindowMs);
  }

  async fetchMyTrades(symbol: string, since: number): Promise<AccountTrade[]> {
    const market = await this.market(symbol);
    const params = this.quirks.balanceParams(this.account.mode, this.marginMode);
    const raw = await this.call('fetchMyTrades', () => this.ex.fetchMyTrades(market.symbol, since, undefined, params));
    return raw
      .filter((t) => (t.timestamp ?? 0) >= since)
      .sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0))
      .map((t) => {
        const price = Number(t.price);
        const qty = Number(t.amount) * market.contractSize;
        const cost = Number(t.fee?.cost ?? 0);
        const feeInQuote = t.fee?.currency === market.base ? cost * price : cost;
        return { side: t.side as 'buy' | 'sell', qty, price, feeInQuote, timestamp: t.timestamp ?? since, orderId: String(t.order ?? '') };
      });
  }

  /**
   * An exit: urgent, ahead of the account's balance refreshes and reports. Spot sells the
   * position's known quantity at once and reads the balance only when the exchange answers that
   * the account holds less (then it sells what is free); without a quantity it sells what is free.
   */
  closePosition(request: ClosePositionRequest): Promise<OrderResult> {
    return this.gate.urgent(() => (this.account.mode === 'spot' ? this.closeSpot(request) : this.closeMargined(request)));
  }

  private async closeSpot(request: ClosePositionRequest): Promise<OrderResult> {
    const market = await this.market(request.symbol);
    const sell = (qty: number) => this.placeOrder({ symbol: market.symbol, side: 'sell', type: 'market', qty, clientOrderId: request.clientOrderId, reduceOnly: false });
    const free = async () => {
      const held = (await this.callNow('fetchBalance', () => this.ex.fetchBalance(this.quirks.balanceParams('spot', this.marginMode))))[market.base];
      return Number(held?.free ?? 0);
    };
    if (request.qty !== undefined && request.qty > 0) {
      try {
        return await sell(request.qty);
      } catch (error) {
        // refused outright (never accepted, so the same client id may go again): sell what is held
        if (!(error instanceof ExchangeError) || error.code !== 'INSUFFICIENT_FUNDS') throw error;
      }
    }
    const held = await free();
    if (!(held > 0)) throw new ExchangeError('POSITION_NOT_FOUND', { message: `There is no open ${market.symbol} position to close.` });
    return sell(Math.min(request.qty ?? held, held));
  }

  private async closeMargined(request: ClosePositionRequest): Promise<OrderResult> {
    const market = await this.market(request.symbol);
    const { mode } = this.account;
    let side: 'long' | 'short';
    let held: number | undefined;
    if (this.quirks.reportsPositions(mode)) {
      // hedge mode holds a long and a short side by side: close the side asked for, never the other
      const positions = await this.fetchPositions([market.symbol]);
      const position = request.side ? positions.find((p) => p.side === request.side) : positions[0];
      side = request.side ?? position?.side ?? 'long';
      held = position?.qty ?? 0;
    } else {
      // margin without position reports: a borrowed base is a short, a held base a long
      const holding = await this.marginHolding(market);
      side = request.side ?? holding?.side ?? 'long';
      held = holding?.side === side ? holding.qty : request.qty === undefined ? 0 : undefined;
    }
    if (held !== undefined && !(held > 0)) throw new ExchangeError('POSITION_NOT_FOUND', { message: `There is no open ${market.symbol} position to close.` });
    let qty = Math.min(request.qty ?? held ?? 0, held ?? Number.POSITIVE_INFINITY);
    if (mode === 'margin' && side === 'short' && this.quirks.buyFeeInBase) {
      // the buy-back's fee is taken from the coin bought: buy enough that the debt is repaid in full
      qty = roundToStep(qty / (1 - this.takerFee(market)), market.stepSize, 'up');
    }
    return this.placeOrder({
      symbol: market.symbol,
      side: side === 'long' ? 'sell' : 'buy',
      type: 'market',
      qty,
      clientOrderId: request.clientOrderId,
      reduceOnly: this.quirks.supportsReduceOnly(mode),
    });
  }

  async fetchOrder(symbol: string, ref: OrderRef): Promise<OrderResult | undefined> {
    const market = await this.market(symbol);
    const params = this.lookupParams(ref);
    try {
      const raw = this.byClientIdOnly(ref) ? await this.listedOrder(market.symbol, ref.clientOrderId!, {}) : await this.call('fetchOrder', () => this.ex.fetchOrder(ref.id ?? '', market.symbol, params));
      if (!raw) return undefined;
      const order = await this.withTradeFees(await this.withFillPrice(raw, market), market);
      return toOrderResult(order, market, ref.clientOrderId ?? order.clientOrderId ?? '', this.takerFee(market));
    } catch (error) {
      if (error instanceof ExchangeError && error.code === 'ORDER_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async findRecentOrder(symbol: string, clientOrderId: string, since: number): Promise<OrderResult | undefined> {
    const market = await this.market(symbol);
    const exchangeId = this.quirks.normalizeClientOrderId(clientOrderId, this.account.mode);
    const params = this.quirks.orderLookupParams(this.account.mode, this.marginMode, undefined);
    const ours = (o: CcxtOrder) => o.clientOrderId === exchangeId || o.clientOrderId === clientOrderId;
    const lists: Array<[string, () => Promise<CcxtOrder[]>]> = [];
    if (this.ex.has['fetchOpenOrders']) lists.push(['fetchOpenOrders', () => this.ex.fetchOpenOrders(market.symbol, undefined, undefined, params)]);
    if (this.ex.has['fetchClosedOrders']) lists.push(['fetchClosedOrders', () => this.ex.fetchClosedOrders(market.symbol, since, undefined, params)]);
    for (const [operation, list] of lists) {
      const found = (await this.call(operation, list)).find(ours);
      if (found) return toOrderResult(await this.withTradeFees(found, market), market, clientOrderId, this.takerFee(market));
    }
    const field = this.quirks.tradeClientOrderIdField;
    if (field === undefined || !this.ex.has['fetchMyTrades']) return undefined;
    const trades = await this.call('fetchMyTrades', () => this.ex.fetchMyTrades(market.symbol, since, undefined, this.quirks.balanceParams(this.account.mode, this.marginMode)));
    const trade = trades.find((t) => {
      const named = (t.info as Record<string, unknown> | undefined)?.[field];
      return named === exchangeId || named === clientOrderId;
    });
    // the trade names the order: its full answer (every fill, its status) comes from the order itself
    return trade?.order ? this.fetchOrder(market.symbol, { id: String(trade.order) }) : undefined;
  }

  async cancelOrder(symbol: string, ref: OrderRef): Promise<OrderResult | undefined> {
    const market = await this.market(symbol);
    const params = this.cancelParams(ref);
    try {
      const order = await this.call('cancelOrder', () => this.ex.cancelOrder(ref.id ?? '', market.symbol, params));
      return toOrderResult(order, market, ref.clientOrderId ?? order.clientOrderId ?? '', this.takerFee(market));
    } catch (error) {
      if (error instanceof ExchangeError && error.code === 'ORDER_NOT_FOUND') return undefined;
      throw error;
    }
  }

  backstopTraits(): BackstopTraits | undefined {
    const spec = this.quirks.backstop(this.account.mode);
    return spec && { locksBalance: spec.locksBalance, amendable: spec.amendable };
  }

  /**
   * The backstop through ccxt createOrder with `stopLossPrice` (the quirks say which order type and
   * params). Sent once: after an ambiguous failure it is looked up by its client id, never resent.
   */
  async placeStop(request: StopOrderRequest): Promise<StopOrderState> {
    const spec = this.stopSpec();
    const market = await this.market(request.symbol);
    const long = request.side === 'long';
    // a long's stop rounds down, a short's up: never closer to the price than asked
    const stopPrice = roundToStep(request.stopPrice, market.tickSize, long ? 'down' : 'up');
    const limit = spec.type === 'limit' ? roundToStep(stopPrice * (long ? 1 - spec.limitOffset : 1 + spec.limitOffset), market.tickSize, long ? 'down' : 'up') : undefined;
    const qty = roundToStep(request.qty, market.stepSize, 'down');
    if (!(qty > 0)) throw new ExchangeError('ORDER_BELOW_MINIMUM');
    const params: Record<string, unknown> = { ...spec.params, [spec.clientIdParam ?? 'clientOrderId']: this.quirks.normalizeClientOrderId(request.clientOrderId, this.account.mode), [spec.triggerParam ?? 'stopLossPrice']: stopPrice };
    if (spec.marginModeParam !== undefined && this.account.mode !== 'spot') params[spec.marginModeParam] = this.marginMode;
    if ((await this.positionMode()) === 'hedge') params.hedged = true;
    const amount = market.contractSize === 1 ? Number(this.ex.amountToPrecision(market.symbol, qty)) : roundToStep(qty / market.contractSize, this.contractStep(market), 'nearest');
    try {
      const order = await this.once(() => this.ex.createOrder(market.symbol, spec.type, long ? 'sell' : 'buy', amount, limit, params));
      return { id: String(order.id), clientOrderId: request.clientOrderId, status: 'open', stopPrice, qty };
    } catch (error) {
      if (!(error instanceof ExchangeError && AMBIGUOUS_CODES.has(error.code))) throw error;
      const found = await this.fetchStop(market.symbol, { clientOrderId: request.clientOrderId });
      if (found) return found;
      throw error;
    }
  }

  /** the stop's state; when it fired, the fill of the order it became (for the trade's P&L) */
  async fetchStop(symbol: string, ref: OrderRef): Promise<StopOrderState | undefined> {
    const spec = this.stopSpec();
    const market = await this.market(symbol);
    let order: CcxtOrder;
    try {
      const found = spec.listLookup
        ? await this.listedStop(market.symbol, ref, spec)
        : this.byClientIdOnly(ref)
          ? await this.listedOrder(market.symbol, ref.clientOrderId!, spec.lookupParams)
          : await this.call('fetchOrder', () => this.ex.fetchOrder(ref.id ?? '', market.symbol, { ...this.lookupParams(ref), ...spec.lookupParams }));
      if (!found) return undefined;
      order = await this.withFillPrice(found, market);
    } catch (error) {
      if (!(error instanceof ExchangeError && error.code === 'ORDER_NOT_FOUND')) throw error;
      return spec.firedTradeField === undefined ? undefined : this.firedFromTrades(market, ref, spec.firedTradeField);
    }
    const state = this.toStopState(order, market, ref.clientOrderId ?? order.clientOrderId ?? '');
    if (state.status !== 'closed') return state;
    const firedId = spec.firedOrderField === undefined ? undefined : (order.info as Record<string, unknown> | undefined)?.[spec.firedOrderField];
    const fill = firedId === undefined || firedId === null ? toOrderResult(await this.withTradeFees(order, market), market, state.clientOrderId, this.takerFee(market)) : await this.fetchOrder(market.symbol, { id: String(firedId) });
    if (fill && fill.filledQty > 0) state.fill = fill;
    return state;
  }

  async cancelStop(symbol: string, ref: OrderRef): Promise<StopOrderState | undefined> {
    const spec = this.stopSpec();
    const market = await this.market(symbol);
    try {
      const order = await this.call('cancelOrder', () => this.ex.cancelOrder(ref.id ?? '', market.symbol, { ...this.cancelParams(ref), ...spec.lookupParams }));
      // a batch-style cancel (Bitget's trigger orders) answers success with an empty list when the
      // stop was no longer there (fired or gone): nothing was cancelled
      if (spec.listLookup && order.id === undefined && Object.keys((order.info ?? {}) as object).length === 0) return undefined;
      return { ...this.toStopState(order, market, ref.clientOrderId ?? order.clientOrderId ?? ''), status: 'canceled' };
    } catch (error) {
      if (error instanceof ExchangeError && error.code === 'ORDER_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /**
   * A stop the order lookup no longer knows (Kraken Futures forgets finished orders after 5 s),
   * looked for among the account's recent fills by its client id: found → it fired, with that fill.
   */
  private async firedFromTrades(market: Market, ref: OrderRef, field: string): Promise<StopOrderState | undefined> {
    const clientId = ref.clientOrderId === undefined ? undefined : this.quirks.normalizeClientOrderId(ref.clientOrderId, this.account.mode);
    const trades = await this.call('fetchMyTrades', () => this.ex.fetchMyTrades(market.symbol));
    const mine = trades.filter((t) => (ref.id !== undefined && String(t.order) === ref.id) || (clientId !== undefined && (t.info as Record<string, unknown> | undefined)?.[field] === clientId));
    if (mine.length === 0) return undefined;
    const { filled, average, fees } = sumFills(mine);
    const order = { id: String(mine[0]!.order), clientOrderId: clientId, side: mine[0]!.side, type: 'market', status: 'closed', amount: filled, filled, average, fees, timestamp: mine.at(-1)!.timestamp } as unknown as CcxtOrder;
    const fill = toOrderResult(order, market, ref.clientOrderId ?? clientId ?? '', this.takerFee(market));
    return { id: fill.id, clientOrderId: fill.clientOrderId, status: 'closed', stopPrice: 0, qty: fill.qty, fill };
  }

  /**
   * A filled order whose lookup carries no execution price (Kraken Futures' orders/status) gets
   * it from the account's fills of that order.
   */
  private async withFillPrice(order: CcxtOrder, market: Market): Promise<CcxtOrder> {
    if (!((order.filled ?? 0) > 0) || order.average || order.cost || !this.ex.has['fetchMyTrades']) return order;
    const trades = (await this.call('fetchMyTrades', () => this.ex.fetchMyTrades(market.symbol))).filter((t) => String(t.order) === String(order.id));
    const { filled, average, fees } = sumFills(trades);
    if (!(filled > 0)) return order;
    return { ...order, average, ...(fees.length > 0 ? { fees, fee: undefined } : {}) } as CcxtOrder;
  }

  /** a conditional order ccxt fetchOrder cannot see: among the open trigger orders, else the closed and cancelled ones */
  private async listedStop(symbol: string, ref: OrderRef, spec: BackstopOrder): Promise<CcxtOrder | undefined> {
    const clientOrderId = ref.clientOrderId === undefined ? undefined : this.quirks.normalizeClientOrderId(ref.clientOrderId, this.account.mode);
    const matches = (o: CcxtOrder) => (ref.id !== undefined ? String(o.id) === ref.id : o.clientOrderId === clientOrderId);
    const open = await this.call('fetchOpenOrders', () => this.ex.fetchOpenOrders(symbol, undefined, undefined, { ...spec.lookupParams }));
    return open.find(matches) ?? (await this.call('fetchCanceledAndClosedOrders', () => this.ex.fetchCanceledAndClosedOrders(symbol, undefined, undefined, { ...spec.lookupParams }))).find(matches);
  }

  /**
   * Moves the stop in place through ccxt editOrder (the venue's amend: same order, new trigger
   * and size), where the quirks say the venue can. Rounded as placeStop rounds.
   */
  async amendStop(symbol: string, ref: OrderRef, request: StopOrderRequest): Promise<StopOrderState | undefined> {
    const spec = this.stopSpec();
    if (!spec.amendable) throw new ExchangeError('NOT_SUPPORTED', { message: `${this.account.exchange} ${this.account.mode} stops cannot be amended in place.` });
    const market = await this.market(symbol);
    const long = request.side === 'long';
    const stopPrice = roundToStep(request.stopPrice, market.tickSize, long ? 'down' : 'up');
    const qty = roundToStep(request.qty, market.stepSize, 'down');
    if (!(qty > 0)) throw new ExchangeError('ORDER_BELOW_MINIMUM');
    const amount = market.contractSize === 1 ? Number(this.ex.amountToPrecision(market.symbol, qty)) : roundToStep(qty / market.contractSize, this.contractStep(market), 'nearest');
    const how = spec.amend ?? { type: spec.type, triggerParam: 'triggerPrice', params: {} };
    // a venue-specific amend names the stop by its exchange id where known (OKX amend-algos: algoId)
    const params = { ...(spec.amend && ref.id !== undefined ? {} : this.lookupParams(ref)), ...how.params, [how.triggerParam]: this.ex.priceToPrecision(market.symbol, stopPrice) };
    try {
      const order = await this.call('editOrder', () => this.ex.editOrder(ref.id ?? '', market.symbol, how.type, long ? 'sell' : 'buy', amount, undefined, params));
      return { id: String(order.id ?? ref.id ?? ''), clientOrderId: ref.clientOrderId ?? request.clientOrderId, status: 'open', stopPrice, qty };
    } catch (error) {
      if (error instanceof ExchangeError && error.code === 'ORDER_NOT_FOUND') return undefined;
      throw error;
    }
  }

  private stopSpec(): BackstopOrder {
    const spec = this.quirks.backstop(this.account.mode);
    if (!spec) throw new ExchangeError('NOT_SUPPORTED', { message: `The bot places no protective stop on ${this.account.exchange} ${this.account.mode}.` });
    return spec;
  }

  private toStopState(order: CcxtOrder, market: Market, clientOrderId: string): StopOrderState {
    const mapped = toOrderResult(order, market, clientOrderId, 0);
    return { id: String(order.id), clientOrderId, status: mapped.status, stopPrice: Number(order.triggerPrice ?? order.stopPrice ?? order.stopLossPrice ?? 0), qty: mapped.qty };
  }

  async close(): Promise<void> {
    await this.ex.close();
  }

  /**
   * Some venues answer a market order before it is matched (Binance futures: status NEW,
   * nothing filled). Asks again a few times, backing off, and returns what is known then.
   */
  private async awaitFill(symbol: string, placed: OrderResult): Promise<OrderResult> {
    let latest = placed;
    for (let attempt = 1; attempt <= 5 && latest.status === 'open'; attempt += 1) {
      await this.retryDeps.sleep(this.policy.baseDelayMs * 2 ** (attempt - 1));
      latest = (await this.fetchOrder(symbol, { id: placed.id })) ?? latest;
    }
    return { ...latest, clientOrderId: placed.clientOrderId };
  }

  /**
   * A filled order whose answer carries no fee (Binance's order lookup never lists fills) gets its
   * fees from the order's trades, so a fee taken in the coin bought is known after a lookup too.
   * Without trades to read, the fee stays an estimate at the taker rate in the quote coin.
   */
  private async withTradeFees(order: CcxtOrder, market: Market): Promise<CcxtOrder> {
    const listed = [...((order as { fees?: Fee[] }).fees ?? []), ...(order.fee ? [order.fee] : [])].filter((f) => f && f.cost !== undefined && f.cost !== null);
    if (listed.length > 0 || !((order.filled ?? 0) > 0) || !this.ex.has['fetchOrderTrades']) return order;
    const orderTrades = await this.call('fetchOrderTrades', () => this.ex.fetchOrderTrades(String(order.id), market.symbol, undefined, undefined, this.lookupParams({ id: String(order.id) }))).catch(() => []);
    const fees = orderTrades.flatMap((t) => (t.fee && t.fee.cost !== undefined ? [t.fee] : []));
    return fees.length > 0 ? ({ ...order, fees, fee: undefined } as unknown as CcxtOrder) : order;
  }

  /** the venue finds orders by its own id only (Kraken spot): an order known by our client id alone is searched in the lists */
  private byClientIdOnly(ref: OrderRef): boolean {
    return ref.id === undefined && ref.clientOrderId !== undefined && this.quirks.clientIdLookup?.(this.account.mode) === 'lists';
  }

  /** the open, then the closed orders of the symbol, asked for by our client id (ccxt `clientOrderId`) and matched on it */
  private async listedOrder(symbol: string, clientOrderId: string, extra: Readonly<Record<string, unknown>>): Promise<CcxtOrder | undefined> {
    const id = this.quirks.normalizeClientOrderId(clientOrderId, this.account.mode);
    const params = { ...extra, clientOrderId: id };
    const open = await this.call('fetchOpenOrders', () => this.ex.fetchOpenOrders(symbol, undefined, undefined, params));
    return open.find((o) => o.clientOrderId === id) ?? (await this.call('fetchClosedOrders', () => this.ex.fetchClosedOrders(symbol, undefined, undefined, params))).find((o) => o.clientOrderId === id);
  }

  private cancelParams(ref: OrderRef): Record<string, unknown> {
    return this.byClientIdOnly(ref) ? { clientOrderId: this.quirks.normalizeClientOrderId(ref.clientOrderId!, this.account.mode) } : this.lookupParams(ref);
  }

  private lookupParams(ref: OrderRef): Record<string, unknown> {
    const clientOrderId = ref.clientOrderId === undefined ? undefined : this.quirks.normalizeClientOrderId(ref.clientOrderId, this.account.mode);
    return this.quirks.orderLookupParams(this.account.mode, this.marginMode, clientOrderId);
  }

  /** the account's margin holding of a market's base: debt → short of the debt, else free → long */
  private async marginHolding(market: Market): Promise<{ side: 'long' | 'short'; qty: number } | undefined> {
    const params = this.quirks.balanceParams(this.account.mode, this.marginMode);
    const raw = await this.call('fetchBalance', () => this.ex.fetchBalance(params));
    const entry = raw[market.base] as { free?: number; debt?: number } | undefined;
    const debt = Number(entry?.debt ?? 0);
    if (debt > 0) return { side: 'short', qty: debt };
    const free = Number(entry?.free ?? 0);
    return free > 0 ? { side: 'long', qty: free } : undefined;
  }

  private async currentPrice(symbol: string): Promise<number> {
    return this.deps.priceHint?.(symbol) ?? (await this.fetchPrice(symbol));
  }

  /** the amount step in the exchange's own unit (contracts), exact from ccxt where it is a tick size */
  private contractStep(market: Market): number {
    const raw = this.ex.markets?.[market.symbol]?.precision.amount;
    return raw !== undefined && Number(this.ex.precisionMode) === ccxt.TICK_SIZE ? raw : market.stepSize / market.contractSize;
  }

  private takerFee(market: Market): number {
    return this.ex.markets?.[market.symbol]?.taker ?? 0.001;
  }

  /** Sets margin mode, then leverage, before the first order of a symbol (and when they change). */
  private async applySettings(market: Market, leverage: number | undefined, marginMode: MarginMode): Promise<void> {
    const { mode } = this.account;
    const viaLeverage = this.quirks.leverageVia(mode);
    const viaMargin = this.quirks.marginModeVia(mode);
    if (viaLeverage !== 'call' && viaMargin !== 'call') return;
    const key = `${leverage ?? ''}|${marginMode}`;
    if (this.applied.get(market.symbol) === key) return;
    const params = this.quirks.settingParams(mode, marginMode, leverage ?? 1);
    // the exchange saying the setting already holds is success
    const unchanged = (error: unknown) => error instanceof MarginModeAlreadySet || error instanceof NoChange || (error instanceof Error && this.quirks.settingUnchanged?.test(error.message) === true);
    if (viaMargin === 'call') {
      await this.call('setMarginMode', async () => {
        try {
          await this.ex.setMarginMode(marginMode, market.symbol, params);
        } catch (error) {
          if (!unchanged(error)) throw error;
        }
      });
    }
    if (viaLeverage === 'call' && leverage !== undefined) {
      await this.call('setLeverage', async () => {
        try {
          await this.ex.setLeverage(leverage, market.symbol, params);
        } catch (error) {
          if (!unchanged(error)) throw error;
        }
      });
    }
    this.applied.set(market.symbol, key);
  }
}

/** ms: how long a leverage limit read from the venue (Binance's leverage brackets) is trusted: they change rarely */
export const LEVERAGE_LIMIT_TTL_MS = 24 * 3_600_000;

/** the wanted leverage, at most the market's own maximum (where the exchange says it) */
export function capLeverage(leverage: number, market: Pick<Market, 'maxLeverage'>): number {
  return market.maxLeverage !== undefined && leverage > market.maxLeverage ? market.maxLeverage : leverage;
}

/** calls that wait behind exits (priority.ts): balance refreshes, reports, candles */
const ROUTINE: ReadonlySet<string> = new Set(['fetchBalance', 'fetchMyTrades', 'fetchOHLCV', 'fetchMarginLevel']);

/** one order's fills summed: quantity, volume-weighted price and their fees */
function sumFills(trades: readonly Trade[]): { filled: number; average: number; fees: Fee[] } {
  let filled = 0;
  let value = 0;
  const fees: Fee[] = [];
  for (const t of trades) {
    const amount = Number(t.amount ?? 0);
    filled += amount;
    value += amount * Number(t.price);
    if (t.fee && t.fee.cost !== undefined) fees.push(t.fee);
  }
  return { filled, average: filled > 0 ? value / filled : 0, fees };
}
