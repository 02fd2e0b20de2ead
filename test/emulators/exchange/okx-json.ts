/**
 * OKX v5's JSON for the emulator's answers (the `data` items): instruments, tickers, the trading
 * account balance, positions, orders, algo orders, fills, candles. Every number is a string, as
 * OKX sends them; fields ccxt does not read are kept where OKX documents them, empty.
 */
import type { Candle } from '../../../src/domain/types.ts';
import type { OkxBook } from './okx-book.ts';
import { liquidationPrice } from './okx-swap.ts';
import { fmt, MAINT_RATE, SPOT_FEE, SWAP_FEE, type OkxAlgo, type OkxFill, type OkxMarket, type OkxOrder, type OkxPosition } from './okx-types.ts';

export function instrumentJson(m: OkxMarket): Record<string, string> {
  const swap = m.instType === 'SWAP';
  return {
    alias: '',
    baseCcy: swap ? '' : m.baseCcy,
    category: '1',
    ctMult: swap ? '1' : '',
    ctType: swap ? 'linear' : '',
    ctVal: swap ? fmt(m.ctVal) : '',
    ctValCcy: swap ? m.baseCcy : '',
    expTime: '',
    instFamily: swap ? `${m.baseCcy}-${m.quoteCcy}` : '',
    instId: m.instId,
    instType: m.instType,
    lever: m.lever,
    listTime: '1606468572000',
    lotSz: m.lotSz,
    maxIcebergSz: '9999999999',
    maxLmtSz: '9999999999',
    maxMktSz: swap ? '12000' : '1000000',
    maxStopSz: '9999999999',
    maxTwapSz: '9999999999',
    maxTriggerSz: '9999999999',
    minSz: m.minSz,
    optType: '',
    quoteCcy: swap ? '' : m.quoteCcy,
    settleCcy: swap ? m.settleCcy! : '',
    state: 'live',
    stk: '',
    tickSz: m.tickSz,
    uly: swap ? `${m.baseCcy}-${m.quoteCcy}` : '',
  };
}

export function tickerJson(book: OkxBook, m: OkxMarket, now: number): Record<string, string> {
  const last = book.prices.get(m.instId) ?? 0;
  const tick = Number(m.tickSz);
  return {
    instType: m.instType,
    instId: m.instId,
    last: fmt(last),
    lastSz: '0.1',
    askPx: fmt(last + tick),
    askSz: '1',
    bidPx: fmt(last - tick),
    bidSz: '1',
    open24h: fmt(last),
    high24h: fmt(last),
    low24h: fmt(last),
    volCcy24h: '0',
    vol24h: '0',
    ts: String(now),
    sodUtc0: fmt(last),
    sodUtc8: fmt(last),
  };
}

export function balanceJson(book: OkxBook, now: number, ccyFilter: string | undefined): Record<string, unknown> {
  const wanted = ccyFilter === undefined ? undefined : new Set(ccyFilter.split(','));
  const details = [...book.balances.keys()]
    .filter((ccy) => wanted === undefined || wanted.has(ccy))
    .map((ccy) => {
      const upl = uplOf(book, ccy);
      const cash = book.cash(ccy);
      const avail = book.available(ccy);
      return {
        ccy,
        eq: fmt(cash + upl),
        cashBal: fmt(cash),
        availBal: fmt(book.cash(ccy) - book.frozen(ccy)),
        availEq: fmt(avail),
        frozenBal: fmt(cash - avail),
        ordFrozen: fmt(book.frozen(ccy)),
        upl: fmt(upl),
        isoEq: fmt(isolatedEquity(book, ccy)),
        liab: '0',
        crossLiab: '0',
        isoLiab: '0',
        interest: '0',
        eqUsd: fmt(cash + upl),
        uTime: String(now),
      };
    });
  return { adjEq: '', imr: '', mmr: '', mgnRatio: '', notionalUsd: '', ordFroz: '', totalEq: '', uTime: String(now), details };
}

