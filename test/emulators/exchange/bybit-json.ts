/**
 * Bybit v5 JSON of the emulator's state: instruments, tickers, klines, the unified wallet,
 * positions, orders and executions. Field names and string-typed numbers follow Bybit's documented
 * responses (and ccxt's recorded ones); fields the bot never reads keep plausible constants.
 */
import type { Candle } from '../../../src/domain/types.ts';
import type { BybitBook } from './bybit-book.ts';
import { liquidation, positionIM } from './bybit-fills.ts';
import { num, type BybitExecution, type BybitMarket, type BybitOrder, type BybitPosition, type Category } from './bybit-types.ts';

export function instrumentJson(m: BybitMarket, category: Category): Record<string, unknown> {
  if (category === 'spot') {
    const s = m.spot;
    return {
      symbol: m.symbol,
      baseCoin: m.base,
      quoteCoin: m.quote,
      innovation: '0',
      status: 'Trading',
      marginTrading: 'utaOnly',
      stTag: '0',
      lotSizeFilter: { basePrecision: s.basePrecision, quotePrecision: '0.00000001', minOrderQty: s.minOrderQty, maxOrderQty: s.maxOrderQty, minOrderAmt: s.minOrderAmt, maxOrderAmt: s.maxOrderAmt },
      priceFilter: { tickSize: s.tickSize },
      riskParameters: { priceLimitRatioX: '0.05', priceLimitRatioY: '0.05' },
    };
  }
  const l = m.linear;
  return {
    symbol: m.symbol,
    contractType: 'LinearPerpetual',
    status: 'Trading',
    baseCoin: m.base,
    quoteCoin: m.quote,
    launchTime: '1585526400000',
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: String(l.tickSize.includes('.') ? l.tickSize.split('.')[1]!.length : 0),
    leverageFilter: { minLeverage: '1', maxLeverage: l.maxLeverage.toFixed(2), leverageStep: '0.01' },
    priceFilter: { minPrice: l.tickSize, maxPrice: '1999999.80', tickSize: l.tickSize },
    lotSizeFilter: { maxOrderQty: l.maxOrderQty, minOrderQty: l.minOrderQty, qtyStep: l.qtyStep, postOnlyMaxOrderQty: l.maxOrderQty, maxMktOrderQty: l.maxOrderQty, minNotionalValue: l.minNotionalValue },
    unifiedMarginTrade: true,
    fundingInterval: 480,
    settleCoin: m.quote,
    copyTrading: 'both',
    upperFundingRate: '0.005',
    lowerFundingRate: '-0.005',
    isPreListing: false,
    preListingInfo: null,
  };
}

export function tickerJson(book: BybitBook, m: BybitMarket, category: Category): Record<string, unknown> {
  const price = book.price(m.symbol);
  const tick = Number(category === 'spot' ? m.spot.tickSize : m.linear.tickSize);
  const common = {
    symbol: m.symbol,
    bid1Price: num(price - tick),
    bid1Size: '1',
    ask1Price: num(price + tick),
    ask1Size: '1',
    lastPrice: num(price),
    prevPrice24h: num(price),
    price24hPcnt: '0',
    highPrice24h: num(price),
    lowPrice24h: num(price),
    turnover24h: '0',
    volume24h: '0',
  };
  if (category === 'spot') return { ...common, usdIndexPrice: num(price) };
  return { ...common, indexPrice: num(price), markPrice: num(price), prevPrice1h: num(price), openInterest: '0', openInterestValue: '0', fundingRate: '0.0001', nextFundingTime: '0', predictedDeliveryPrice: '', basisRate: '', deliveryFeeRate: '', deliveryTime: '0' };
}

/** Bybit klines: newest first, [start, open, high, low, close, volume, turnover] as strings */
export function klineRows(list: readonly Candle[], p: Record<string, string>): string[][] {
  const start = p.start === undefined ? Number.NEGATIVE_INFINITY : Number(p.start);
  const end = p.end === undefined ? Number.POSITIVE_INFINITY : Number(p.end);
  const limit = Math.min(p.limit === undefined ? 200 : Number(p.limit), 1000);
  const chosen = list.filter((c) => c.time >= start && c.time <= end);
  const rows = p.start === undefined ? chosen.slice(-limit) : chosen.slice(0, limit);
  return rows.reverse().map((c) => [String(c.time), num(c.open), num(c.high), num(c.low), num(c.close), num(c.volume), num(c.volume * c.close)]);
}

/** GET /v5/account/wallet-balance (UNIFIED): availableToWithdraw is "" on UTA since 2025; used = locked + margin */
export function walletJson(book: BybitBook, coinFilter: string | undefined): Record<string, unknown> {
  const wanted = coinFilter === undefined ? undefined : coinFilter.split(',');
  const coins = [...book.coins.entries()].filter(([coin]) => wanted === undefined || wanted.includes(coin));
  let upl = 0;
  for (const p of book.positions.values()) upl += book.unrealised(p);
  const totalIM = book.totalPositionIM();
  const equity = book.equity();
  return {
    list: [
      {
        accountType: 'UNIFIED',
        accountIMRate: equity > 0 ? num(totalIM / equity) : '0',
        accountMMRate: '0',
        accountLTV: '0',
        totalEquity: num(equity),
        totalWalletBalance: num(equity - upl),
        totalMarginBalance: num(equity),
        totalAvailableBalance: num(equity - totalIM),
        totalPerpUPL: num(upl),
        totalInitialMargin: num(totalIM),
        totalMaintenanceMargin: '0',
        coin: coins.map(([coin, balance]) => ({
          coin,
          equity: num(balance + (coin === 'USDT' ? upl : 0)),
          usdValue: num(balance * book.coinPrice(coin)),
          walletBalance: num(balance),
          free: '',
          locked: num(book.locked(coin)),
          spotHedgingQty: '0',
          borrowAmount: num(Math.max(0, -balance)),
          availableToWithdraw: '',
          accruedInterest: '0',
          totalOrderIM: '0',
          totalPositionIM: coin === 'USDT' ? num(totalIM) : '0',
          totalPositionMM: '0',
          unrealisedPnl: coin === 'USDT' ? num(upl) : '0',
          cumRealisedPnl: '0',
          bonus: '0',
          marginCollateral: true,
          collateralSwitch: true,
          availableToBorrow: '',
        })),
      },
    ],
  };
}

