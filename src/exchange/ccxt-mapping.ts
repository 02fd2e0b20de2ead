/**
 * Raw ccxt shapes → our port types, in one place. Contract markets count in contracts; our
 * quantities are base units (contracts × contractSize).
 */
import ccxt from 'ccxt';
import type { Balances, Fee, Market as CcxtMarket, OHLCV, Order as CcxtOrder, Position as CcxtPosition } from 'ccxt';
import type { AssetBalance, Balance, Candle, ExchangePosition, Market, OrderResult, OrderStatus } from './port.ts';

/** a precision entry as a step: TICK_SIZE mode gives the step, DECIMAL_PLACES a digit count */
function step(value: number | undefined, precisionMode: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  return precisionMode === ccxt.DECIMAL_PLACES ? 10 ** -value : value;
}

/** contracts × contract size without binary noise (5.37 × 0.01 = 0.0537, not 0.053700000000000005) */
export function times(a: number, b: number): number {
  return b === 1 ? a : Number((a * b).toPrecision(15));
}

export function toMarket(m: NonNullable<CcxtMarket>, precisionMode: number): Market {
  const contractSize = m.contract ? (m.contractSize ?? 1) : 1;
  const amountStep = step(m.precision.amount, precisionMode) ?? 1e-8;
  const minAmount = m.limits.amount?.min ?? 0;
  const maxAmount = m.limits.amount?.max;
  const market: Market = {
    symbol: m.symbol,
    id: m.id ?? m.symbol,
    base: m.base,
    quote: m.quote,
    type: m.type === 'swap' ? 'swap' : m.type === 'future' ? 'future' : 'spot',
    tickSize: step(m.precision.price, precisionMode) ?? 1e-8,
    stepSize: times(amountStep, contractSize),
    minQty: times(minAmount, contractSize),
    minCost: m.limits.cost?.min ?? 0,
    contractSize,
  };
  if (m.settle) market.settle = m.settle;
  if (maxAmount !== undefined && maxAmount !== null) market.maxQty = times(maxAmount, contractSize);
  if (m.spot) market.marginAllowed = m.margin === true;
  const maxLeverage = m.limits.leverage?.max;
  if (maxLeverage !== undefined && maxLeverage !== null && maxLeverage > 0) market.maxLeverage = maxLeverage;
  return market;
}

const STATUS: Record<string, OrderStatus> = { open: 'open', closed: 'closed', canceled: 'canceled', cancelled: 'canceled', rejected: 'rejected', expired: 'expired' };

/**
 * @param clientOrderId ours (the exchange may hold a normalized variant)
 * @param takerFee fee rate used to estimate the fee when the exchange's answer has none
 */
export function toOrderResult(order: CcxtOrder, market: Market, clientOrderId: string, takerFee: number): OrderResult {
  const size = market.contractSize;
  const filledQty = times(order.filled ?? 0, size);
  const avgPrice = order.average ?? (filledQty > 0 && order.cost ? order.cost / filledQty : 0);
  const listed = (order as { fees?: Fee[] }).fees;
  const fees: Fee[] = listed?.length ? listed : order.fee ? [order.fee] : [];
  const known = fees.filter((f) => f && f.cost !== undefined && f.cost !== null);
  const fee = known.length ? known.reduce((sum, f) => sum + Number(f?.cost ?? 0), 0) : filledQty * avgPrice * takerFee;
  const feeCurrency = known[0]?.currency ?? market.quote;
  const result: OrderResult = {
    id: String(order.id),
    clientOrderId,
    symbol: market.symbol,
    side: order.side === 'sell' ? 'sell' : 'buy',
    type: order.type === 'limit' ? 'limit' : 'market',
    status: STATUS[order.status ?? ''] ?? (filledQty > 0 ? 'closed' : 'open'),
    qty: times(order.amount ?? 0, size),
    filledQty,
    avgPrice,
    fee,
    feeCurrency,
    timestamp: order.timestamp ?? order.lastTradeTimestamp ?? 0,
  };
  if (order.reduceOnly !== undefined && order.reduceOnly !== null) result.reduceOnly = order.reduceOnly;
  return result;
}

export function toPosition(p: CcxtPosition, market: Market | undefined): ExchangePosition | undefined {
  const contracts = Math.abs(p.contracts ?? 0);
  if (!(contracts > 0) || !p.symbol) return undefined;
  const size = market?.contractSize ?? p.contractSize ?? 1;
  const side = p.side === 'short' ? 'short' : 'long';
  const position: ExchangePosition = {
    symbol: p.symbol,
    side,
    qty: times(contracts, size),
    entryPrice: p.entryPrice ?? 0,
    leverage: p.leverage ?? 1,
  };
  if (p.marginMode === 'cross' || p.marginMode === 'isolated') position.marginMode = p.marginMode;
  if (p.liquidationPrice) position.liquidationPrice = p.liquidationPrice;
  if (p.unrealizedPnl !== undefined && p.unrealizedPnl !== null) position.unrealizedPnl = p.unrealizedPnl;
  if (p.markPrice) position.markPrice = p.markPrice;
  // ccxt's marginRatio = maintenance margin / collateral; the exchange's margin level is its inverse in percent
  if (p.marginRatio) position.marginLevel = 100 / p.marginRatio;
  return position;
}

export function toBalance(balances: Balances): Balance {
  const out: Record<string, AssetBalance> = {};
  for (const [currency, entry] of Object.entries(balances)) {
    if (['info', 'free', 'used', 'total', 'debt', 'timestamp', 'datetime'].includes(currency)) continue;
    const value = entry as { free?: number; used?: number; total?: number } | undefined;
    if (!value || typeof value !== 'object') continue;
    const free = Number(value.free ?? 0);
    const used = Number(value.used ?? 0);
    const total = value.total !== undefined && value.total !== null ? Number(value.total) : free + used;
    if (free === 0 && used === 0 && total === 0) continue;
    out[currency] = { free, used, total };
  }
  return out;
}

/** ccxt OHLCV rows [time ms, open, high, low, close, volume] → candles; rows missing a price are dropped */
export function toCandles(rows: readonly OHLCV[]): Candle[] {
  const candles: Candle[] = [];
  for (const [time, open, high, low, close, volume] of rows) {
    if (time === undefined || open === undefined || high === undefined || low === undefined || close === undefined) continue;
    candles.push({ time, open, high, low, close, volume: volume ?? 0 });
  }
  return candles;
}
