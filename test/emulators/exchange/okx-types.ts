/**
 * Shapes and constants of the OKX v5 emulator: instruments (spot and USDT-margined swaps, whose
 * size is counted in contracts of `ctVal` base each), orders, fills, algo orders, positions, and
 * the rejection OKX answers with (`{code, msg, data:[{sCode, sMsg}]}`).
 */

export type InstType = 'SPOT' | 'SWAP';
export type TdMode = 'cash' | 'cross' | 'isolated';
export type PosSide = 'net' | 'long' | 'short';

export interface OkxMarket {
  instId: string;
  instType: InstType;
  baseCcy: string;
  quoteCcy: string;
  /** swaps: the settlement coin (USDT) */
  settleCcy?: string;
  /** swaps: base units per contract (BTC-USDT-SWAP: 0.01 BTC) */
  ctVal?: number;
  /** size step, in the order's unit (base on spot, contracts on swaps) */
  lotSz: string;
  minSz: string;
  tickSz: string;
  /** maximum leverage */
  lever: string;
}

/** taker fee rates (OKX Lv1): spot 0.1 %, swaps 0.05 %; makers pay the same here */
export const SPOT_FEE = 0.001;
export const SWAP_FEE = 0.0005;
/** maintenance margin rate of the one tier the emulator knows */
export const MAINT_RATE = 0.004;
/** a limit price may be at most this fraction away from the last price (51006 beyond it) */
export const PRICE_LIMIT = 0.05;
/** ms a request's OK-ACCESS-TIMESTAMP may differ from the server clock (50102 beyond it) */
export const TIMESTAMP_WINDOW_MS = 30_000;

export const DEFAULT_OKX_MARKETS: OkxMarket[] = [
  { instId: 'BTC-USDT', instType: 'SPOT', baseCcy: 'BTC', quoteCcy: 'USDT', lotSz: '0.00000001', minSz: '0.00001', tickSz: '0.1', lever: '10' },
  { instId: 'ETH-USDT', instType: 'SPOT', baseCcy: 'ETH', quoteCcy: 'USDT', lotSz: '0.000001', minSz: '0.0001', tickSz: '0.01', lever: '10' },
  { instId: 'BTC-USDT-SWAP', instType: 'SWAP', baseCcy: 'BTC', quoteCcy: 'USDT', settleCcy: 'USDT', ctVal: 0.01, lotSz: '0.01', minSz: '0.01', tickSz: '0.1', lever: '100' },
  { instId: 'ETH-USDT-SWAP', instType: 'SWAP', baseCcy: 'ETH', quoteCcy: 'USDT', settleCcy: 'USDT', ctVal: 0.1, lotSz: '0.01', minSz: '0.01', tickSz: '0.01', lever: '100' },
];

export interface OkxOrder {
  ordId: string;
  clOrdId: string;
  instId: string;
  instType: InstType;
  side: 'buy' | 'sell';
  ordType: 'market' | 'limit';
  /** in the instrument's unit: base (spot) or contracts (swap) */
  sz: number;
  px: number | undefined;
  tdMode: TdMode;
  posSide: PosSide;
  reduceOnly: boolean;
  state: 'live' | 'partially_filled' | 'filled' | 'canceled';
  accFillSz: number;
  avgPx: number;
  /** OKX's sign: negative is a charge */
  fee: number;
  feeCcy: string;
  /** realized P&L of the fills (swaps) */
  pnl: number;
  lever: number;
  /** spot: what a resting order holds back (ccy, amount) */
  frozen?: { ccy: string; amount: number };
  /** the algo order it came from */
  algoId: string;
  algoClOrdId: string;
  cTime: number;
  uTime: number;
  fillTime: number | undefined;
}

export interface OkxFill {
  tradeId: string;
  billId: string;
  ordId: string;
  clOrdId: string;
  instId: string;
  instType: InstType;
  side: 'buy' | 'sell';
  posSide: PosSide;
  fillPx: number;
  fillSz: number;
  fee: number;
  feeCcy: string;
  fillPnl: number;
  ts: number;
}

export interface OkxAlgo {
  algoId: string;
  algoClOrdId: string;
  instId: string;
  instType: InstType;
  ordType: 'conditional' | 'trigger';
  side: 'buy' | 'sell';
  posSide: PosSide;
  tdMode: TdMode;
  sz: number;
  reduceOnly: boolean;
  /** conditional: stop-loss trigger (and -1 = market, else the limit price) */
  slTriggerPx: number | undefined;
  slOrdPx: number | undefined;
  tpTriggerPx: number | undefined;
  tpOrdPx: number | undefined;
  /** trigger orders: the price and the order price (-1 = market) */
  triggerPx: number | undefined;
  orderPx: number | undefined;
  /** trigger orders fire when the price reaches triggerPx from this side */
  triggerAbove: boolean;
  state: 'live' | 'effective' | 'canceled' | 'order_failed';
  /** the order it became, once fired */
  ordId: string;
  actualSz: number | undefined;
  actualPx: number | undefined;
  actualSide: '' | 'sl' | 'tp';
  failCode: string;
  triggerTime: number | undefined;
  lever: number;
  cTime: number;
  uTime: number;
}

export interface OkxPosition {
  instId: string;
  posSide: PosSide;
  mgnMode: 'cross' | 'isolated';
  /** contracts; signed in net mode (short < 0), positive in long/short mode */
  pos: number;
  avgPx: number;
  lever: number;
  /** isolated: the margin it holds, USDT */
  margin: number;
  realizedPnl: number;
  posId: string;
  cTime: number;
  uTime: number;
}

/** A request OKX refuses: `code` of the whole answer, `sCode`/`sMsg` per item where OKX lists them. */
export class OkxReject extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 200,
    /** per-order answers carry sCode/sMsg under code "1" */
    readonly perItem = false,
  ) {
    super(message);
  }
}

/** Decimal text without exponent or binary noise, as OKX prints numbers. */
export function fmt(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '';
  const text = Number(value.toPrecision(12)).toFixed(12);
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

export function isMultiple(value: number, step: string): boolean {
  const ratio = value / Number(step);
  return Math.abs(ratio - Math.round(ratio)) < 1e-7;
}

/** drops binary noise below 1e-12 so balances and positions reach exactly zero */
export const clean = (value: number): number => Math.round(value * 1e12) / 1e12;
