/**
 * Bybit (unified trading account): spot, spot margin (an order flag `isLeverage`), USDT perpetuals.
 * - Spot and spot margin have no reduce-only; spot margin borrows and repays per order (isLeverage 1).
 * - Perpetuals: leverage is set by a call (buy and sell leverage together) and the margin mode
 *   by a call that needs the leverage in its params.
 * - Client order id `orderLinkId` (≤ 36 chars; ccxt maps `clientOrderId`).
 */
import type { MarginMode, TradingMode } from '../port.ts';
import { defaultQuirks, type ExchangeQuirks } from './types.ts';

export const bybitQuirks: ExchangeQuirks = {
  ...defaultQuirks,
  id: 'bybit',
  /** ms: ccxt's default recv_window for Bybit (X-BAPI-RECV-WINDOW) */
  receiveWindowMs: 5_000,
  /** GET /v5/execution/list names each execution's orderLinkId */
  tradeClientOrderIdField: 'orderLinkId',
  modes: ['spot', 'margin', 'futures'],
  /** the unified account trades cross by default; isolated per symbol for derivatives; spot margin is cross */
  marginModes(mode: TradingMode): readonly MarginMode[] {
    return mode === 'futures' ? ['cross', 'isolated'] : mode === 'margin' ? ['cross'] : [];
  },
  constructorOptions(mode: TradingMode) {
    return { defaultType: mode === 'futures' ? 'swap' : 'spot', fetchMarkets: { types: mode === 'futures' ? ['linear'] : ['spot'] } };
  },
  supportsReduceOnly(mode: TradingMode) {
    return mode === 'futures';
  },
  marginModeVia(mode: TradingMode) {
    return mode === 'futures' ? 'call' : 'none';
  },
  orderParams({ mode, clientOrderId, reduceOnly }) {
    const params: Record<string, unknown> = { clientOrderId };
    if (mode === 'margin') params.isLeverage = 1;
    if (mode === 'futures' && reduceOnly) params.reduceOnly = true;
    return params;
  },
  orderLookupParams(_mode: TradingMode, _marginMode: MarginMode, clientOrderId: string | undefined) {
    return clientOrderId === undefined ? {} : { orderLinkId: clientOrderId };
  },
  settingParams(mode: TradingMode, _marginMode: MarginMode, leverage: number) {
    return mode === 'futures' ? { leverage } : {};
  },
  normalizeClientOrderId(clientOrderId: string) {
    return clientOrderId.slice(0, 36);
  },
  /**
   * Backstop (from Bybit's docs and ccxt, untested here): futures a conditional reduce-only market
   * order (stopLossPrice → triggerPrice with triggerDirection), amendable by editOrder; spot a
   * conditional (trigger) order, which holds no coins until it fires. Margin: none yet.
   */
  backstop(mode: TradingMode) {
    if (mode === 'futures') return { type: 'market', limitOffset: 0, locksBalance: false, amendable: true, params: { reduceOnly: true }, lookupParams: { trigger: true }, tested: false } as const;
    if (mode === 'spot') return { type: 'market', limitOffset: 0, locksBalance: false, amendable: true, params: {}, lookupParams: { trigger: true }, tested: false } as const;
    return undefined;
  },
  errorPatterns: [
    [/110012|110044|110045|110007.*margin|Insufficient available margin|margin.*insufficient/i, 'MARGIN_LEVEL_TOO_LOW'],
    [/110004|110007|170131|ab not enough|Insufficient balance|Wallet balance is insufficient/i, 'INSUFFICIENT_FUNDS'],
    [/110017|reduce-only/i, 'REDUCE_ONLY_INVALID'],
    [/170136|170140|110094|lower than the minimum|min(imum)? order (value|qty)/i, 'ORDER_BELOW_MINIMUM'],
    [/10006|10018|Too many visits/i, 'RATE_LIMITED'],
  ],
};
