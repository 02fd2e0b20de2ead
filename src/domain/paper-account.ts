/**
 * A paper account as it is kept between restarts: balances, positions, orders and resting stops.
 * The paper exchange (src/exchange/paper.ts) works on these and the database stores them
 * (src/db/repos/paper-store.ts), so they live below both. Numbers are JS numbers.
 */
import type { OrderResult, StopOrderState } from './orders.ts';

export interface PaperPosition {
  symbol: string;
  side: 'long' | 'short';
  /** base units, > 0 */
  qty: number;
  entryPrice: number;
  leverage: number;
  /** quote units locked as margin */
  margin: number;
  liquidationPrice?: number;
}

export interface PaperState {
  /** currency → total (for margin/futures the quote total is the wallet incl. locked margin) */
  balances: Map<string, number>;
  positions: Map<string, PaperPosition>;
}

export interface PaperChange {
  balances: ReadonlyMap<string, number>;
  /** positions to write; a position with qty 0 is deleted */
  positions: readonly PaperPosition[];
  order?: OrderResult;
}

export interface PaperStop {
  symbol: string;
  /** the side of the position it protects */
  side: 'long' | 'short';
  base: string;
  state: StopOrderState;
}
