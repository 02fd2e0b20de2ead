/**
 * Binance's JSON shapes for the emulator's answers (exchangeInfo symbols, tickers, accounts,
 * positions), built from the BinanceBook state. Numbers go out as strings, as Binance
 * sends them.
 */
import { BinanceBook, MAINT_RATE, type EmulatorMarket } from './binance-book.ts';
import { liquidationPrice, unrealizedPnl, usedMargin } from './binance-futures.ts';
import { walletValue, type MarginWallet } from './binance-margin.ts';

export function tickersJson(book: BinanceBook, now: () => number, p: Record<string, string>, priceOnly: boolean): unknown {
  const row = (id: string) => {
    const price = String(book.price(id));
    return priceOnly
      ? { symbol: id, price, time: now() }
      : { symbol: id, lastPrice: price, bidPrice: price, askPrice: price, openPrice: price, highPrice: price, lowPrice: price, volume: '1000', quoteVolume: '100000', openTime: now() - 86_400_000, closeTime: now(), count: 1 };
  };
  if (p.symbol) return row(book.market(p.symbol).id);
  const ids: string[] = p.symbols ? (JSON.parse(p.symbols) as string[]) : [...book.markets.keys()];
  return ids.map((id) => row(book.market(id).id));
}

export function spotAccountJson(book: BinanceBook, now: () => number): unknown {
  return {
    makerCommission: 10,
    takerCommission: 10,
    canTrade: true,
    canWithdraw: false,
    canDeposit: true,
    updateTime: now(),
    accountType: 'SPOT',
    balances: [...book.spotBalances.entries()].map(([asset, b]) => ({ asset, free: String(b.free), locked: String(b.locked) })),
    permissions: ['SPOT'],
  };
}

export function futuresAccountJson(book: BinanceBook, now: () => number): unknown {
  const used = usedMargin(book);
  let upnl = 0;
  for (const position of book.positions.values()) upnl += unrealizedPnl(book, position);
  const wallet = book.futuresWallet;
  return {
    totalWalletBalance: String(wallet),
    totalUnrealizedProfit: String(upnl),
    totalMarginBalance: String(wallet + upnl),
    availableBalance: String(wallet - used),
    assets: [
      { asset: 'USDT', walletBalance: String(wallet), unrealizedProfit: String(upnl), marginBalance: String(wallet + upnl), initialMargin: String(used), availableBalance: String(wallet - used), maxWithdrawAmount: String(wallet - used), updateTime: now() },
    ],
    positions: [],
  };
}

/** positionRisk (v2 and v3): one row per open position, so one per side in hedge mode */
export function positionRiskJson(book: BinanceBook, now: () => number, symbol: string | undefined): unknown {
  return [...book.positions.values()]
    .filter((position) => position.amount !== 0 && (symbol === undefined || position.symbol === symbol))
    .map((position) => {
      const { leverage, marginType } = book.settings(position.symbol);
      const mark = book.price(position.symbol);
      const notional = position.amount * mark;
      const initial = (Math.abs(position.amount) * position.entryPrice) / leverage;
      const upnl = unrealizedPnl(book, position);
      const isolated = marginType === 'isolated';
      return {
        symbol: position.symbol,
        positionSide: position.positionSide,
        positionAmt: String(position.amount),
        entryPrice: String(position.entryPrice),
        breakEvenPrice: String(position.entryPrice),
        markPrice: String(mark),
        unRealizedProfit: String(upnl),
        liquidationPrice: String(liquidationPrice(book, position)),
        isolatedMargin: isolated ? String(position.isolatedWallet + upnl) : '0',
        isolatedWallet: isolated ? String(position.isolatedWallet) : '0',
        notional: String(notional),
        marginAsset: 'USDT',
        initialMargin: String(initial),
        maintMargin: String(Math.abs(notional) * MAINT_RATE),
        positionInitialMargin: String(initial),
        openOrderInitialMargin: '0',
        leverage: String(leverage),
        marginType,
        isAutoAddMargin: 'false',
        maxNotionalValue: '1000000000',
        adl: 0,
        bidNotional: '0',
        askNotional: '0',
        updateTime: now(),
      };
    });
}

export function spotSymbolJson(m: EmulatorMarket): unknown {
  return {
    symbol: m.id,
    status: 'TRADING',
    baseAsset: m.base,
    baseAssetPrecision: 8,
    quoteAsset: m.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: ['LIMIT', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: true,
    permissions: ['SPOT', 'MARGIN'],
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: m.tickSize, maxPrice: '1000000', tickSize: m.tickSize },
      { filterType: 'LOT_SIZE', minQty: m.minQty, maxQty: '9000', stepSize: m.stepSize },
      { filterType: 'NOTIONAL', minNotional: m.minNotional, applyMinToMarket: true, maxNotional: '9000000', applyMaxToMarket: false },
    ],
  };
}

