/**
 * What differs between exchanges, as data and small functions. Shared code (the ccxt adapter,
 * errors, market data) asks the account's quirks and never tests an exchange id itself.
 */
import type { Exchange } from 'ccxt';
import type { Balance, ExchangeErrorCode, ExchangeId, ExchangePosition, KeyPermissions, MarginMode, TradingMode } from '../port.ts';

export interface OrderParamsInput {
  mode: TradingMode;
  marginMode: MarginMode;
  side: 'buy' | 'sell';
  clientOrderId: string;
  reduceOnly: boolean;
  /** wanted leverage (margin/futures); only used where the exchange takes it per order */
  leverage?: number;
}

/** How leverage / margin mode reach the exchange for a mode. */
export type SettingVia = 'call' | 'order-param' | 'none';

/**
 * The backstop's order on one venue and mode (SPEC §10), sent through ccxt createOrder with the
 * unified `stopLossPrice` trigger. Data, read by the ccxt adapter; nothing else knows a venue.
 */
export interface BackstopOrder {
  /** ccxt order type: 'market' = stop-market, 'limit' = stop-limit (the limit sits `limitOffset` beyond the trigger) */
  readonly type: 'market' | 'limit';
  /** stop-limit only: fraction of the trigger the limit sits beyond it (0.01 = 1 %), so a fast fall still fills */
  readonly limitOffset: number;
  /** the resting stop holds the coins it may sell: a sell must shrink it first */
  readonly locksBalance: boolean;
  /** ccxt editOrder can move the trigger in place */
  readonly amendable: boolean;
  /**
   * amendable venues whose ccxt editOrder reaches the stop's amend endpoint only under another
   * order type and trigger param (OKX: type `conditional` → POST trade/amend-algos, the trigger as
   * `stopLossPrice` with `newSlOrdPx` -1 for a market stop); default: `type`, `triggerPrice`
   */
  readonly amend?: { readonly type: string; readonly triggerParam: string; readonly params: Readonly<Record<string, unknown>> };
  /** extra createOrder params (reduce-only, trigger kind) besides clientOrderId, stopLossPrice and hedged */
  readonly params: Readonly<Record<string, unknown>>;
  /** params that make ccxt fetchOrder / cancelOrder look among conditional orders */
  readonly lookupParams: Readonly<Record<string, unknown>>;
  /**
   * where a fired stop's fill is read: undefined = the stop order itself fills (spot stop-limit);
   * a field of the raw order naming the market order it fired (Binance USD-M `actualOrderId`)
   */
  readonly firedOrderField?: string;
  /**
   * where the venue's order lookup forgets finished orders (Kraken Futures: 5 s): the raw field of
   * the account's trades (ccxt fetchMyTrades) carrying the order's client id, so a stop that fired
   * while the bot was away is found by its fill
   */
  readonly firedTradeField?: string;
  /**
   * the createOrder param that carries the stop's client id where the venue names it apart from
   * plain orders (OKX algo orders: `algoClOrdId`); default ccxt's `clientOrderId`
   */
  readonly clientIdParam?: string;
  /**
   * margin/futures: the createOrder param that must name the account's margin mode on the stop
   * too, where a position of one margin mode is apart from the other's (OKX: a cross reduce-only
   * stop never closes an isolated position); unset where the stop needs none
   */
  readonly marginModeParam?: string;
  /** true only where a test runs it against an emulator; false = written from the venue's docs and ccxt, untested here */
  readonly tested: boolean;
  /** the unified createOrder param that carries the trigger (default `stopLossPrice`; `triggerPrice` sends a plain trigger/plan order) */
  readonly triggerParam?: 'stopLossPrice' | 'triggerPrice';
  /**
   * ccxt fetchOrder cannot see the venue's conditional orders: the stop is looked up among the
   * open, then the closed and cancelled trigger orders (fetchOpenOrders / fetchCanceledAndClosedOrders with `lookupParams`)
   */
  readonly listLookup?: boolean;
}

/** the loaded ccxt market fields the quirks read */
export type QuirkMarket = { type?: string; spot?: boolean; linear?: boolean; inverse?: boolean; margin?: boolean; active?: boolean | undefined; settle?: string; info?: unknown };

