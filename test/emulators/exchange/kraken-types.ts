/**
 * Shapes and constants of the Kraken spot emulator: asset pairs (Kraken's ids: `XBTUSDT`, base
 * `XXBT`), assets, orders (market, limit, stop-loss, stop-loss-limit; with `leverage` a margin
 * order), trades, margin position lots, and the refusal Kraken answers with: HTTP 200 and
 * `{"error":["EOrder:Insufficient funds"],"result":{}}`.
 */

export interface KrakenAsset {
  /** Kraken's asset id (`XXBT`, `ZUSD`, `USDT`) */
  id: string;
  /** the name ccxt maps to its code (`XBT` → BTC) */
  altname: string;
  /** the unified code the tests speak (`BTC`) */
  code: string;
  decimals: number;
  displayDecimals: number;
}

export interface KrakenPair {
  /** Kraken's pair id, the key of AssetPairs (`XBTUSDT`, `XXBTZUSD`) */
  id: string;
  altname: string;
  wsname: string;
  /** asset ids */
  base: string;
  quote: string;
  /** volume decimals (an order's volume may carry no more) */
  lotDecimals: number;
  /** price decimals */
  pairDecimals: number;
  /** minimum volume, base units */
  ordermin: string;
  /** minimum cost, quote units */
  costmin: string;
  /** leverages a margin order may name (empty: no margin on the pair) */
  leverage: number[];
}

/** Kraken Pro's first fee tier: taker 0.40 %, maker 0.25 % (the emulator charges the taker rate) */
export const TAKER_FEE_PERCENT = 0.4;
export const MAKER_FEE_PERCENT = 0.25;
export const TAKER_FEE = TAKER_FEE_PERCENT / 100;
/** Kraken calls a margin account at 80 % margin level and liquidates at 40 % (AssetPairs margin_call / margin_stop) */
export const MARGIN_CALL_LEVEL = 80;
export const MARGIN_STOP_LEVEL = 40;

export const KRAKEN_ASSETS: KrakenAsset[] = [
  { id: 'XXBT', altname: 'XBT', code: 'BTC', decimals: 10, displayDecimals: 5 },
  { id: 'XETH', altname: 'ETH', code: 'ETH', decimals: 10, displayDecimals: 5 },
  { id: 'USDT', altname: 'USDT', code: 'USDT', decimals: 8, displayDecimals: 4 },
  { id: 'ZUSD', altname: 'USD', code: 'USD', decimals: 4, displayDecimals: 2 },
];

export const KRAKEN_PAIRS: KrakenPair[] = [
  { id: 'XBTUSDT', altname: 'XBTUSDT', wsname: 'XBT/USDT', base: 'XXBT', quote: 'USDT', lotDecimals: 8, pairDecimals: 1, ordermin: '0.00005', costmin: '0.5', leverage: [2, 3, 4, 5] },
  { id: 'ETHUSDT', altname: 'ETHUSDT', wsname: 'ETH/USDT', base: 'XETH', quote: 'USDT', lotDecimals: 8, pairDecimals: 2, ordermin: '0.002', costmin: '0.5', leverage: [2, 3, 4, 5] },
  { id: 'XXBTZUSD', altname: 'XBTUSD', wsname: 'XBT/USD', base: 'XXBT', quote: 'ZUSD', lotDecimals: 8, pairDecimals: 1, ordermin: '0.00005', costmin: '0.5', leverage: [2, 3, 4, 5] },
];

export type OrderType = 'market' | 'limit' | 'stop-loss' | 'stop-loss-limit';
export type OrderStatus = 'pending' | 'open' | 'closed' | 'canceled' | 'expired';

export interface KrakenOrder {
  txid: string;
  /** the client's id (`cl_ord_id`), or undefined */
  clOrdId: string | undefined;
  userref: number;
  pair: KrakenPair;
  type: 'buy' | 'sell';
  ordertype: OrderType;
  vol: number;
  volExec: number;
  /** limit: the limit price; stop-loss(-limit): the trigger */
  price: number | undefined;
  /** stop-loss-limit: the limit price once triggered */
  price2: number | undefined;
  /** a margin order's leverage (undefined: a spot order) */
  leverage: number | undefined;
  reduceOnly: boolean;
  /** oflags as sent (`fcib`, `fciq`, `post`, …) */
  oflags: string[];
  status: OrderStatus;
  /** a stop that has triggered and now rests (or filled) as its limit/market order */
  triggered: boolean;
  /** quote spent / received by the fills */
  cost: number;
  /** fee of the fills, in `feeAsset` */
  fee: number;
  feeAsset: string;
  /** spot: what a resting order holds back (asset id, amount) */
  hold: { asset: string; amount: number } | undefined;
  trades: string[];
  reason: string | null;
  opentm: number;
  closetm: number | undefined;
}

export interface KrakenTrade {
  id: string;
  ordertxid: string;
  postxid: string;
  pair: KrakenPair;
  time: number;
  type: 'buy' | 'sell';
  ordertype: OrderType;
  price: number;
  cost: number;
  fee: number;
  feeAsset: string;
  vol: number;
  /** margin trades: the margin posted (opening) */
  margin: number;
  leverage: number | undefined;
  /** margin trades: `open` / `closed` / `closing` etc.; misc `closing` when it closed a position */
  misc: string;
  /** margin trades that closed a position: realized P&L in quote */
  net: number | undefined;
}

/** One margin position as Kraken keeps it: per opening trade, closed by opposite margin orders. */
export interface MarginLot {
  /** the position id (Kraken: the opening trade's id) */
  id: string;
  ordertxid: string;
  pair: KrakenPair;
  type: 'buy' | 'sell';
  vol: number;
  volClosed: number;
  /** cost and margin of the whole volume, quote */
  cost: number;
  margin: number;
  fee: number;
  leverage: number;
  time: number;
}

/** An answer Kraken refuses: its error text (`EOrder:Insufficient funds`). */
export class KrakenReject extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

/** Kraken prints numbers as fixed decimals */
export function fixed(value: number, decimals: number): string {
  return (Math.round(value * 10 ** decimals) / 10 ** decimals).toFixed(decimals);
}

export function roundTo(value: number, decimals: number): number {
  return Math.round(value * 10 ** decimals) / 10 ** decimals;
}

/** the number of decimals written in a numeric text ("0.01000" → 5) */
export function decimalsOf(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}
