/**
 * Shapes and constants shared by the Binance emulator's parts (book, spot, margin, futures,
 * JSON), and the refusal it throws: BinanceReject becomes Binance's `{code, msg}`, HTTP 400.
 */
export class BinanceReject extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface EmulatorMarket {
  /** exchange id, e.g. BTCUSDT */
  id: string;
  base: string;
  quote: string;
  tickSize: string;
  stepSize: string;
  minQty: string;
  minNotional: string;
}

export type Venue = 'spot' | 'margin' | 'futures';
/** spot types; futures take MARKET and LIMIT here (their conditional orders are algo orders) */
export type OrderType = 'MARKET' | 'LIMIT' | 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT';
/** futures: BOTH in one-way mode, LONG or SHORT in hedge mode */
export type PositionSide = 'BOTH' | 'LONG' | 'SHORT';

export interface EmulatorOrder {
  venue: Venue;
  orderId: number;
  clientOrderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  type: OrderType;
  origQty: number;
  price: number;
  executedQty: number;
  avgPrice: number;
  status: 'NEW' | 'FILLED' | 'CANCELED' | 'EXPIRED';
  /** conditional spot orders: the trigger price, and whether it has fired (Binance's isWorking) */
  stopPrice: number;
  working: boolean;
  /** spot: what the resting order holds back from the free balance */
  locked: { asset: string; amount: number } | undefined;
  reduceOnly: boolean;
  /** total commission, in `commissionAsset` */
  commission: number;
  commissionAsset: string;
  /** spot/margin fills as the FULL answer lists them (never on order lookups) */
  fills: Fill[];
  /** margin orders: placed in the symbol's isolated wallet */
  isIsolated: boolean;
  positionSide: PositionSide;
  time: number;
}

export interface Fill {
  price: number;
  qty: number;
  commission: number;
  commissionAsset: string;
  tradeId: number;
}

/** one row of the account's trade list (myTrades / userTrades) */
export interface EmulatorTrade extends Fill {
  venue: Venue;
  orderId: number;
  symbol: string;
  side: 'BUY' | 'SELL';
  isIsolated: boolean;
  positionSide: PositionSide;
  /** futures: profit or loss the fill realised, quote */
  realizedPnl: number;
  time: number;
}

/** taker fees of the emulated account */
export const SPOT_FEE = 0.001;
export const FUTURES_FEE = 0.0004;
/** maintenance margin rate used for liquidation prices */
export const MAINT_RATE = 0.004;

export const DEFAULT_MARKETS: EmulatorMarket[] = [
  { id: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', minNotional: '5' },
  { id: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', stepSize: '0.0001', minQty: '0.0001', minNotional: '5' },
];