export function positionJson(book: BybitBook, p: BybitPosition): Record<string, unknown> {
  const { liqPrice, bustPrice } = liquidation(book, p);
  const mark = book.price(p.symbol);
  const size = Math.abs(p.size);
  return {
    positionIdx: 0,
    riskId: 1,
    riskLimitValue: '2000000',
    symbol: p.symbol,
    side: p.size > 0 ? 'Buy' : p.size < 0 ? 'Sell' : '',
    size: num(size),
    avgPrice: num(p.avgPrice),
    positionValue: num(size * p.avgPrice),
    tradeMode: 0,
    positionStatus: 'Normal',
    autoAddMargin: 0,
    adlRankIndicator: size > 0 ? 2 : 0,
    leverage: num(p.leverage),
    positionBalance: num(positionIM(book, p)),
    markPrice: num(mark),
    liqPrice: size > 0 ? num(liqPrice) : '',
    bustPrice: size > 0 ? num(bustPrice) : '',
    positionMM: '0',
    positionIM: num(positionIM(book, p)),
    tpslMode: 'Full',
    takeProfit: '0',
    stopLoss: '0',
    trailingStop: '0',
    unrealisedPnl: num(book.unrealised(p)),
    curRealisedPnl: num(p.curRealisedPnl),
    cumRealisedPnl: num(p.cumRealisedPnl),
    seq: 1,
    isReduceOnly: false,
    createdTime: String(p.createdTime),
    updatedTime: String(p.updatedTime),
  };
}

export function orderJson(o: BybitOrder): Record<string, unknown> {
  const filled = o.cumExecQty;
  const open = ['New', 'PartiallyFilled', 'Untriggered'].includes(o.orderStatus);
  const json: Record<string, unknown> = {
    orderId: o.orderId,
    orderLinkId: o.orderLinkId,
    blockTradeId: '',
    symbol: o.symbol,
    price: num(o.price),
    qty: num(o.qty),
    side: o.side,
    isLeverage: o.category === 'spot' ? String(o.isLeverage) : '',
    positionIdx: 0,
    orderStatus: o.orderStatus,
    cancelType: o.orderStatus === 'Cancelled' || o.orderStatus === 'Deactivated' ? 'CancelByUser' : 'UNKNOWN',
    rejectReason: o.rejectReason,
    avgPrice: filled > 0 ? num(o.avgPrice) : o.category === 'spot' ? '' : '0',
    leavesQty: num(open ? o.qty - filled : 0),
    leavesValue: num(open ? (o.qty - filled) * (o.price || o.triggerPrice) : 0),
    cumExecQty: num(filled),
    cumExecValue: num(o.cumExecValue),
    cumExecFee: num(o.cumExecFee),
    cumFeeDetail: filled > 0 && o.feeCoin ? { [o.feeCoin]: num(o.cumExecFee) } : {},
    timeInForce: o.orderType === 'Market' ? 'IOC' : 'GTC',
    orderType: o.orderType,
    stopOrderType: o.triggerPrice > 0 ? (o.orderFilter === 'tpslOrder' ? 'tpslOrder' : 'Stop') : '',
    orderIv: '',
    triggerPrice: o.triggerPrice > 0 ? num(o.triggerPrice) : o.category === 'spot' ? '0.00' : '',
    takeProfit: '',
    stopLoss: '',
    tpTriggerBy: '',
    slTriggerBy: '',
    triggerDirection: o.triggerDirection,
    triggerBy: o.triggerPrice > 0 ? 'LastPrice' : '',
    lastPriceOnCreated: '',
    reduceOnly: o.reduceOnly,
    closeOnTrigger: false,
    placeType: '',
    smpType: 'None',
    smpGroup: 0,
    smpOrderId: '',
    createdTime: String(o.createdTime),
    updatedTime: String(o.updatedTime),
  };
  if (o.category === 'spot') json.marketUnit = o.orderType === 'Market' ? 'baseCoin' : '';
  else json.tpslMode = '';
  return json;
}

export function executionJson(e: BybitExecution): Record<string, unknown> {
  return {
    symbol: e.symbol,
    orderType: e.orderType,
    underlyingPrice: '',
    orderLinkId: e.orderLinkId,
    side: e.side,
    indexPrice: '',
    orderId: e.orderId,
    stopOrderType: e.stopOrderType || 'UNKNOWN',
    leavesQty: '0',
    execTime: String(e.execTime),
    feeCurrency: e.feeCurrency,
    isMaker: false,
    execFee: num(e.execFee),
    feeRate: num(e.feeRate),
    execId: e.execId,
    tradeIv: '',
    blockTradeId: '',
    markPrice: num(e.execPrice),
    execPrice: num(e.execPrice),
    markIv: '',
    orderQty: num(e.execQty),
    orderPrice: num(e.execPrice),
    execValue: num(e.execQty * e.execPrice),
    execType: 'Trade',
    execQty: num(e.execQty),
    closedSize: e.category === 'linear' ? num(e.closedSize) : '',
    seq: 1,
  };
}
