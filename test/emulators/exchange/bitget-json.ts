/**
 * Bitget v2's JSON for markets, tickers, candles, accounts, positions, orders, fills and trigger
 * orders, shaped after Bitget's documented answers (numbers as strings, times in ms as strings).
 */
import type { Candle } from '../../../src/domain/types.ts';
import type { BitgetBook } from './bitget-book.ts';
import { MIX_MAKER_FEE, MIX_TAKER_FEE, SPOT_FEE, KEEP_MARGIN_RATE, type BitgetFill, type BitgetMarket, type BitgetOrder, type MixPosition, type PlanOrder } from './bitget-types.ts';

const s = (value: number): string => String(Number(value.toPrecision(15)));

export function spotSymbolJson(m: BitgetMarket): Record<string, unknown> {
  return {
    symbol: m.id, baseCoin: m.base, quoteCoin: m.quote, minTradeAmount: '0', maxTradeAmount: '10000000000', takerFeeRate: s(SPOT_FEE), makerFeeRate: s(SPOT_FEE),
    pricePrecision: String(m.spotPricePrecision), quantityPrecision: String(m.spotQuantityPrecision), quotePrecision: String(m.spotPricePrecision), status: 'online',
    minTradeUSDT: s(m.minTradeUSDT), buyLimitPriceRatio: '0.05', sellLimitPriceRatio: '0.05', areaSymbol: 'no', orderQuantity: '200', openTime: '1532454360000', offTime: '',
  };
}

export function marginCurrencyJson(m: BitgetMarket): Record<string, unknown> {
  return {
    symbol: m.id, baseCoin: m.base, quoteCoin: m.quote, maxCrossedLeverage: '3', maxIsolatedLeverage: '10', warningRiskRatio: '0.8', liquidationRiskRatio: '1',
    minTradeAmount: '0', maxTradeAmount: '10000000000', takerFeeRate: s(SPOT_FEE), makerFeeRate: s(SPOT_FEE), priceScale: String(m.spotPricePrecision),
    quantityScale: String(m.spotQuantityPrecision), minTradeUSDT: s(m.minTradeUSDT), isBorrowable: true, userMinBorrow: '0.00000001', status: '1',
    isIsolatedBaseBorrowable: true, isIsolatedQuoteBorrowable: true, isCrossBorrowable: true,
  };
}

export function contractJson(m: BitgetMarket): Record<string, unknown> {
  return {
    symbol: m.id, baseCoin: m.base, quoteCoin: m.quote, buyLimitPriceRatio: '0.01', sellLimitPriceRatio: '0.01', feeRateUpRatio: '0.005', makerFeeRate: s(MIX_MAKER_FEE),
    takerFeeRate: s(MIX_TAKER_FEE), openCostUpRatio: '0.01', supportMarginCoins: [m.quote], minTradeNum: s(m.minTradeNum), priceEndStep: String(m.priceEndStep),
    volumePlace: String(m.volumePlace), pricePlace: String(m.pricePlace), sizeMultiplier: s(10 ** -m.volumePlace), symbolType: 'perpetual', minTradeUSDT: s(m.minTradeUSDT),
    maxSymbolOrderNum: '200', maxProductOrderNum: '400', maxPositionNum: '150', symbolStatus: 'normal', offTime: '-1', limitOpenTime: '-1', deliveryTime: '',
    deliveryStartTime: '', launchTime: '', fundFeeTime: '', minLever: '1', maxLever: String(m.maxLever), posLimit: '0.05', maintainTime: '',
  };
}

export function spotTickerJson(symbol: string, price: number, ts: number): Record<string, unknown> {
  const p = s(price);
  return { symbol, high24h: p, open: p, low24h: p, lastPr: p, quoteVolume: '0', baseVolume: '0', usdtVolume: '0', bidPr: p, askPr: p, bidSz: '1', askSz: '1', openUtc: p, ts: String(ts), changeUtc24h: '0', change24h: '0' };
}