export function futuresSymbolJson(m: EmulatorMarket): unknown {
  return {
    symbol: m.id,
    pair: m.id,
    contractType: 'PERPETUAL',
    deliveryDate: 4133404800000,
    onboardDate: 1569398400000,
    status: 'TRADING',
    baseAsset: m.base,
    quoteAsset: m.quote,
    marginAsset: m.quote,
    pricePrecision: BinanceBook.pricePrecision(m),
    quantityPrecision: BinanceBook.quantityPrecision(m),
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
    timeInForce: ['GTC', 'IOC'],
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: m.tickSize, maxPrice: '1000000', tickSize: m.tickSize },
      { filterType: 'LOT_SIZE', minQty: m.minQty, maxQty: '1000', stepSize: m.stepSize },
      { filterType: 'MARKET_LOT_SIZE', minQty: m.minQty, maxQty: '1000', stepSize: m.stepSize },
      { filterType: 'MIN_NOTIONAL', notional: m.minNotional },
    ],
  };
}

function marginAssetJson(name: string, entry: { free: number; borrowed: number }): Record<string, string> {
  return { asset: name, free: String(entry.free), locked: '0', borrowed: String(entry.borrowed), interest: '0', netAsset: String(entry.free - entry.borrowed), totalAsset: String(entry.free) };
}

/** margin level as Binance reports it: total asset value / total debt (999 when nothing is owed) */
function marginLevel(book: BinanceBook, wallet: MarginWallet): string {
  const { assets, debt } = walletValue(wallet, (a) => book.assetPrice(a));
  return debt > 0 ? String(assets / debt) : '999';
}

export function crossMarginAccountJson(book: BinanceBook): unknown {
  const { assets, debt } = walletValue(book.marginCross, (a) => book.assetPrice(a));
  return {
    borrowEnabled: true,
    tradeEnabled: true,
    transferEnabled: true,
    marginLevel: marginLevel(book, book.marginCross),
    totalAssetOfBtc: String(assets / book.assetPrice('BTC')),
    totalLiabilityOfBtc: String(debt / book.assetPrice('BTC')),
    totalNetAssetOfBtc: String((assets - debt) / book.assetPrice('BTC')),
    userAssets: [...book.marginCross].map(([name, entry]) => marginAssetJson(name, entry)),
  };
}

/**
 * The price of the base at which an isolated pair's margin level falls to 1.1, where Binance
 * liquidates it: base.free·p + quote.free = 1.1 · (base.borrowed·p + quote.borrowed). 0 without debt.
 */
function isolatedLiquidatePrice(base: { free: number; borrowed: number }, quote: { free: number; borrowed: number }): number {
  if (base.borrowed === 0 && quote.borrowed === 0) return 0;
  const price = (1.1 * quote.borrowed - quote.free) / (base.free - 1.1 * base.borrowed);
  return Number.isFinite(price) && price > 0 ? Math.round(price * 1e8) / 1e8 : 0;
}

export function isolatedMarginAccountJson(book: BinanceBook, symbols: string | undefined): unknown {
  const wanted = symbols?.split(',');
  const btc = book.assetPrice('BTC');
  let assets = 0;
  let debt = 0;
  const rows = [...book.marginIsolated]
    .filter(([symbol]) => !wanted || wanted.includes(symbol))
    .map(([symbol, wallet]) => {
      const market = book.market(symbol);
      const base = wallet.get(market.base) ?? { free: 0, borrowed: 0 };
      const quote = wallet.get(market.quote) ?? { free: 0, borrowed: 0 };
      const value = walletValue(wallet, (a) => book.assetPrice(a));
      assets += value.assets;
      debt += value.debt;
      return {
        symbol,
        isolatedCreated: true,
        enabled: true,
        tradeEnabled: true,
        marginLevel: marginLevel(book, wallet),
        marginLevelStatus: 'NORMAL',
        marginRatio: '5',
        indexPrice: String(book.price(symbol)),
        liquidatePrice: String(isolatedLiquidatePrice(base, quote)),
        liquidateRate: '0',
        baseAsset: marginAssetJson(market.base, base),
        quoteAsset: marginAssetJson(market.quote, quote),
      };
    });
  return {
    assets: rows,
    ...(wanted ? {} : { totalAssetOfBtc: String(assets / btc), totalLiabilityOfBtc: String(debt / btc), totalNetAssetOfBtc: String((assets - debt) / btc) }),
  };
}
