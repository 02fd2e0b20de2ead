/**
 * Shapes and constants of the Bitget v2 emulator, and the refusal it throws: BitgetReject becomes
 * Bitget's `{code, msg, requestTime, data: null}` (HTTP 400, or the status given).
 */
export class BitgetReject extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** One coin pair, listed on spot (and spot margin) and as a USDT-M perpetual. */
export interface BitgetMarket {
  /** exchange id, e.g. BTCUSDT (the same on spot and USDT-FUTURES) */
  id: string;
  base: string;
  quote: string;
  /** spot: decimals of the price and of the quantity */
  spotPricePrecision: number;
  spotQuantityPrecision: number;
  /** USDT-M: decimals of the price, the price step in units of the last decimal, decimals of the size */
  pricePlace: number;
  priceEndStep: number;
  volumePlace: number;
  /** USDT-M minimum size, base coin */
  minTradeNum: number;
  /** USDT, minimum order value on both spot and USDT-M */
  minTradeUSDT: number;
  maxLever: number;
}

export const DEFAULT_BITGET_MARKETS: BitgetMarket[] = [
  { id: 'BTCUSDT', base: 'BTC', quote: 'USDT', spotPricePrecision: 2, spotQuantityPrecision: 6, pricePlace: 1, priceEndStep: 1, volumePlace: 4, minTradeNum: 0.0001, minTradeUSDT: 5, maxLever: 125 },
  { id: 'ETHUSDT', base: 'ETH', quote: 'USDT', spotPricePrecision: 2, spotQuantityPrecision: 4, pricePlace: 2, priceEndStep: 1, volumePlace: 2, minTradeNum: 0.01, minTradeUSDT: 5, maxLever: 100 },
];

/** spot taker fee (fraction), taken in the coin received */
export const SPOT_FEE = 0.001;
/** USDT-M taker fee (fraction), in USDT */
export const MIX_TAKER_FEE = 0.0006;
export const MIX_MAKER_FEE = 0.0002;
/** USDT-M maintenance margin rate (one tier) */
export const KEEP_MARGIN_RATE = 0.004;
/** leverage of a symbol nobody set */
export const DEFAULT_LEVERAGE = 10;

export type Side = 'buy' | 'sell';
export type Venue = 'spot' | 'mix';
export type MarginModeId = 'crossed' | 'isolated';

/** A plain (market) order, spot or USDT-M, as Bitget keeps it. */
export interface BitgetOrder {
  venue: Venue;
  orderId: string;
  clientOid: string;
  symbol: string;
  side: Side;
  orderType: 'market';
  /** spot market buy: quote amount (USDT); otherwise base coin */
  size: number;
  /** base coin filled */
  baseVolume: number;
  /** quote filled */
  quoteVolume: number;
  priceAvg: number;
  /** positive amount charged */
  fee: number;
  feeCoin: string;
  status: 'filled' | 'cancelled';
  reduceOnly: boolean;
  marginMode: MarginModeId;
  /** USDT-M: realized profit of a closing fill, before fees */
  profit: number;
  tradeSide: 'open' | 'close';
  cTime: number;
  uTime: number;
}

export interface BitgetFill {
  venue: Venue;
  tradeId: string;
  orderId: string;
  symbol: string;
  side: Side;
  price: number;
  /** base coin */
  size: number;
  fee: number;
  feeCoin: string;
  profit: number;
  tradeSide: 'open' | 'close';
  cTime: number;
}

/** A trigger order: spot plan order, or USDT-M position stop (tpsl `loss_plan` / `profit_plan`) or `normal_plan`. */
export interface PlanOrder {
  venue: Venue;
  orderId: string;
  clientOid: string;
  symbol: string;
  planType: 'amount' | 'total' | 'normal_plan' | 'loss_plan' | 'profit_plan';
  side: Side;
  /** base coin (spot `amount` plan and USDT-M) */
  size: number;
  triggerPrice: number;
  triggerType: string;
  /** fires when the price falls to the trigger ('down') or rises to it ('up') */
  direction: 'down' | 'up';
  /** USDT-M tpsl: the position side it closes ('buy' = long, 'sell' = short in one-way mode) */
  holdSide?: string;
  reduceOnly: boolean;
  marginMode?: MarginModeId;
  status: 'live' | 'executed' | 'cancelled' | 'fail_execute';
  /** the market order it became when it fired */
  executeOrderId?: string;
  cTime: number;
  uTime: number;
}

export interface MixPosition {
  symbol: string;
  holdSide: 'long' | 'short';
  /** base coin */
  total: number;
  openPriceAvg: number;
  marginMode: MarginModeId;
  leverage: number;
  /** USDT set aside for the position */
  margin: number;
  achievedProfits: number;
  cTime: number;
  uTime: number;
}

/** true when `value` has no more than `places` decimals */
export function fitsDecimals(value: number, places: number): boolean {
  const scaled = value * 10 ** places;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6;
}

/** drops binary noise so balances and positions reach exactly zero */
export const clean = (value: number): number => Math.round(value * 1e12) / 1e12;
