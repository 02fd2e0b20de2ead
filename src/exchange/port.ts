/**
 * The one exchange interface the engine codes against (SPEC §1, exchange row). Live (ccxt) and
 * paper differ only in which implementation is injected. All numbers are plain JS numbers in
 * the units stated; rounding to the market's tick and step happens inside the implementation,
 * once, at order placement.
 *
 * Quantities are always in BASE units (BTC for BTC/USDT), also on futures: an implementation
 * whose exchange counts contracts converts with `Market.contractSize`.
 */
import type { Candle } from '../domain/types.ts';
import type { OrderResult, OrderStatus, StopOrderState } from '../domain/orders.ts';

export type { Candle, OrderResult, OrderStatus, StopOrderState };

export type ExchangeId = 'binance' | 'kraken' | 'bybit' | 'okx' | 'bitget';
export const EXCHANGE_IDS: readonly ExchangeId[] = ['binance', 'kraken', 'bybit', 'okx', 'bitget'];

/** spot: no shorts, no leverage; margin: borrowing on the spot book; futures: linear perpetuals */
export type TradingMode = 'spot' | 'margin' | 'futures';
export type MarginMode = 'cross' | 'isolated';
/** futures: one net position per symbol (one-way) or a long and a short side by side (hedge) */
export type PositionMode = 'one-way' | 'hedge';

export interface ExchangeCredentials {
  apiKey: string;
  secret: string;
  /** okx and bitget call it passphrase; ccxt calls it password */
  password?: string;
}

/** Which account an ExchangePort trades for. */
export interface ExchangeAccount {
  exchange: ExchangeId;
  mode: TradingMode;
  /** margin and futures; default 'isolated' */
  marginMode?: MarginMode;
  credentials?: ExchangeCredentials;
  /** true → paper exchange (virtual wallet on the exchange's public prices) */
  paper?: boolean;
  /** api_keys.id of this account; the paper exchange keys its wallet by it */
  accountId?: string;
}

export interface Market {
  /** unified ccxt symbol: 'BTC/USDT' (spot/margin) or 'BTC/USDT:USDT' (linear perpetual) */
  symbol: string;
  /** the exchange's own id, e.g. 'BTCUSDT' */
  id: string;
  base: string;
  quote: string;
  /** settlement currency for derivatives */
  settle?: string;
  type: 'spot' | 'swap' | 'future';
  /** smallest price increment, quote units (> 0) */
  tickSize: number;
  /** smallest quantity increment, base units (> 0) */
  stepSize: number;
  /** minimum order quantity, base units (0 = none) */
  minQty: number;
  /** minimum order value qty × price, quote units (0 = none) */
  minCost: number;
  /** maximum order quantity, base units (undefined = none) */
  maxQty?: number;
  /** base units per contract (1 for spot) */
  contractSize: number;
  /** whether margin trading is allowed on this spot market */
  marginAllowed?: boolean;
  /** the market's own maximum leverage (undefined = the exchange does not say); the bot never asks for more */
  maxLeverage?: number;
}

export interface AssetBalance {
  free: number;
  used: number;
  total: number;
}

/** keyed by currency code ('USDT', 'BTC') */
export type Balance = Readonly<Record<string, AssetBalance>>;

export interface ExchangePosition {
  symbol: string;
  side: 'long' | 'short';
  /** base units, > 0 */
  qty: number;
  /** quote per base */
  entryPrice: number;
  leverage: number;
  marginMode?: MarginMode;
  /** quote per base, as the exchange reports it */
  liquidationPrice?: number;
  /**
   * percent, where the exchange reports it: Kraken margin = account equity / used margin × 100
   * (Kraken liquidates at 40 %); futures = collateral / maintenance margin × 100 (liquidation at
   * 100 %). Undefined when the exchange does not report it.
   */
  marginLevel?: number;
  /** quote units: the margin the position holds, where the exchange reports it (Kraken spot margin) */
  margin?: number;
  /** quote units */
  unrealizedPnl?: number;
  markPrice?: number;
}

