/**
 * Kraken: spot and spot margin on `kraken`, perpetual futures on a separate ccxt class
 * `krakenfutures` (another API, another key).
 * - Spot margin takes the leverage in the order params (there is no per-symbol setting) and
 *   supports reduce_only; plain spot has neither.
 * - Kraken futures: leverage is a per-symbol preference (leveragepreferences, set by a call);
 *   margin mode follows from it (a max leverage = isolated), so it is not set separately.
 * - Client order ids: spot `cl_ord_id`, futures `cliOrdId` (ccxt maps `clientOrderId`).
 * - Kraken's own texts (seed Appendix B): `EOrder:Margin level too low`, `EOrder:Insufficient funds`.
 */
import type { Exchange } from 'ccxt';
import type { ExchangePosition, MarginMode, TradingMode } from '../port.ts';
import { defaultQuirks, type ExchangeQuirks } from './types.ts';

export const krakenQuirks: ExchangeQuirks = {
  ...defaultQuirks,
  id: 'kraken',
  name: 'Kraken',
  modes: ['spot', 'margin', 'futures'],
  buyFeeInBase: false,
  /** spot margin is account-wide and Kraken Futures' multi-collateral wallet backs every position: cross only */
  marginModes(mode: TradingMode): readonly MarginMode[] {
    return mode === 'spot' ? [] : ['cross'];
  },
  ccxtClass(mode: TradingMode) {
    return mode === 'futures' ? 'krakenfutures' : 'kraken';
  },
  constructorOptions(mode: TradingMode) {
    return mode === 'futures' ? { defaultType: 'swap' } : { defaultType: 'spot' };
  },
  acceptsMarket(market, mode) {
    if (market.active === false) return false;
    if (mode === 'futures') return market.type === 'swap';
    return market.spot === true;
  },
  leverageVia(mode: TradingMode) {
    return mode === 'futures' ? 'call' : mode === 'margin' ? 'order-param' : 'none';
  },
  marginModeVia() {
    return 'none';
  },
  orderParams({ mode, clientOrderId, reduceOnly, leverage }) {
    const params: Record<string, unknown> = { clientOrderId };
    if (mode === 'margin') params.leverage = Math.max(2, Math.round(leverage ?? 2));
    if (mode !== 'spot' && reduceOnly) params.reduceOnly = true;
    return params;
  },
  reportsPositions(mode: TradingMode) {
    return mode !== 'spot';
  },
  /**
   * Spot-margin positions (OpenPositions, consolidated by pair) carry no entry price in ccxt:
   * entry = cost / vol; what is still open is vol − vol_closed.
   */
  adjustPosition(position: ExchangePosition, info: Readonly<Record<string, unknown>>) {
    if (info.pair === undefined) return position;
    const vol = Number(info.vol ?? 0);
    const closed = Number(info.vol_closed ?? 0);
    const cost = Number(info.cost ?? 0);
    return { ...position, qty: vol - closed, entryPrice: vol > 0 ? cost / vol : position.entryPrice };
  },
  /** Kraken reports the margin level per account (TradeBalance `ml`, percent); it liquidates at 40 % */
  async fetchMarginLevel(client: Exchange, mode: TradingMode) {
    if (mode !== 'margin') return undefined;
    const response = (await (client as unknown as { privatePostTradeBalance(params: object): Promise<{ result?: { ml?: string } }> }).privatePostTradeBalance({}));
    const level = Number(response.result?.ml);
    return Number.isFinite(level) && level > 0 ? level : undefined;
  },
  normalizeClientOrderId(clientOrderId: string) {
    return clientOrderId.slice(0, 36);
  },
  /** Kraken futures has a demo environment (demo-futures.kraken.com); Kraken spot has none */
  testnet(mode: TradingMode) {
    return mode === 'futures' ? 'sandbox' : 'none';
  },
  /**
   * Backstop (from Kraken's docs and ccxt, untested here): Kraken Futures a reduce-only stop
   * (createOrder with stopLossPrice; createStopLossOrder is NotSupported); spot a stop-loss-limit
   * sell, assumed to hold the coins (unverified), so sells shrink it first. Margin: none yet.
   */
  backstop(mode: TradingMode) {
    if (mode === 'futures') return { type: 'market', limitOffset: 0, locksBalance: false, amendable: true, params: { reduceOnly: true }, lookupParams: { trigger: true }, tested: false } as const;
    if (mode === 'spot') return { type: 'limit', limitOffset: 0.01, locksBalance: true, amendable: false, params: {}, lookupParams: {}, tested: false } as const;
    return undefined;
  },
  errorPatterns: [
    [/EOrder:Margin level too low|EOrder:Insufficient margin|insufficient ?margin/i, 'MARGIN_LEVEL_TOO_LOW'],
    [/EOrder:Insufficient funds|insufficientAvailableFunds/i, 'INSUFFICIENT_FUNDS'],
    [/EOrder:Reduce only|wouldNotReducePosition|reduceOnly/i, 'REDUCE_ONLY_INVALID'],
    [/EOrder:Order minimum not met|EGeneral:Invalid arguments:volume minimum/i, 'ORDER_BELOW_MINIMUM'],
    [/EAPI:Rate limit exceeded|EOrder:Rate limit exceeded|apiLimitExceeded/i, 'RATE_LIMITED'],
  ],
};