function uplOf(book: OkxBook, ccy: string): number {
  let upl = 0;
  for (const p of book.positions.values()) {
    const m = book.markets.get(p.instId);
    if (!m || m.settleCcy !== ccy || p.pos === 0) continue;
    upl += positionUpl(book, p, m);
  }
  return upl;
}

function isolatedEquity(book: OkxBook, ccy: string): number {
  let eq = 0;
  for (const p of book.positions.values()) {
    const m = book.markets.get(p.instId);
    if (m?.settleCcy === ccy && p.mgnMode === 'isolated' && p.pos !== 0) eq += p.margin + positionUpl(book, p, m);
  }
  return eq;
}

function positionUpl(book: OkxBook, p: OkxPosition, m: OkxMarket): number {
  const mark = book.prices.get(p.instId) ?? p.avgPx;
  return (mark - p.avgPx) * p.pos * (m.ctVal ?? 1) * (p.posSide === 'short' ? -1 : 1);
}

export function positionJson(book: OkxBook, p: OkxPosition, now: number): Record<string, string> {
  const m = book.market(p.instId);
  const mark = book.prices.get(p.instId) ?? p.avgPx;
  const notional = Math.abs(p.pos) * (m.ctVal ?? 1) * mark;
  const upl = positionUpl(book, p, m);
  const crossEquity = book.available(m.settleCcy!) + (p.mgnMode === 'cross' ? notional / p.lever : 0);
  const liq = liquidationPrice(p, m, crossEquity);
  return {
    adl: '1',
    availPos: fmt(Math.abs(p.pos)),
    avgPx: fmt(p.avgPx),
    cTime: String(p.cTime),
    ccy: m.settleCcy!,
    imr: p.mgnMode === 'cross' ? fmt(notional / p.lever) : '',
    instId: p.instId,
    instType: 'SWAP',
    last: fmt(mark),
    lever: String(p.lever),
    liqPx: liq === undefined ? '' : fmt(liq),
    margin: p.mgnMode === 'isolated' ? fmt(p.margin) : '',
    markPx: fmt(mark),
    mgnMode: p.mgnMode,
    mgnRatio: '',
    mmr: fmt(notional * MAINT_RATE),
    notionalUsd: fmt(notional),
    pos: fmt(p.pos),
    posCcy: '',
    posId: p.posId,
    posSide: p.posSide,
    realizedPnl: fmt(p.realizedPnl),
    upl: fmt(upl),
    uplRatio: fmt(notional > 0 ? (upl / (notional / p.lever)) : 0),
    uTime: String(now),
  };
}

export function orderJson(o: OkxOrder): Record<string, unknown> {
  return {
    accFillSz: fmt(o.accFillSz),
    algoClOrdId: o.algoClOrdId,
    algoId: o.algoId,
    attachAlgoOrds: [],
    avgPx: o.accFillSz > 0 ? fmt(o.avgPx) : '',
    cTime: String(o.cTime),
    cancelSource: '',
    category: 'normal',
    ccy: '',
    clOrdId: o.clOrdId,
    fee: fmt(o.fee),
    feeCcy: o.feeCcy,
    fillPx: o.accFillSz > 0 ? fmt(o.avgPx) : '',
    fillSz: fmt(o.accFillSz),
    fillTime: o.fillTime === undefined ? '' : String(o.fillTime),
    instId: o.instId,
    instType: o.instType,
    lever: o.instType === 'SWAP' ? String(o.lever) : '',
    ordId: o.ordId,
    ordType: o.ordType,
    pnl: fmt(o.pnl),
    posSide: o.posSide,
    px: o.px === undefined ? '' : fmt(o.px),
    rebate: '0',
    rebateCcy: o.feeCcy,
    reduceOnly: String(o.reduceOnly),
    side: o.side,
    slOrdPx: '',
    slTriggerPx: '',
    source: o.algoId === '' ? '' : '2',
    state: o.state,
    sz: fmt(o.sz),
    tag: '',
    tdMode: o.tdMode,
    tgtCcy: o.instType === 'SPOT' ? 'base_ccy' : '',
    tpOrdPx: '',
    tpTriggerPx: '',
    tradeId: '',
    uTime: String(o.uTime),
  };
}

