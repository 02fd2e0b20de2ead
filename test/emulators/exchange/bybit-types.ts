/**
 * Shapes and constants of the Bybit v5 emulator (unified trading account), and the refusal it
 * throws: BybitReject becomes Bybit's `{retCode, retMsg, result: {}, retExtInfo: {}, time}`.
 * Bybit answers business errors with HTTP 200 and a non-zero retCode.
 */
export class BybitReject extends Error {
  constructor(
    readonly retCode: number,
    message: string,
    readonly status = 200,
  ) {
    super(message);
  }
}

export type Category = 'spot' | 'linear';

/** One instrument, listed both as a spot pair and as a USDT perpetual under the same id. */
export interface BybitMarket {
  /** e.g. BTCUSDT */
  symbol: string;
  base: string;
  quote: string;
  spot: { tickSize: string; basePrecision: string; minOrderQty: string; maxOrderQty: string; minOrderAmt: string; maxOrderAmt: string };
  linear: { tickSize: string; qtyStep: string; minOrderQty: string; maxOrderQty: string; minNotionalValue: string; maxLeverage: number };
}

/** Bybit's spellings */
export type Side = 'Buy' | 'Sell';
export type OrderStatus = 'New' | 'PartiallyFilled' | 'Filled' | 'Cancelled' | 'Rejected' | 'Untriggered' | 'Triggered' | 'Deactivated';
/** spot: Order (plain), StopOrder (conditional, holds nothing until it fires), tpslOrder (holds the coins) */
export type OrderFilter = 'Order' | 'StopOrder' | 'tpslOrder';

export interface BybitOrder {
  category: Category;
  orderId: string;
  orderLinkId: string;
  symbol: string;
  side: Side;
  orderType: 'Market' | 'Limit';
  /** base units (spot market orders in base: marketUnit baseCoin) */
  qty: number;
  /** limit price; 0 for market */
  price: number;
  orderStatus: OrderStatus;
  orderFilter: OrderFilter;
  /** conditional orders: trigger price and direction (1 rises to it, 2 falls to it); 0 = none */
  triggerPrice: number;
  triggerDirection: 0 | 1 | 2;
  reduceOnly: boolean;
  /** spot: 1 = a margin order that may borrow */
  isLeverage: 0 | 1;
  cumExecQty: number;
  cumExecValue: number;
  /** total fee, in feeCoin */
  cumExecFee: number;
  feeCoin: string;
  avgPrice: number;
  /** spot: what a resting order holds back (limit orders, tpslOrder) */
  locked: { coin: string; amount: number } | undefined;
  rejectReason: string;
  createdTime: number;
  updatedTime: number;
}

/** one row of /v5/execution/list */
export interface BybitExecution {
  category: Category;
  execId: string;
  orderId: string;
  orderLinkId: string;
  symbol: string;
  side: Side;
  orderType: 'Market' | 'Limit';
  stopOrderType: string;
  execPrice: number;
  execQty: number;
  execFee: number;
  feeRate: number;
  feeCurrency: string;
  /** linear: the size this fill closed */
  closedSize: number;
  execTime: number;
}

/** linear USDT perpetual position, one-way mode (positionIdx 0) */
export interface BybitPosition {
  symbol: string;
  /** signed base quantity: > 0 long, < 0 short */
  size: number;
  avgPrice: number;
  /** leverage the position was opened with */
  leverage: number;
  /** isolated margin put into the position (ISOLATED_MARGIN accounts), USDT */
  positionBalance: number;
  curRealisedPnl: number;
  cumRealisedPnl: number;
  createdTime: number;
  updatedTime: number;
}

/** taker fees of a VIP 0 account: spot 0.1 % (in the coin received), derivatives 0.055 % (USDT) */
export const SPOT_FEE = 0.001;
export const LINEAR_FEE = 0.00055;
/** maintenance margin rate of the first risk tier (BTCUSDT: 0.5 %) */
export const MAINT_RATE = 0.005;
/** spot margin: the most a unified account may borrow, as a multiple of its equity minus one */
export const SPOT_MARGIN_LEVERAGE = 10;
/** how many closed orders /v5/order/realtime keeps per category (Bybit: 500) */
export const REALTIME_CLOSED_KEPT = 500;

export const DEFAULT_BYBIT_MARKETS: BybitMarket[] = [
  {
    symbol: 'BTCUSDT',
    base: 'BTC',
    quote: 'USDT',
    spot: { tickSize: '0.01', basePrecision: '0.000001', minOrderQty: '0.000048', maxOrderQty: '71.73956243', minOrderAmt: '5', maxOrderAmt: '2000000' },
    linear: { tickSize: '0.10', qtyStep: '0.001', minOrderQty: '0.001', maxOrderQty: '1190.000', minNotionalValue: '5', maxLeverage: 100 },
  },
  {
    symbol: 'ETHUSDT',
    base: 'ETH',
    quote: 'USDT',
    spot: { tickSize: '0.01', basePrecision: '0.00001', minOrderQty: '0.00062', maxOrderQty: '1229.2336343', minOrderAmt: '5', maxOrderAmt: '2000000' },
    linear: { tickSize: '0.01', qtyStep: '0.01', minOrderQty: '0.01', maxOrderQty: '7240.00', minNotionalValue: '5', maxLeverage: 100 },
  },
];

/** drops binary noise below 1e-12 so balances and positions reach exactly zero */
export const clean = (value: number): number => Math.round(value * 1e12) / 1e12;

export function isMultiple(value: number, step: string): boolean {
  const ratio = value / Number(step);
  return Math.abs(ratio - Math.round(ratio)) < 1e-7;
}

/** Bybit's number strings: plain decimals, no exponent, no binary noise */
export function num(value: number): string {
  if (!Number.isFinite(value)) return '0';
  return String(Number(value.toPrecision(12)));
}