export interface ExchangeQuirks {
  readonly id: ExchangeId;
  /** the name a trader reads ("Binance", "OKX") */
  readonly name: string;
  readonly modes: readonly TradingMode[];
  /** margin modes the account can trade in a mode, the exchange's default first (asked at /connect) */
  marginModes(mode: TradingMode): readonly MarginMode[];
  /** a spot or margin buy pays its fee in the coin bought (Binance without BNB, Bybit, OKX, Bitget); Kraken charges quote */
  readonly buyFeeInBase: boolean;
  /**
   * a market BUY is sent as the quote amount to spend (Bitget spot and margin): ccxt needs a price
   * to convert the base quantity, so the adapter passes the current price with the order
   */
  marketBuyInQuote?(mode: TradingMode): boolean;
  /** okx and bitget keys come with a passphrase (ccxt `password`); /connect asks for it */
  readonly needsPassword: boolean;
  /**
   * Adjusts a freshly built ccxt client where the venue's protocol needs more than options
   * (Kraken spot: a nonce that grows per API key across clients, signed calls of a key in order).
   */
  prepareClient?(client: Exchange, mode: TradingMode): void;
  /** the ccxt class name for a mode ('kraken' vs 'krakenfutures') */
  ccxtClass(mode: TradingMode): string;
  /** options merged into the ccxt constructor before user options (defaultType, market types, …) */
  constructorOptions(mode: TradingMode): Record<string, unknown>;
  /** whether a loaded ccxt market belongs to the account's mode */
  acceptsMarket(market: QuirkMarket, mode: TradingMode): boolean;
  /** why a market of the exchange is not traded in the mode (named to the trader); undefined = the generic reason */
  refusedMarketReason?(market: QuirkMarket, mode: TradingMode): string | undefined;
  /**
   * The unified symbol a signal's pair trades as, where the venue lists it under another quote
   * (Kraken Futures: BTC/USDT → BTC/USD:USD); undefined = the pair as written (`BASE/QUOTE:QUOTE` on futures).
   */
  marketSymbol?(base: string, quote: string, mode: TradingMode): string | undefined;
  /** the market's maximum leverage where ccxt leaves `limits.leverage.max` empty (read from the raw market) */
  maxLeverage?(market: QuirkMarket): number | undefined;
  /**
   * The most leverage the account may take on a market where the venue keeps it apart from the
   * market list, per account (Binance USDⓈ-M leverage brackets): a signed read, cached per
   * symbol by the adapter (LEVERAGE_LIMIT_TTL_MS). undefined = the venue says nothing more.
   */
  accountMaxLeverage?(client: Exchange, market: { id: string; symbol: string }, mode: TradingMode): Promise<number | undefined>;
  /**
   * The balance the bot sizes from, where the venue's account is not a plain wallet per coin
   * (Kraken Futures' multi-collateral account: the available margin, in USD).
   */
  adjustBalance?(balance: Balance, info: unknown, mode: TradingMode): Balance;
  supportsReduceOnly(mode: TradingMode): boolean;
  leverageVia(mode: TradingMode): SettingVia;
  marginModeVia(mode: TradingMode): SettingVia;
  /** params passed to ccxt createOrder */
  orderParams(input: OrderParamsInput): Record<string, unknown>;
  /** params for ccxt fetchOrder / cancelOrder: the mode's venue, and our client id when looking up by it */
  orderLookupParams(mode: TradingMode, marginMode: MarginMode, clientOrderId: string | undefined): Record<string, unknown>;
  /** params for ccxt fetchBalance */
  balanceParams(mode: TradingMode, marginMode: MarginMode): Record<string, unknown>;
  /** params for ccxt setLeverage / setMarginMode */
  settingParams(mode: TradingMode, marginMode: MarginMode, leverage: number): Record<string, unknown>;
  /** whether ccxt fetchPositions reports positions for the mode */
  reportsPositions(mode: TradingMode): boolean;
  /** fixes a mapped position from the exchange's raw fields where ccxt leaves gaps (Kraken margin) */
  adjustPosition?(position: ExchangePosition, info: Readonly<Record<string, unknown>>): ExchangePosition;
  /**
   * percent: the account margin level at which the exchange liquidates (Kraken spot margin 40),
   * where positions come without a liquidation price; the adapter then estimates one from the
   * margin level (domain/liquidation.ts)
   */
  readonly liquidationMarginLevel?: number;
  /** the account's margin level in percent where the exchange reports it per account */
  fetchMarginLevel?(client: Exchange, mode: TradingMode): Promise<number | undefined>;
  /**
   * The key's permissions from the exchange's own endpoint (signed); absent where ccxt offers no
   * documented way to read them (then the bot cannot tell and warns instead of refusing).
   */
  keyPermissions?(client: Exchange): Promise<KeyPermissions>;
  /**
   * ms: how long after a request's timestamp the exchange may still take it (Binance's
   * recvWindow); added to the request timeout, it bounds how long an order whose answer was
   * lost can stay unknown. Venues without a receive window get a stated margin for matching.
   */
  readonly receiveWindowMs: number;
  /**
   * the field of a raw trade (ccxt `info`) that carries the order's client id, where the venue's
   * trade history names it; undefined where it does not (Binance): its order lists are searched instead
   */
  readonly tradeClientOrderIdField?: string;
  /** client order id the exchange accepts (length, alphabet), derived deterministically from ours (per mode where the APIs differ) */
  normalizeClientOrderId(clientOrderId: string, mode?: TradingMode): string;
  /**
   * How an order known only by its client id is found: 'params' = ccxt fetchOrder / cancelOrder
   * with `orderLookupParams` (default); 'lists' = the venue's order lookup needs its own id (Kraken
   * spot's QueryOrders): the open, then the closed orders are searched by the client id, and a
   * cancel names it as ccxt's `clientOrderId`.
   */
  clientIdLookup?(mode: TradingMode): 'params' | 'lists';
  /** the backstop's order for a mode; undefined where the bot places none (the bot's monitor alone protects) */
  backstop(mode: TradingMode): BackstopOrder | undefined;
  /** exchange error texts (message or code) that map to a code more precisely than ccxt's class */
  readonly errorPatterns: ReadonlyArray<readonly [RegExp, ExchangeErrorCode]>;
  /**
   * An answer to a leverage or margin-mode call meaning the account already has that setting
   * (success), where ccxt raises a plain error for it (Bybit 110043 "leverage not modified").
   */
  readonly settingUnchanged?: RegExp;
  /** how to reach the exchange's test environment: ccxt setSandboxMode, Binance's demo trading, or none */
  testnet(mode: TradingMode): 'sandbox' | 'demo' | 'none';
}