export interface OrderRequest {
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  /** base units; rounded DOWN to the market's step before sending */
  qty: number;
  /** limit price, quote per base; buys round DOWN, sells round UP to the tick (never worse than asked) */
  price?: number;
  /** our id, unique per account; lets a retry find an order the exchange accepted */
  clientOrderId: string;
  /** only shrink a position; refused with REDUCE_ONLY_INVALID on spot */
  reduceOnly?: boolean;
  /** margin/futures: set once before the first order of a symbol */
  leverage?: number;
  marginMode?: MarginMode;
}

export interface ClosePositionRequest {
  symbol: string;
  /** base units to close; undefined = the whole position */
  qty?: number;
  clientOrderId: string;
  /**
   * the side of the position being closed (the engine always names it: in hedge mode a long and
   * a short of one symbol coexist); optional for other callers: where the exchange reports no
   * margin positions (Binance, Bybit, OKX, Bitget margin) it is read from the account (a
   * borrowed base is a short, a held base a long)
   */
  side?: 'long' | 'short';
}

/**
 * A protective stop that rests on the exchange (the "backstop", SPEC §10): it closes `qty` of the
 * position's `side` at the market (futures: reduce-only; spot: a stop-limit sell where the venue
 * locks the coins) once the price reaches `stopPrice`.
 */
export interface StopOrderRequest {
  symbol: string;
  /** the side of the position it protects */
  side: 'long' | 'short';
  /** base units; rounded DOWN to the step */
  qty: number;
  /** trigger, quote per base; rounded away from the price (a long's stop down, a short's up) */
  stopPrice: number;
  /** derived from the position id (deterministic), so a lost answer is found by lookup */
  clientOrderId: string;
}

/** How a venue keeps a backstop, from the account's quirks. */
export interface BackstopTraits {
  /** the resting stop holds the coins it may sell (spot stop-limit): a sell must shrink it first */
  locksBalance: boolean;
  /** the exchange can amend the stop in place; else a new one is placed before the old is cancelled */
  amendable: boolean;
}

export type OrderRef = { id: string; clientOrderId?: undefined } | { clientOrderId: string; id?: undefined };

/** What an API key may do, where the exchange reports it; undefined = the exchange cannot tell. */
export interface KeyPermissions {
  /** the key can withdraw funds (the bot refuses such keys) */
  canWithdraw?: boolean;
  /** the key can place spot (and margin) orders */
  canTrade?: boolean;
  /** the key can trade futures */
  canFutures?: boolean;
}

/** Candle interval for fetchCandles, as the exchanges spell it. */
export type CandleTimeframe = '1m' | '5m' | '15m' | '1h' | '4h' | '1d';

/** One of our fills from the exchange's trade history. */
export interface AccountTrade {
  side: 'buy' | 'sell';
  /** base units */
  qty: number;
  /** quote per base */
  price: number;
  /** in the quote currency (a fee taken in another coin is converted at the fill's price where it is the base) */
  feeInQuote: number;
  /** ms */
  timestamp: number;
  /** the exchange's id of the order the fill belongs to */
  orderId: string;
}

