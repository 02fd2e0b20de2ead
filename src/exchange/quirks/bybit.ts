/**
 * Bybit v5, unified trading account (UTA): spot, spot margin (an order flag `isLeverage`), USDT
 * perpetuals. Exercised against test/emulators/exchange/bybit-*.ts.
 * - Spot and spot margin have no reduce-only; spot margin borrows per order (isLeverage 1) and a
 *   coin bought or sold back repays its liability.
 * - Perpetuals: leverage is set per symbol by a call (buy and sell leverage together; asking for
 *   the leverage already set is refused with 110043, which means success here); the margin mode
 *   is account-wide on a UTA (POST /v5/account/set-margin-mode; refused while a position is open).
 * - Client order id `orderLinkId` (≤ 36 chars; ccxt maps `clientOrderId`).
 * - ccxt's fetchOrder on a UTA reads /v5/order/realtime (the last 500 orders of any status) only
 *   once told so (`acknowledged`); conditional orders are looked up with `trigger: true`.
 * - Key permissions: GET /v5/user/query-api (signed; any key may call it).
 */
import type { Exchange } from 'ccxt';
import type { KeyPermissions, MarginMode, TradingMode } from '../port.ts';
import { defaultQuirks, type ExchangeQuirks } from './types.ts';

export const bybitQuirks: ExchangeQuirks = {
  ...defaultQuirks,
  id: 'bybit',
  name: 'Bybit',
  /** ms: ccxt's default recv_window for Bybit (X-BAPI-RECV-WINDOW) */
  receiveWindowMs: 5_000,
  /** GET /v5/execution/list names each execution's orderLinkId */
  tradeClientOrderIdField: 'orderLinkId',
  modes: ['spot', 'margin', 'futures'],
  /** the unified account trades cross by default; isolated is an account-wide mode for derivatives; spot margin is cross */
  marginModes(mode: TradingMode): readonly MarginMode[] {
    return mode === 'futures' ? ['cross', 'isolated'] : mode === 'margin' ? ['cross'] : [];
  },
  constructorOptions(mode: TradingMode) {
    return {
      defaultType: mode === 'futures' ? 'swap' : 'spot',
      fetchMarkets: { types: mode === 'futures' ? ['linear'] : ['spot'] },
      // the order lookup by id or client id reads the realtime list, which keeps the last 500 orders
      fetchOrder: { acknowledged: true },
    };
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
  settingUnchanged: /110043|leverage not modified/i,
  normalizeClientOrderId(clientOrderId: string) {
    return clientOrderId.slice(0, 36);
  },
  /** Wallet "Withdraw" (master keys), Spot "SpotTrade", ContractTrade "Order"; a read-only key trades nothing */
  async keyPermissions(client: Exchange): Promise<KeyPermissions> {
    const api = client as unknown as { privateGetV5UserQueryApi(params?: Record<string, unknown>): Promise<{ result?: Record<string, unknown> }> };
    const info = (await api.privateGetV5UserQueryApi()).result ?? {};
    const granted = (info.permissions ?? {}) as Record<string, unknown>;
    const has = (group: string, name: string): boolean | undefined => (Array.isArray(granted[group]) ? (granted[group] as unknown[]).includes(name) : undefined);
    const readOnly = Number(info.readOnly) === 1;
    const permissions: KeyPermissions = {};
    const canWithdraw = has('Wallet', 'Withdraw');
    const canTrade = has('Spot', 'SpotTrade');
    const canFutures = has('ContractTrade', 'Order');
    if (canWithdraw !== undefined) permissions.canWithdraw = canWithdraw;
    if (canTrade !== undefined) permissions.canTrade = canTrade && !readOnly;
    if (canFutures !== undefined) permissions.canFutures = canFutures && !readOnly;
    return permissions;
  },
  /**
   * Backstop. Futures: a conditional reduce-only market order (ccxt stopLossPrice → triggerPrice
   * with triggerDirection 2 for a long's sell, 1 for a short's buy), amended in place by editOrder.
   * Spot: a conditional order (orderFilter StopOrder), which holds no coins until it fires — ccxt
   * would send a stopLossPrice as a TP/SL order (tpslOrder), which holds them; the param overrides
   * that. When it fires it keeps its order id and fills as a market order. Margin: none yet.
   */
  backstop(mode: TradingMode) {
    if (mode === 'futures') return { type: 'market', limitOffset: 0, locksBalance: false, amendable: true, params: { reduceOnly: true }, lookupParams: { trigger: true }, tested: true } as const;
    if (mode === 'spot') return { type: 'market', limitOffset: 0, locksBalance: false, amendable: true, params: { orderFilter: 'StopOrder' }, lookupParams: { trigger: true }, tested: true } as const;
    return undefined;
  },
  errorPatterns: [
    [/110092|110093|expect (Rising|Falling)/i, 'INVALID_ORDER'],
    [/110012|110044|110045|110007.*margin|Insufficient available margin|margin.*insufficient/i, 'MARGIN_LEVEL_TOO_LOW'],
    [/110004|110007|170131|ab not enough|Insufficient balance|Wallet balance is insufficient/i, 'INSUFFICIENT_FUNDS'],
    [/110017|reduce-only/i, 'REDUCE_ONLY_INVALID'],
    [/170136|170140|110094|lower than the minimum|lower limit|minimum order value|min(imum)? order (value|qty)/i, 'ORDER_BELOW_MINIMUM'],
    [/10006|10018|Too many visits/i, 'RATE_LIMITED'],
  ],
};
