/**
 * Bitget: spot, spot margin (cross/isolated, with auto-borrow and auto-repay) and USDT-M
 * perpetuals.
 * - Keys come with a passphrase (ccxt `password`).
 * - Spot has no reduce-only; margin closes use loanType autoRepay, opens autoLoan.
 * - Perpetuals take the margin mode in each order and by a call; leverage is set by a call.
 * - Client order id `clientOid`.
 */
import type { Exchange } from 'ccxt';
import type { KeyPermissions, MarginMode, TradingMode } from '../port.ts';
import { defaultQuirks, type ExchangeQuirks } from './types.ts';

export const bitgetQuirks: ExchangeQuirks = {
  ...defaultQuirks,
  id: 'bitget',
  name: 'Bitget',
  // spot margin is not offered: ccxt looks margin orders up on the spot endpoint, so an entry's
  // fill may never be read back (unverified against Bitget; no emulator of its margin wallets yet)
  modes: ['spot', 'futures'],
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
  /** ccxt's setMarginMode / setLeverage already send Bitget's own margin mode ('crossed'); a raw 'cross' would override it */
  settingParams() {
    return {};
  },
  /** a spot or margin market BUY's size is the USDT to spend (ccxt converts with the price) */
  marketBuyInQuote(mode: TradingMode) {
    return mode !== 'futures';
  },
  normalizeClientOrderId(clientOrderId: string) {
    return clientOrderId.slice(0, 50);
  },
  /**
   * Backstop, run against the Bitget emulator (test/emulators/exchange/bitget-*.ts):
   * - futures: a position stop (`place-tpsl-order`, planType `loss_plan`): a sized, reduce-only
   *   stop-market on the position, refused on the wrong side of the mark price, several may rest
   *   (so a replacement is placed before the old one goes);
   * - spot: a plan order (`place-plan-order`, ccxt `triggerPrice`), a market sell that holds no
   *   coins until it fires.
   * ccxt's fetchOrder cannot see either: they are found in the open / history trigger lists
   * (`planType: 'profit_loss'` = the tpsl kinds); a fired one names its market order `executeOrderId`.
   * Not amendable here: Bitget has modify endpoints, but the bot replaces a stop (the new one
   * before the old goes) and only that is tested. Margin: none yet.
   */
  backstop(mode: TradingMode) {
    if (mode === 'futures') {
      return { type: 'market', limitOffset: 0, locksBalance: false, amendable: false, params: { planType: 'loss_plan' }, lookupParams: { trigger: true, planType: 'profit_loss' }, listLookup: true, firedOrderField: 'executeOrderId', tested: true } as const;
    }
    if (mode === 'spot') {
      return { type: 'market', limitOffset: 0, locksBalance: false, amendable: false, params: {}, lookupParams: { trigger: true }, triggerParam: 'triggerPrice', listLookup: true, firedOrderField: 'executeOrderId', tested: true } as const;
    }
    return undefined;
  },
  /**
   * GET /api/v2/spot/account/info lists the key's authorities: one naming withdrawals means the
   * key can withdraw; one naming trading means it can trade (undefined when none says so).
   */
  async keyPermissions(client: Exchange): Promise<KeyPermissions> {
    const api = client as unknown as { privateSpotGetV2SpotAccountInfo(params?: Record<string, unknown>): Promise<{ data?: { authorities?: unknown } }> };
    const raw = (await api.privateSpotGetV2SpotAccountInfo()).data?.authorities;
    if (!Array.isArray(raw)) return {};
    const authorities = raw.map(String);
    const permissions: KeyPermissions = { canWithdraw: authorities.some((a) => /withdraw/i.test(a)) };
    if (authorities.some((a) => /trade/i.test(a))) permissions.canTrade = true;
    return permissions;
  },
  errorPatterns: [
    [/40762.*margin|45006|Insufficient margin|margin.*insufficient/i, 'MARGIN_LEVEL_TOO_LOW'],
    [/43012|40762|Insufficient balance|exceeds the balance/i, 'INSUFFICIENT_FUNDS'],
    [/22002|No position to close|reduce[- ]?only/i, 'REDUCE_ONLY_INVALID'],
    [/45110|45111|43027|less than the minimum/i, 'ORDER_BELOW_MINIMUM'],
    // a plan order that is no longer live (cancelled, or fired) answers this on cancel
    [/43025|Plan order does not exist/i, 'ORDER_NOT_FOUND'],
    [/40917|45122|stop loss price please|Stop price for/i, 'INVALID_ORDER'],
    [/Too Many Requests|request (is )?too frequent/i, 'RATE_LIMITED'],
  ],
};