export interface ExchangePort {
  readonly account: ExchangeAccount;
  /**
   * ms after our last request for an order left us by which the exchange has certainly taken it,
   * or certainly never will (the request timeout plus the exchange's receive window). Absent: the
   * port answers at once (paper), so a lookup that does not find an order is final.
   */
  readonly orderHorizonMs?: number;
  /** the account's own fills of a market since `since` (ms), oldest first; absent where not offered */
  fetchMyTrades?(symbol: string, since: number): Promise<AccountTrade[]>;
  /** all tradable markets of the account's mode, keyed by unified symbol */
  loadMarkets(): Promise<Readonly<Record<string, Market>>>;
  /** throws ExchangeError UNKNOWN_SYMBOL */
  market(symbol: string): Promise<Market>;
  /**
   * The most leverage an entry may take on the symbol: the market's maximum, lowered by the
   * account's own limit where the venue keeps one apart (Binance USDⓈ-M leverage brackets; read
   * once a day per symbol). Absent: the market's maxLeverage is the limit.
   */
  maxLeverage?(symbol: string): Promise<number | undefined>;
  fetchBalance(): Promise<Balance>;
  /** open positions (margin/futures; on spot: holdings are not positions → []) */
  fetchPositions(symbols?: string[]): Promise<ExchangePosition[]>;
  /** validates minimums, rounds, sets leverage/margin mode once per symbol, places, retries safely */
  placeOrder(request: OrderRequest): Promise<OrderResult>;
  /**
   * Closes all or part of a position with a market order on the opposite side (reduce-only
   * where the mode allows it). On spot: sells qty (default: the free base balance).
   */
  closePosition(request: ClosePositionRequest): Promise<OrderResult>;
  /**
   * false where the exchange reports no positions for the account's mode (margin on most venues:
   * holdings are balances), so an empty fetchPositions says nothing about what is open
   */
  reportsPositions?(): boolean;
  /** futures: the account's position mode as the exchange reports it; 'one-way' elsewhere */
  positionMode?(): Promise<PositionMode>;
  /** undefined when the exchange does not know the order */
  fetchOrder(symbol: string, ref: OrderRef): Promise<OrderResult | undefined>;
  /**
   * The account's recent orders (open and closed since `since`, ms) and, where the venue's trades
   * name the client id, its trades, searched for our client order id: a second source for an order
   * whose lookup by id answers "not found". Undefined when none of them holds it; absent where the
   * port answers at once (paper).
   */
  findRecentOrder?(symbol: string, clientOrderId: string, since: number): Promise<OrderResult | undefined>;
  cancelOrder(symbol: string, ref: OrderRef): Promise<OrderResult | undefined>;
  /**
   * The backstop's traits on this account, undefined where the bot offers none (then the
   * position is protected by the bot alone, and the trader is told so).
   */
  backstopTraits?(): BackstopTraits | undefined;
  placeStop?(request: StopOrderRequest): Promise<StopOrderState>;
  /** undefined when the exchange does not know the stop */
  fetchStop?(symbol: string, ref: OrderRef): Promise<StopOrderState | undefined>;
  /** undefined when the exchange does not know it or it is no longer open */
  cancelStop?(symbol: string, ref: OrderRef): Promise<StopOrderState | undefined>;
  /**
   * Moves a resting stop in place (trigger and size; same order, same client id), where
   * backstopTraits().amendable; undefined when the exchange no longer holds it open.
   */
  amendStop?(symbol: string, ref: OrderRef, request: StopOrderRequest): Promise<StopOrderState | undefined>;
  /** last traded price, quote per base */
  fetchPrice(symbol: string): Promise<number>;
  /**
   * The key's permissions as the exchange reports them (signed call). Absent, or fields
   * undefined, where the exchange offers no way to tell.
   */
  keyPermissions?(): Promise<KeyPermissions>;
  /**
   * Recent closed-or-forming OHLCV candles of a market, oldest first (public, no key needed);
   * `limit` is the most recent candles wanted. Absent where there is no history (replay feeds).
   */
  fetchCandles?(symbol: string, timeframe: CandleTimeframe, limit: number): Promise<Candle[]>;
  close(): Promise<void>;
}

/** One price observation. */
export interface Tick {
  symbol: string;
  /** last price, quote per base */
  price: number;
  /** ms since epoch (exchange time when known) */
  time: number;
  /** true when the market traded through every price since the previous tick (replayed candle paths, SPEC §6) */
  continuous?: boolean;
}

export interface StaleEvent {
  /** true when no tick arrived for longer than the feed's staleness limit; false on recovery */
  stale: boolean;
  /** ms since epoch of the last tick seen (0 = never) */
  lastTickAt: number;
}

/** A symbol the stream has not updated for the feed's per-symbol limit while the feed is alive. */
export interface StaleSymbol {
  symbol: string;
  /** ms since epoch of the last streamed tick of the symbol (subscription time if none came) */
  lastStreamAt: number;
  /** ms since epoch of the last price known from any source (a REST re-poll included); undefined = none */
  lastPriceAt: number | undefined;
}

