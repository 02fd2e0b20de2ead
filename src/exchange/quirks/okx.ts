/**
 * OKX: spot (tdMode cash), margin (tdMode cross/isolated), USDT perpetual swaps.
 * - Keys come with a passphrase (ccxt `password`).
 * - Margin and swaps take the trade mode per order (`marginMode` → tdMode) and support
 *   reduce-only; leverage is set by a call that names the margin mode.
 * - Swaps trade in contracts (BTC-USDT-SWAP: 0.01 BTC each); the adapter converts base units.
 * - Client order id `clOrdId`: letters and digits only, ≤ 32 (a UUID without dashes fits).
 */
import type { MarginMode, TradingMode } from '../port.ts';
import { alphanumericId, defaultQuirks, type ExchangeQuirks } from './types.ts';

export const okxQuirks: ExchangeQuirks = {
  ...defaultQuirks,
  id: 'okx',
  modes: ['spot', 'margin', 'futures'],
  /** tdMode cross or isolated on every order */
  marginModes(mode: TradingMode): readonly MarginMode[] {
    return mode === 'spot' ? [] : ['cross', 'isolated'];
  },
  needsPassword: true,
  /** GET /api/v5/trade/fills names each fill's clOrdId */
  tradeClientOrderIdField: 'clOrdId',
  constructorOptions(mode: TradingMode) {
    return { defaultType: mode === 'futures' ? 'swap' : 'spot', fetchMarkets: { types: mode === 'futures' ? ['swap'] : ['spot'] } };
  },
  leverageVia(mode: TradingMode) {
    return mode === 'spot' ? 'none' : 'call';
  },
  marginModeVia(mode: TradingMode) {
    return mode === 'spot' ? 'none' : 'order-param';
  },
  orderParams({ mode, marginMode, clientOrderId, reduceOnly }) {
    const params: Record<string, unknown> = { clientOrderId };
    if (mode !== 'spot') {
      params.marginMode = marginMode;
      if (reduceOnly) params.reduceOnly = true;
    }
    return params;
  },
  orderLookupParams(_mode: TradingMode, _marginMode: MarginMode, clientOrderId: string | undefined) {
    return clientOrderId === undefined ? {} : { clOrdId: clientOrderId };
  },
  settingParams(mode: TradingMode, marginMode: MarginMode) {
    return mode === 'spot' ? {} : { marginMode };
  },
  normalizeClientOrderId(clientOrderId: string) {
    return alphanumericId(clientOrderId, 32);
  },
  /**
   * Backstop (from OKX's docs and ccxt, untested here): futures a conditional algo order
   * (ordType conditional, slTriggerPx, reduce-only), amendable (amend-algos); spot the same
   * conditional algo sell, which OKX does not freeze coins for until it fires. Margin: none yet.
   */
  backstop(mode: TradingMode) {
    if (mode === 'futures') return { type: 'market', limitOffset: 0, locksBalance: false, amendable: true, params: { reduceOnly: true }, lookupParams: { trigger: true }, tested: false } as const;
    if (mode === 'spot') return { type: 'market', limitOffset: 0, locksBalance: false, amendable: true, params: {}, lookupParams: { trigger: true }, tested: false } as const;
    return undefined;
  },
  errorPatterns: [
    [/51008.*margin|51004|Insufficient margin|margin ratio/i, 'MARGIN_LEVEL_TOO_LOW'],
    [/51008|51131|59200|Insufficient (account )?balance/i, 'INSUFFICIENT_FUNDS'],
    [/51169|51170|reduce[- ]only/i, 'REDUCE_ONLY_INVALID'],
    [/51020|51120|min(imum)? (available )?amount/i, 'ORDER_BELOW_MINIMUM'],
    [/50011|50061|Too Many Requests/i, 'RATE_LIMITED'],
  ],
};