export function mixTickerJson(symbol: string, price: number, ts: number): Record<string, unknown> {
  const p = s(price);
  return {
    symbol, lastPr: p, askPr: p, bidPr: p, bidSz: '1', askSz: '1', high24h: p, low24h: p, ts: String(ts), change24h: '0', baseVolume: '0', quoteVolume: '0', usdtVolume: '0',
    openUtc: p, changeUtc24h: '0', indexPrice: p, fundingRate: '0.0001', holdingAmount: '0', deliveryStartTime: null, deliveryTime: null, deliveryStatus: '', open24h: p, markPrice: p,
  };
}

/** candle rows: the last `limit` (default 100) with open time in [startTime, endTime], oldest first */
export function candlesJson(list: readonly Candle[], p: Record<string, string>): string[][] {
  const start = p.startTime === undefined ? Number.NEGATIVE_INFINITY : Number(p.startTime);
  const end = p.endTime === undefined ? Number.POSITIVE_INFINITY : Number(p.endTime);
  const limit = p.limit === undefined ? 100 : Number(p.limit);
  const rows = list.filter((c) => c.time >= start && c.time <= end).slice(-limit);
  return rows.map((c) => [String(c.time), s(c.open), s(c.high), s(c.low), s(c.close), s(c.volume), s(c.volume * c.close), s(c.volume * c.close)]);
}

export function spotAssetsJson(book: BitgetBook, coin: string | undefined): Record<string, unknown>[] {
  return [...book.spotBalances.entries()]
    .filter(([c, b]) => (coin === undefined ? b.available + b.frozen > 0 : c === coin))
    .map(([c, b]) => ({ coin: c, available: s(b.available), frozen: s(b.frozen), locked: '0', limitAvailable: '0', uTime: '1700000000000' }));
}

export function mixAccountJson(book: BitgetBook): Record<string, unknown> {
  const unrealized = [...book.positions.values()].reduce((sum, p) => sum + book.unrealized(p), 0);
  const available = book.mixAvailable();
  return {
    marginCoin: 'USDT', locked: '0', available: s(available), crossedMaxAvailable: s(available), isolatedMaxAvailable: s(available), maxTransferOut: s(available),
    accountEquity: s(book.mixWallet + unrealized), usdtEquity: s(book.mixWallet + unrealized), btcEquity: '0', crossedRiskRate: '0', unrealizedPL: s(unrealized), coupon: '0',
    crossedUnrealizedPL: s(unrealized), isolatedUnrealizedPL: '0', assetMode: 'single',
  };
}

export function positionJson(book: BitgetBook, p: MixPosition): Record<string, unknown> {
  const mark = book.prices.get(p.symbol) ?? p.openPriceAvg;
  return {
    marginCoin: 'USDT', symbol: p.symbol, holdSide: p.holdSide, openDelegateSize: '0', marginSize: s(p.margin), available: s(p.total), locked: '0', total: s(p.total),
    leverage: String(p.leverage), achievedProfits: s(p.achievedProfits), openPriceAvg: s(p.openPriceAvg), marginMode: p.marginMode, posMode: book.posMode,
    unrealizedPL: s(book.unrealized(p)), liquidationPrice: s(book.liquidationPrice(p)), keepMarginRate: s(KEEP_MARGIN_RATE), markPrice: s(mark), marginRatio: '0.01',
    breakEvenPrice: s(p.openPriceAvg), totalFee: '0', deductedFee: '0', cTime: String(p.cTime), uTime: String(p.uTime),
  };
}

/** spot `orderInfo`: fee detail as Bitget's JSON string, fee negative */
export function spotOrderJson(o: BitgetOrder): Record<string, unknown> {
  const feeDetail = JSON.stringify({ newFees: { c: 0, d: 0, deduction: false, r: -o.fee, t: -o.fee, totalDeductionFee: 0 }, [o.feeCoin]: { deduction: false, feeCoinCode: o.feeCoin, totalDeductionFee: 0, totalFee: -o.fee } });
  return {
    userId: '1000000001', symbol: o.symbol, orderId: o.orderId, clientOid: o.clientOid, price: '0', size: s(o.size), orderType: o.orderType, side: o.side, status: o.status,
    priceAvg: s(o.priceAvg), baseVolume: s(o.baseVolume), quoteVolume: s(o.quoteVolume), enterPointSource: 'API', feeDetail, orderSource: 'market', cancelReason: '',
    cTime: String(o.cTime), uTime: String(o.uTime),
  };
}