/** One shared price feed per exchange, serving every user and position. */
export interface MarketDataFeed {
  readonly exchange: string;
  /** starts watching the symbol on the first subscriber; returns unsubscribe */
  subscribe(symbol: string, onTick: (tick: Tick) => void): () => void;
  /** the latest tick seen for a symbol */
  lastTick(symbol: string): Tick | undefined;
  /** true while no tick arrived for too long */
  isStale(): boolean;
  /** called on each transition stale ↔ fresh; returns unsubscribe */
  onStale(listener: (event: StaleEvent) => void): () => void;
  /** symbols the stream went quiet on (re-polled over REST meanwhile), for /status and /healthz */
  staleSymbols(): StaleSymbol[];
  close(): Promise<void>;
}

/** Stable error codes; messages are written for a trader, never contain secrets. */
export const EXCHANGE_ERROR_MESSAGES = {
  INSUFFICIENT_FUNDS: 'Insufficient funds: not enough balance for this order. Check your wallet.',
  MARGIN_LEVEL_TOO_LOW: 'Margin level too low: not enough margin for this position. Reduce the position size.',
  REDUCE_ONLY_INVALID: 'Reduce-only is not valid here (spot mode has no reduce-only). Use margin or futures mode.',
  RATE_LIMITED: 'Rate limit exceeded: too many requests to the exchange. Waiting and retrying.',
  ORDER_BELOW_MINIMUM: 'The order is below the exchange minimum for this market.',
  INVALID_ORDER: 'The exchange refused the order as invalid.',
  ORDER_NOT_FOUND: 'The exchange does not know this order.',
  POSITION_NOT_FOUND: 'There is no open position to close.',
  UNKNOWN_SYMBOL: 'This market does not exist on the exchange for the chosen mode.',
  AUTH_FAILED: 'The exchange rejected the API key (invalid key, secret or passphrase).',
  PERMISSION_DENIED: 'The API key lacks a permission this action needs (e.g. trading or futures).',
  ACCOUNT_SUSPENDED: 'The exchange account is suspended or restricted.',
  EXCHANGE_UNAVAILABLE: 'The exchange is temporarily unavailable (maintenance or server error).',
  NETWORK: 'Network problem talking to the exchange.',
  TIMEOUT: 'The exchange did not answer in time.',
  NO_PRICE: 'No current price is available for this market.',
  NOT_SUPPORTED: 'This exchange or mode does not support the action.',
  UNKNOWN: 'The exchange returned an unexpected error.',
} as const;

export type ExchangeErrorCode = keyof typeof EXCHANGE_ERROR_MESSAGES;

/** Codes worth retrying with backoff (temporary conditions). */
export const RETRYABLE_CODES: ReadonlySet<ExchangeErrorCode> = new Set<ExchangeErrorCode>([
  'RATE_LIMITED',
  'EXCHANGE_UNAVAILABLE',
  'NETWORK',
  'TIMEOUT',
]);

export class ExchangeError extends Error {
  override readonly name = 'ExchangeError';
  readonly code: ExchangeErrorCode;
  readonly retryable: boolean;
  /** the exchange's raw text, for logs only (may be empty) */
  readonly detail: string;
  /** seconds the exchange asked us to wait (Retry-After), when given */
  readonly retryAfterSec: number | undefined;

  constructor(code: ExchangeErrorCode, options: { message?: string; detail?: string; cause?: unknown; retryAfterSec?: number } = {}) {
    super(options.message ?? EXCHANGE_ERROR_MESSAGES[code], { cause: options.cause });
    this.code = code;
    this.retryable = RETRYABLE_CODES.has(code);
    this.detail = options.detail ?? '';
    this.retryAfterSec = options.retryAfterSec;
  }
}

export function isExchangeError(error: unknown, code?: ExchangeErrorCode): error is ExchangeError {
  return error instanceof ExchangeError && (code === undefined || error.code === code);
}
