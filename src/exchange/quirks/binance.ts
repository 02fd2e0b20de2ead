/**
 * Binance: spot, margin (cross and isolated, through /sapi margin orders) and USDⓈ-M futures.
 * - Spot orders have no reduce-only; margin closes use AUTO_REPAY (ccxt turns reduceOnly into it),
 *   margin opens borrow with MARGIN_BUY.
 * - Futures: leverage and margin type are per-symbol account settings set by a call
 *   (/fapi/v1/leverage, /fapi/v1/marginType) before the first order. The most leverage a symbol
 *   allows is not in the market list: it is the first leverage bracket's `initialLeverage`
 *   (GET /fapi/v1/leverageBracket, signed, per account), read per symbol and cached by the adapter.
 * - Only the market types of the mode are loaded, without currencies or margin pair lists
 *   (each of those is a signed call per instance).
 * - The futures testnet is gone: ccxt's demo trading replaces it; spot keeps the sandbox;
 *   margin has no test environment.
 * - Key permissions: GET /sapi/v1/account/apiRestrictions (signed), through ccxt's implicit API.
 */
import type { Exchange } from 'ccxt';
import type { KeyPermissions, MarginMode, TradingMode } from '../port.ts';
import { defaultQuirks, type ExchangeQuirks } from './types.ts';

/** ms: a signed request older than this when it reaches Binance is refused (-1021), never executed */
export const BINANCE_RECV_WINDOW_MS = 10_000;

export const binanceQuirks: ExchangeQuirks = {
  ...defaultQuirks,
  id: 'binance',
  name: 'Binance',
  /** ms: ccxt's default recvWindow for Binance (set explicitly in the constructor options below) */
  receiveWindowMs: BINANCE_RECV_WINDOW_MS,
  modes: ['spot', 'margin', 'futures'],
  /** the margin account and USDⓈ-M both default to cross; isolated is a per-pair / per-symbol choice */
  marginModes(mode: TradingMode): readonly MarginMode[] {
    return mode === 'spot' ? [] : ['cross', 'isolated'];
  },
  constructorOptions(mode: TradingMode) {
    return {
      defaultType: mode === 'futures' ? 'future' : mode === 'margin' ? 'margin' : 'spot',
      recvWindow: BINANCE_RECV_WINDOW_MS,
      fetchCurrencies: false,
      fetchMargins: false,
      fetchMarkets: { types: mode === 'futures' ? ['linear'] : ['spot'] },
    };
  },
  orderParams({ mode, marginMode, clientOrderId, reduceOnly }) {
    const params: Record<string, unknown> = { clientOrderId };
    if (mode === 'margin') {
      params.marginMode = marginMode;
      if (reduceOnly) params.reduceOnly = true;
      else params.sideEffectType = 'MARGIN_BUY';
    }
    if (mode === 'futures' && reduceOnly) params.reduceOnly = true;
    return params;
  },
  /** margin orders live on /sapi: the lookup must name the margin mode or ccxt asks the spot API */
  orderLookupParams(mode: TradingMode, marginMode: MarginMode, clientOrderId: string | undefined) {
    return { ...(mode === 'margin' ? { marginMode } : {}), ...(clientOrderId === undefined ? {} : { origClientOrderId: clientOrderId }) };
  },
  balanceParams(mode: TradingMode, marginMode: MarginMode) {
    return mode === 'margin' ? { marginMode } : {};
  },
  /** enableWithdrawals / enableSpotAndMarginTrading / enableFutures; a missing field stays undefined */
  async keyPermissions(client: Exchange): Promise<KeyPermissions> {
    const api = client as unknown as { sapiGetAccountApiRestrictions(params?: Record<string, unknown>): Promise<Record<string, unknown>> };
    const raw = await api.sapiGetAccountApiRestrictions();
    const flag = (name: string) => (typeof raw[name] === 'boolean' ? (raw[name] as boolean) : undefined);
    const permissions: KeyPermissions = {};
    const canWithdraw = flag('enableWithdrawals');
    const canTrade = flag('enableSpotAndMarginTrading');
    const canFutures = flag('enableFutures');
    if (canWithdraw !== undefined) permissions.canWithdraw = canWithdraw;
    if (canTrade !== undefined) permissions.canTrade = canTrade;
    if (canFutures !== undefined) permissions.canFutures = canFutures;
    return permissions;
  },
  /**
   * USD-M: a reduce-only STOP_MARKET for the position's exact quantity on the algo endpoints
   * (ccxt sends it there for a linear swap with stopLossPrice; fetch and cancel need trigger: true;
   * not amendable; the fill is the market order named by actualOrderId). Reduce-only rather than
   * closePosition, so a replacement can be placed before the old one is cancelled (-4130 only
   * hits a second closePosition stop). Spot: STOP_LOSS_LIMIT sell, which locks the coins.
   * Margin: none yet (the bot's monitor alone protects).
   */
  backstop(mode: TradingMode) {
    if (mode === 'futures') return { type: 'market', limitOffset: 0, locksBalance: false, amendable: false, params: { reduceOnly: true }, lookupParams: { trigger: true }, firedOrderField: 'actualOrderId', tested: true } as const;
    if (mode === 'spot') return { type: 'limit', limitOffset: 0.01, locksBalance: true, amendable: false, params: {}, lookupParams: {}, tested: true } as const;
    return undefined;
  },
  /** Binance limits client order ids to 36 characters of [.A-Z:/a-z0-9_-] */
  normalizeClientOrderId(clientOrderId: string) {
    return clientOrderId.replace(/[^.A-Za-z0-9:/_-]/g, '').slice(0, 36);
  },
  /** USDⓈ-M: the first leverage bracket's initialLeverage (the answer for one symbol is that symbol's object) */
  async accountMaxLeverage(client: Exchange, market: { id: string }, mode: TradingMode) {
    if (mode !== 'futures') return undefined;
    const api = client as unknown as { fapiPrivateGetLeverageBracket(params: object): Promise<unknown> };
    const answer = await api.fapiPrivateGetLeverageBracket({ symbol: market.id });
    const entry = (Array.isArray(answer) ? answer.find((e: { symbol?: string }) => e.symbol === market.id) : answer) as { brackets?: Array<{ initialLeverage?: number | string }> } | undefined;
    const leverage = Number(entry?.brackets?.[0]?.initialLeverage);
    return Number.isFinite(leverage) && leverage > 0 ? leverage : undefined;
  },
  errorPatterns: [
    [/would (immediately )?trigger|-2021|PERCENT_PRICE/i, 'INVALID_ORDER'],
    [/Margin is insufficient|-2019|exceed(ed)? maximum borrow|-3006|margin level/i, 'MARGIN_LEVEL_TOO_LOW'],
    [/insufficient balance|-2010.*insufficient/i, 'INSUFFICIENT_FUNDS'],
    [/ReduceOnly Order is rejected|-2022/i, 'REDUCE_ONLY_INVALID'],
    [/Filter failure: (MIN_)?NOTIONAL|-4164|notional must be no smaller/i, 'ORDER_BELOW_MINIMUM'],
    [/Too many requests|-1003|-1015/i, 'RATE_LIMITED'],
  ],
  /** spot: testnet.binance.vision; futures: demo trading; margin (/sapi) has no test environment */
  testnet(mode: TradingMode) {
    return mode === 'futures' ? 'demo' : mode === 'margin' ? 'none' : 'sandbox';
  },
};