export function algoJson(a: OkxAlgo): Record<string, unknown> {
  return {
    activePx: '',
    actualPx: a.actualPx === undefined ? '' : fmt(a.actualPx),
    actualSide: a.actualSide,
    actualSz: a.actualSz === undefined ? '' : fmt(a.actualSz),
    algoClOrdId: a.algoClOrdId,
    algoId: a.algoId,
    cTime: String(a.cTime),
    callbackRatio: '',
    callbackSpread: '',
    ccy: '',
    clOrdId: '',
    closeFraction: '',
    failCode: a.failCode,
    instId: a.instId,
    instType: a.instType,
    last: '',
    lever: a.instType === 'SWAP' ? String(a.lever || '') : '',
    moveTriggerPx: '',
    ordId: a.ordId,
    ordIdList: a.ordId === '' ? [] : [a.ordId],
    ordPx: a.orderPx === undefined ? '' : fmt(a.orderPx),
    ordType: a.ordType,
    posSide: a.posSide,
    reduceOnly: String(a.reduceOnly),
    side: a.side,
    slOrdPx: a.slOrdPx === undefined ? '' : fmt(a.slOrdPx),
    slTriggerPx: a.slTriggerPx === undefined ? '' : fmt(a.slTriggerPx),
    slTriggerPxType: a.slTriggerPx === undefined ? '' : 'last',
    state: a.state,
    sz: fmt(a.sz),
    tag: '',
    tdMode: a.tdMode,
    tgtCcy: '',
    tpOrdPx: a.tpOrdPx === undefined ? '' : fmt(a.tpOrdPx),
    tpTriggerPx: a.tpTriggerPx === undefined ? '' : fmt(a.tpTriggerPx),
    tpTriggerPxType: a.tpTriggerPx === undefined ? '' : 'last',
    triggerPx: a.triggerPx === undefined ? '' : fmt(a.triggerPx),
    triggerPxType: a.triggerPx === undefined ? '' : 'last',
    triggerTime: a.triggerTime === undefined ? '' : String(a.triggerTime),
    uTime: String(a.uTime),
  };
}

export function fillJson(f: OkxFill): Record<string, string> {
  return {
    billId: f.billId,
    clOrdId: f.clOrdId,
    execType: 'T',
    fee: fmt(f.fee),
    feeCcy: f.feeCcy,
    fillIdxPx: '',
    fillPnl: fmt(f.fillPnl),
    fillPx: fmt(f.fillPx),
    fillSz: fmt(f.fillSz),
    fillTime: String(f.ts),
    instId: f.instId,
    instType: f.instType,
    ordId: f.ordId,
    posSide: f.posSide,
    side: f.side,
    subType: f.side === 'buy' ? '1' : '2',
    tag: '',
    tradeId: f.tradeId,
    ts: String(f.ts),
  };
}

/**
 * OKX candle rows, newest first: [ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]. `after`
 * returns rows older than it, `before` newer than it; `limit` (default 100) caps the count.
 */
export function candlesJson(list: readonly Candle[], p: Record<string, string>): string[][] {
  const after = p.after === undefined ? Number.POSITIVE_INFINITY : Number(p.after);
  const before = p.before === undefined ? Number.NEGATIVE_INFINITY : Number(p.before);
  const limit = p.limit === undefined ? 100 : Number(p.limit);
  const rows = list.filter((c) => c.time < after && c.time > before).slice(-limit).reverse();
  return rows.map((c) => [String(c.time), fmt(c.open), fmt(c.high), fmt(c.low), fmt(c.close), fmt(c.volume), fmt(c.volume), fmt(c.volume * c.close), '1']);
}

export function tradeFeeJson(m: OkxMarket): Record<string, string> {
  const rate = m.instType === 'SWAP' ? SWAP_FEE : SPOT_FEE;
  return { category: '1', delivery: '', exercise: '', instType: m.instType, level: 'Lv1', maker: fmt(-rate), makerU: fmt(-rate), taker: fmt(-rate), takerU: fmt(-rate), ts: '0' };
}
