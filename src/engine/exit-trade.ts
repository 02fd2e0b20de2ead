/** The trade row of one exit (seed's trades table): the position's own fields plus what this exit did. */
import type { PositionRecord } from '../db/repos/positions.ts';
import type { NewTrade } from '../db/repos/trades.ts';

export type ExitFields = Pick<NewTrade, 'quantity' | 'exitPrice' | 'pnl' | 'fee' | 'closeReason' | 'source' | 'closedAt'> & { dust?: number };

/** `p.state` is read after the exit was applied: side, entry and levels are the position's. */
export function exitTrade(p: PositionRecord, exit: ExitFields): NewTrade {
  const s = p.state;
  return {
    userId: p.userId,
    accountId: p.accountId,
    positionId: p.id,
    symbol: p.symbol,
    side: s.side,
    entryPrice: s.entry,
    stopLoss: s.stopLoss,
    takeProfit: s.takeProfit,
    ...exit,
  };
}
