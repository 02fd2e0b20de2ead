/**
 * Bitget: spot, spot margin (cross/isolated, with auto-borrow and auto-repay) and USDT-M
 * perpetuals.
 * - Keys come with a passphrase (ccxt `password`).
 * - Spot has no reduce-only; margin closes use loanType autoRepay, opens autoLoan.
 * - Perpetuals take the margin mode in each order and by a call; leverage is set by a call.
 * - Client order id `clientOid`.
 */
import type { MarginMode, TradingMode } from '../port.ts';
import { defaultQuirks, type ExchangeQuirks } from './types.ts';

export const bitgetQuirks: ExchangeQuirks = {
  ...defaultQuirks,
  id: 'bitget',
  name: 'Bitget',
  modes: ['spot', 'margin', 'futures'],
  /** crossed is the default margin mode of USDT-M and of spot margin; isolated per symbol */
  marginModes(mode: TradingMode): readonly MarginMode[] {
    return mode === 'spot' ? [] : ['cross', 'isolated'];
  },
  needsPassword: true,
  constructorOptions(mode: TradingMode) {
    return { defaultType: mode === 'futures' ? 'swap' : 'spot', fetchMarkets: { types: mode === 'futures' ? ['swap'] : ['spot'] } };
  },
  orderParams({ mode, marginMode, clientOrderId, reduceOnly }) {
    const params: Record<string, unknown> = { clientOrderId };
    if (mode === 'margin') {
      params.marginMode = marginMode;
      params.loanType = reduceOnly ? 'autoRepay' : 'autoLoan';
    }
    if (mode === 'futures') {
      params.marginMode = marginMode;
      if (reduceOnly) params.reduceOnly = true;
    }
    return params;
  },
  orderLookupParams(mode: TradingMode, marginMode: MarginMode, clientOrderId: string | undefined) {
    return { ...(mode === 'margin' ? { marginMode } : {}), ...(clientOrderId === undefined ? {} : { clientOid: clientOrderId }) };
  },
  settingParams(mode: TradingMode, marginMode: MarginMode) {
    return mode === 'futures' ? { marginMode } : {};
  },
  normalizeClientOrderId(clientOrderId: string) {
    return clientOrderId.slice(0, 50);
  },
  /**
   * Backstop (from Bitget's docs and ccxt, untested here): futures a reduce-only plan (trigger)
   * order, amendable; spot a plan order, which holds no coins until it fires. Margin: none yet.
   */
  backstop(mode: TradingMode) {
    if (mode === 'futures') return { type: 'market', limitOffset: 0, locksBalance: false, amendable: true, params: { reduceOnly: true }, lookupParams: { trigger: true }, tested: false } as const;
    if (mode === 'spot') return { type: 'market', limitOffset: 0, locksBalance: false, amendable: true, params: {}, lookupParams: { trigger: true }, tested: false } as const;
    return undefined;
  },
  errorPatterns: [
    [/40762.*margin|45006|Insufficient margin|margin.*insufficient/i, 'MARGIN_LEVEL_TOO_LOW'],
    [/43012|40762|Insufficient balance|exceeds the balance/i, 'INSUFFICIENT_FUNDS'],
    [/22002|No position to close|reduce[- ]?only/i, 'REDUCE_ONLY_INVALID'],
    [/45110|43027|less than the minimum/i, 'ORDER_BELOW_MINIMUM'],
    [/Too Many Requests|request (is )?too frequent/i, 'RATE_LIMITED'],
  ],
};
