/**
 * Kraken spot's JSON, shaped after the answers in Kraken's REST docs: asset pairs, assets,
 * tickers, OHLC rows, orders (QueryOrders / OpenOrders / ClosedOrders), trades (TradesHistory),
 * consolidated margin positions (OpenPositions), TradeBalance. Numbers are strings of fixed decimals.
 */
import type { Candle } from '../../../src/domain/types.ts';
import type { KrakenBook } from './kraken-book.ts';
import { KRAKEN_ASSETS, MAKER_FEE_PERCENT, MARGIN_CALL_LEVEL, MARGIN_STOP_LEVEL, TAKER_FEE_PERCENT, fixed, type KrakenOrder, type KrakenPair, type KrakenTrade, type MarginLot } from './kraken-types.ts';

export function assetPairsJson(pairs: readonly KrakenPair[]): Record<string, unknown> {
  return Object.fromEntries(
    pairs.map((p) => [
      p.id,
      {
        altname: p.altname,
        wsname: p.wsname,
        aclass_base: 'currency',
        base: p.base,
        aclass_quote: 'currency',
        quote: p.quote,
        lot: 'unit',
        cost_decimals: 5,
        pair_decimals: p.pairDecimals,
        lot_decimals: p.lotDecimals,
        lot_multiplier: 1,
        leverage_buy: p.leverage,
        leverage_sell: p.leverage,
        fees: [[0, TAKER_FEE_PERCENT], [10_000, 0.35], [50_000, 0.24]],
        fees_maker: [[0, MAKER_FEE_PERCENT], [10_000, 0.2], [50_000, 0.14]],
        fee_volume_currency: 'ZUSD',
        margin_call: MARGIN_CALL_LEVEL,
        margin_stop: MARGIN_STOP_LEVEL,
        ordermin: p.ordermin,
        costmin: p.costmin,
        tick_size: fixed(10 ** -p.pairDecimals, p.pairDecimals),
        status: 'online',
      },
    ]),
  );
}

export function assetsJson(): Record<string, unknown> {
  return Object.fromEntries(KRAKEN_ASSETS.map((a) => [a.id, { aclass: 'currency', altname: a.altname, decimals: a.decimals, display_decimals: a.displayDecimals, collateral_value: 1, status: 'enabled' }]));
}

export function tickerJson(book: KrakenBook, pair: KrakenPair): Record<string, unknown> {
  const last = book.price(pair);
  const tick = 10 ** -pair.pairDecimals;
  const p = (v: number) => fixed(v, pair.pairDecimals);
  return {
    a: [p(last + tick), '1', '1.000'],
    b: [p(last - tick), '1', '1.000'],
    c: [p(last), '0.01000000'],
    v: ['100.00000000', '250.00000000'],
    p: [p(last), p(last)],
    t: [1000, 2500],
    l: [p(last), p(last)],
    h: [p(last), p(last)],
    o: p(last),
  };
}

/** OHLC rows [time s, open, high, low, close, vwap, volume, count], `since` in seconds */
export function ohlcJson(list: readonly Candle[], pair: KrakenPair, since: string | undefined): unknown[] {
  const from = since === undefined ? Number.NEGATIVE_INFINITY : Number(since) * 1000;
  const p = (v: number) => fixed(v, pair.pairDecimals);
  return list
    .filter((c) => c.time > from)
    .slice(-720)
    .map((c) => [Math.floor(c.time / 1000), p(c.open), p(c.high), p(c.low), p(c.close), p(c.close), fixed(c.volume, 8), 1]);
}

function describe(o: KrakenOrder): string {
  const p = (v: number | undefined) => fixed(v ?? 0, o.pair.pairDecimals);
  const head = `${o.type} ${fixed(o.vol, o.pair.lotDecimals)} ${o.pair.altname} @ `;
  const body =
    o.ordertype === 'market' ? 'market' : o.ordertype === 'limit' ? `limit ${p(o.price)}` : o.ordertype === 'stop-loss' ? `stop loss ${p(o.price)}` : `stop loss ${p(o.price)} -> limit ${p(o.price2)}`;
  return head + body + (o.leverage !== undefined ? ` with ${o.leverage}:1 leverage` : '');
}

/** AddOrder's answer */
export function addOrderJson(o: KrakenOrder): Record<string, unknown> {
  return { descr: { order: describe(o) }, txid: [o.txid] };
}