export function mixOrderJson(book: BitgetBook, o: BitgetOrder): Record<string, unknown> {
  return {
    symbol: o.symbol, size: s(o.size), orderId: o.orderId, clientOid: o.clientOid, baseVolume: s(o.baseVolume), priceAvg: s(o.priceAvg), fee: s(-o.fee), price: '0', state: o.status,
    side: o.side, force: 'gtc', totalProfits: s(o.profit), posSide: 'net', marginCoin: 'USDT', presetStopSurplusPrice: '', presetStopLossPrice: '', quoteVolume: s(o.quoteVolume),
    orderType: o.orderType, leverage: String(book.leverageOf(o.symbol)), marginMode: o.marginMode, reduceOnly: o.reduceOnly ? 'YES' : 'NO', enterPointSource: 'API',
    tradeSide: o.tradeSide, posMode: book.posMode, orderSource: 'market', cancelReason: '', cTime: String(o.cTime), uTime: String(o.uTime),
  };
}

export function spotFillJson(f: BitgetFill): Record<string, unknown> {
  return {
    userId: '1000000001', symbol: f.symbol, orderId: f.orderId, tradeId: f.tradeId, orderType: 'market', side: f.side, priceAvg: s(f.price), size: s(f.size), amount: s(f.price * f.size),
    feeDetail: { deduction: 'no', feeCoin: f.feeCoin, totalDeductionFee: '0', totalFee: s(-f.fee) }, tradeScope: 'taker', cTime: String(f.cTime), uTime: String(f.cTime),
  };
}

export function mixFillJson(book: BitgetBook, f: BitgetFill): Record<string, unknown> {
  return {
    tradeId: f.tradeId, symbol: f.symbol, orderId: f.orderId, price: s(f.price), baseVolume: s(f.size), feeDetail: [{ deduction: 'no', feeCoin: f.feeCoin, totalDeductionFee: null, totalFee: s(-f.fee) }],
    side: f.side, quoteVolume: s(f.price * f.size), profit: s(f.profit), enterPointSource: 'api', tradeSide: f.tradeSide, posMode: book.posMode, tradeScope: 'taker', cTime: String(f.cTime),
  };
}

export function spotPlanJson(p: PlanOrder): Record<string, unknown> {
  const json: Record<string, unknown> = {
    orderId: p.orderId, clientOid: p.clientOid, symbol: p.symbol, size: s(p.size), planType: 'AMOUNT', executePrice: '0', triggerPrice: s(p.triggerPrice), status: p.status,
    orderType: 'market', side: p.side, triggerType: p.triggerType, enterPointSource: 'API', cTime: String(p.cTime), uTime: String(p.uTime),
  };
  if (p.executeOrderId) json.executeOrderId = p.executeOrderId;
  return json;
}

export function mixPlanJson(book: BitgetBook, p: PlanOrder): Record<string, unknown> {
  const json: Record<string, unknown> = {
    planType: p.planType, symbol: p.symbol, size: s(p.size), orderId: p.orderId, clientOid: p.clientOid, price: '0', executePrice: '0', callbackRatio: '', triggerPrice: s(p.triggerPrice),
    triggerType: p.triggerType, planStatus: p.status, side: p.side, posSide: p.holdSide === 'sell' || p.holdSide === 'short' ? 'short' : p.holdSide ? 'long' : 'net', marginCoin: 'USDT',
    marginMode: p.marginMode ?? 'crossed', enterPointSource: 'API', tradeSide: p.reduceOnly ? 'close' : 'open', posMode: book.posMode, orderType: 'market', reduceOnly: p.reduceOnly ? 'YES' : 'NO',
    stopSurplusTriggerPrice: '', stopSurplusExecutePrice: '', stopSurplusTriggerType: 'fill_price', stopLossTriggerPrice: '', stopLossExecutePrice: '', stopLossTriggerType: 'fill_price',
    cTime: String(p.cTime), uTime: String(p.uTime),
  };
  if (p.executeOrderId) json.executeOrderId = p.executeOrderId;
  return json;
}

