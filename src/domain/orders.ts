/**
 * What an order and a resting stop look like once the exchange has answered: the exchange layer
 * produces them and the database keeps them, so they live below both (src/exchange/port.ts
 * re-exports them).
 */
export type OrderStatus = 'open' | 'closed' | 'canceled' | 'rejected' | 'expired';

export interface OrderResult {
  id: string;
  clientOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  status: OrderStatus;
  /** base units requested (after rounding) */
  qty: number;
  /** base units filled */
  filledQty: number;
  /** average fill price, quote per base (0 when nothing filled) */
  avgPrice: number;
  /** in feeCurrency */
  fee: number;
  feeCurrency: string;
  /** ms since epoch */
  timestamp: number;
  reduceOnly?: boolean;
}

export interface StopOrderState {
  id: string;
  clientOrderId: string;
  /** open: resting; closed: fired and filled; canceled / expired / rejected: gone without a fill */
  status: OrderStatus;
  stopPrice: number;
  /** base units */
  qty: number;
  /** when it fired: the exchange's fill (base units, average price, fee) */
  fill?: OrderResult;
}