/** Base for the five exchanges; each file overrides what differs. */
export const defaultQuirks = {
  needsPassword: false,
  /** ms; no receive window on the request: a margin for an order still queued at the matching engine */
  receiveWindowMs: 30_000,
  buyFeeInBase: true,
  ccxtClass(this: { id: ExchangeId }) {
    return this.id;
  },
  acceptsMarket(market: QuirkMarket, mode: TradingMode): boolean {
    if (market.active === false) return false;
    if (mode === 'futures') return market.type === 'swap' && market.linear === true;
    if (mode === 'margin') return market.spot === true && market.margin !== false;
    return market.spot === true;
  },
  supportsReduceOnly(mode: TradingMode) {
    return mode !== 'spot';
  },
  leverageVia(mode: TradingMode): SettingVia {
    return mode === 'futures' ? 'call' : 'none';
  },
  marginModeVia(mode: TradingMode): SettingVia {
    return mode === 'futures' ? 'call' : mode === 'margin' ? 'order-param' : 'none';
  },
  orderLookupParams(_mode: TradingMode, _marginMode: MarginMode, clientOrderId: string | undefined): Record<string, unknown> {
    return clientOrderId === undefined ? {} : { clientOrderId };
  },
  balanceParams(): Record<string, unknown> {
    return {};
  },
  settingParams(): Record<string, unknown> {
    return {};
  },
  reportsPositions(mode: TradingMode) {
    return mode === 'futures';
  },
  normalizeClientOrderId(clientOrderId: string) {
    return clientOrderId;
  },
  testnet(): 'sandbox' | 'demo' | 'none' {
    return 'sandbox';
  },
};

/** Keeps [A-Za-z0-9] only and caps the length (okx, kraken futures are strict). */
export function alphanumericId(clientOrderId: string, maxLength: number): string {
  return clientOrderId.replace(/[^A-Za-z0-9]/g, '').slice(0, maxLength);
}
