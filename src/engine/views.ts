/** Engine records as the facade's views (what the Telegram layer formats). */
import type { PositionRecord } from '../db/repos/positions.ts';
import type { TradeRecord } from '../db/repos/trades.ts';
import type { PositionView, TradeView } from './facade.ts';
import { splitSymbol } from '../domain/fills.ts';

export interface ViewExtras {
  accountLabel: string;
  lastPrice: number | null;
  amountStep?: number | undefined;
  priceTick?: number | undefined;
}

export function toPositionView(p: PositionRecord, extras: ViewExtras): PositionView {
  const { accountLabel, lastPrice } = extras;
  const s = p.state;
  const sign = s.side === 'long' ? 1 : -1;
  const live = lastPrice !== null && p.status !== 'closed' && s.qty > 0;
  // the remaining quantity's share of the entry fee: the P&L is after fees, like an exit's
  const entryFeeShare = s.qtyInitial > 0 ? (p.entryFee * s.qty) / s.qtyInitial : 0;
  const unrealized = live ? (lastPrice - s.entry) * s.qty * sign - entryFeeShare : null;
  return {
    id: p.id,
    number: p.number ?? null,
    userId: p.userId,
    accountId: p.accountId,
    accountLabel,
    quote: splitSymbol(p.symbol).quote || 'USDT',
    amountStep: extras.amountStep ?? null,
    priceTick: extras.priceTick ?? null,
    exchange: p.exchange,
    isPaper: p.isPaper,
    symbol: p.symbol,
    side: s.side,
    mode: s.mode,
    leverage: s.leverage,
    entryPrice: s.entry,
    qtyInitial: s.qtyInitial,
    qty: s.qty,
    stopLoss: s.stopLoss,
    takeProfit: s.takeProfit,
    trailingActive: s.trailingActive,
    trailingStop: s.trailingStop,
    liquidationPrice: s.liquidationPrice ?? null,
    partialTaken: [...s.partialTaken],
    openedAt: new Date(s.openedAt),
    status: p.status === 'closed' ? 'closed' : p.status === 'open' && !p.pendingAction ? 'open' : 'closing',
    closeReason: p.closeReason,
    lastPrice,
    unrealizedPnl: unrealized,
    unrealizedPct: unrealized !== null && s.entry > 0 ? (unrealized / (s.entry * s.qty)) * 100 : null,
    realizedPnl: p.realizedPnl,
    ...exchangeStopOf(p),
  };
}

function exchangeStopOf(p: PositionRecord): Pick<PositionView, 'exchangeStop'> {
  const b = p.backstop;
  if (!b || p.status === 'closed') return {};
  if (b.status === 'live' && b.stopPrice !== null) return { exchangeStop: { stopPrice: b.stopPrice } };
  return { exchangeStop: { stopPrice: null, problem: b.problem ?? 'no stop rests on the exchange.' } };
}

export function toTradeView(t: TradeRecord): TradeView {
  return {
    id: t.id,
    positionId: t.positionId,
    symbol: t.symbol,
    side: t.side,
    quantity: t.quantity,
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    pnl: t.pnl,
    fee: t.fee,
    closeReason: t.closeReason,
    closedAt: t.closedAt === null ? null : new Date(t.closedAt),
  };
}