export function orderJson(book: KrakenBook, o: KrakenOrder, withTrades: boolean): Record<string, unknown> {
  const quote = book.asset(o.pair.quote).decimals;
  const p = (v: number | undefined) => fixed(v ?? 0, o.pair.pairDecimals);
  const out: Record<string, unknown> = {
    refid: null,
    userref: o.userref,
    ...(o.clOrdId !== undefined ? { cl_ord_id: o.clOrdId } : {}),
    status: o.status,
    reason: o.reason,
    opentm: o.opentm,
    ...(o.closetm !== undefined ? { closetm: o.closetm } : {}),
    starttm: 0,
    expiretm: 0,
    descr: {
      pair: o.pair.altname,
      type: o.type,
      ordertype: o.ordertype,
      price: o.ordertype === 'market' ? '0' : p(o.price),
      price2: o.ordertype === 'stop-loss-limit' ? p(o.price2) : '0',
      leverage: o.leverage !== undefined ? `${o.leverage}:1` : 'none',
      order: describe(o),
      close: '',
    },
    vol: fixed(o.vol, o.pair.lotDecimals),
    vol_exec: fixed(o.volExec, o.pair.lotDecimals),
    cost: fixed(o.cost, quote),
    fee: fixed(o.fee, book.asset(o.feeAsset).decimals),
    price: o.volExec > 0 ? fixed(o.cost / o.volExec, o.pair.pairDecimals) : '0.00000',
    stopprice: '0.00000',
    limitprice: '0.00000',
    misc: o.triggered ? 'stopped' : '',
    oflags: o.oflags.length > 0 ? o.oflags.join(',') : o.feeAsset === o.pair.base ? 'fcib' : 'fciq',
    ...(o.ordertype.startsWith('stop') ? { trigger: 'last' } : {}),
    ...(o.reduceOnly ? { reduce_only: true } : {}),
  };
  if (withTrades && o.trades.length > 0) out.trades = [...o.trades];
  return out;
}

export function tradeJson(book: KrakenBook, t: KrakenTrade): Record<string, unknown> {
  const quote = book.asset(t.pair.quote).decimals;
  return {
    ordertxid: t.ordertxid,
    postxid: t.postxid,
    pair: t.pair.id,
    time: t.time,
    type: t.type,
    ordertype: t.ordertype,
    price: fixed(t.price, t.pair.pairDecimals),
    cost: fixed(t.cost, quote),
    fee: fixed(t.fee, book.asset(t.feeAsset).decimals),
    vol: fixed(t.vol, t.pair.lotDecimals),
    margin: fixed(t.margin, quote),
    leverage: t.leverage !== undefined ? String(t.leverage) : '0',
    misc: t.misc,
    ...(t.net !== undefined ? { net: fixed(t.net, quote) } : {}),
    trade_id: Number.parseInt(t.id.replace(/[^0-9A-Z]/g, '').slice(-6), 36),
    maker: false,
  };
}

/** OpenPositions with consolidation=market: one entry per pair and side */
export function consolidatedPositionsJson(book: KrakenBook, lots: readonly MarginLot[]): unknown[] {
  const groups = new Map<string, MarginLot[]>();
  for (const lot of lots) groups.set(`${lot.pair.id}:${lot.type}`, [...(groups.get(`${lot.pair.id}:${lot.type}`) ?? []), lot]);
  return [...groups.values()].map((group) => {
    const { pair, type, leverage } = group[0]!;
    const quote = book.asset(pair.quote).decimals;
    const price = book.price(pair);
    const sum = (f: (l: MarginLot) => number) => group.reduce((s, l) => s + f(l), 0);
    const vol = sum((l) => l.vol);
    const closed = sum((l) => l.volClosed);
    const openCost = sum((l) => (l.cost * (l.vol - l.volClosed)) / l.vol);
    const value = (vol - closed) * price;
    return {
      pair: pair.id,
      positions: String(group.length),
      type,
      leverage: fixed(leverage, 5),
      cost: fixed(sum((l) => l.cost), quote),
      fee: fixed(sum((l) => l.fee), quote),
      vol: fixed(vol, pair.lotDecimals),
      vol_closed: fixed(closed, pair.lotDecimals),
      margin: fixed(sum((l) => l.margin), quote),
      value: fixed(value, quote),
      net: fixed(type === 'buy' ? value - openCost : openCost - value, quote),
    };
  });
}

/** OpenPositions without consolidation: keyed by position id */
export function positionsJson(book: KrakenBook, lots: readonly MarginLot[]): Record<string, unknown> {
  return Object.fromEntries(
    lots.map((l) => {
      const quote = book.asset(l.pair.quote).decimals;
      const price = book.price(l.pair);
      const open = l.vol - l.volClosed;
      const openCost = (l.cost * open) / l.vol;
      return [
        l.id,
        {
          ordertxid: l.ordertxid,
          posstatus: 'open',
          pair: l.pair.id,
          time: l.time,
          type: l.type,
          ordertype: 'market',
          cost: fixed(l.cost, quote),
          fee: fixed(l.fee, quote),
          vol: fixed(l.vol, l.pair.lotDecimals),
          vol_closed: fixed(l.volClosed, l.pair.lotDecimals),
          margin: fixed(l.margin, quote),
          value: fixed(open * price, quote),
          net: fixed(l.type === 'buy' ? open * price - openCost : openCost - open * price, quote),
          terms: '0.0200% per 4 hours',
          rollovertm: String(Math.floor(l.time + 4 * 3600)),
          misc: '',
          oflags: '',
        },
      ];
    }),
  );
}
