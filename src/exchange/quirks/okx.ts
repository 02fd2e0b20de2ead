/**
 * OKX: spot (tdMode cash), margin (tdMode cross/isolated), USDT perpetual swaps.
 * - Keys come with a passphrase (ccxt `password`).
 * - Margin and swaps take the trade mode per order (`marginMode` → tdMode) and support
 *   reduce-only; leverage is set by a call that names the margin mode.
 * - Swaps trade in contracts (BTC-USDT-SWAP: 0.01 BTC each); the adapter converts base units.
 * - Client order id `clOrdId`: letters and digits only, ≤ 32 (a UUID without dashes fits).
 */
import type { Exchange } from 'ccxt';
import type { ExchangePosition, KeyPermissions, MarginMode, TradingMode } from '../port.ts';
import { alphanumericId, defaultQuirks, type ExchangeQuirks } from './types.ts';

export const okxQuirks: ExchangeQuirks = {
  ...defaultQuirks,
  id: 'okx',
  name: 'OKX',
  modes: ['spot', 'margin', 'futures'],
  /** tdMode cross or isolated on every order */
  marginModes(mode: TradingMode): readonly MarginMode[] {
    return mode === 'spot' ? [] : ['cross', 'isolated'];
  },
  needsPassword: true,
  /** swaps, and spot margin: OKX lists margin holdings as MARGIN positions (a long's `pos` in the base coin) */
  reportsPositions(mode: TradingMode) {
    return mode !== 'spot';
  },
  /** a MARGIN short counts its `pos` in the quote coin (the sale's USDT); what is owed in the base coin is `liab` */
  adjustPosition(position: ExchangePosition, info: Readonly<Record<string, unknown>>): ExchangePosition {
    if (info.instType !== 'MARGIN' || position.side !== 'short') return position;
    const owed = Math.abs(Number(info.liab));
    return Number.isFinite(owed) && owed > 0 ? { ...position, qty: owed } : position;
  },
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
   * Backstop: a `conditional` algo order (slTriggerPx, slOrdPx -1 = market) for the position's
   * size; OKX holds no coins or margin for it until it fires, then places a market order whose id
   * the algo order reports as `ordId`. Its client id is `algoClOrdId` (ccxt's clientOrderId would
   * land in `clOrdId`, which order-algo ignores, and the stop could not be found by it).
   * Futures: reduce-only, so a stop left behind can never open a position, in the account's
   * margin mode (tdMode; ccxt would send cross, and a cross stop never closes an isolated
   * position). Spot: tdMode `cash`
   * given explicitly, because ccxt turns a spot conditional order's `cash` into `cross` (spot
   * margin), which would borrow coins to sell once the trader had sold them.
   * Fetch and cancel through ccxt's trigger param (GET order-algo, POST cancel-algos). Moved in
   * place: ccxt editOrder with type `conditional` posts trade/amend-algos (newSlTriggerPx, newSz;
   * newSlOrdPx -1 keeps it a market stop), so the stop keeps its algoId and client id.
   * Margin: none (the bot's monitor alone protects; spot margin is not exercised here).
   */
  backstop(mode: TradingMode) {
    const common = {
      type: 'market',
      limitOffset: 0,
      locksBalance: false,
      amendable: true,
      amend: { type: 'conditional', triggerParam: 'stopLossPrice', params: { newSlOrdPx: -1 } },
      lookupParams: { trigger: true },
      firedOrderField: 'ordId',
      clientIdParam: 'algoClOrdId',
      tested: true,
    } as const;
    if (mode === 'futures') return { ...common, params: { reduceOnly: true }, marginModeParam: 'marginMode' };
    if (mode === 'spot') return { ...common, params: { tdMode: 'cash' } };
    return undefined;
  },
  /** GET /api/v5/account/config: `perm` lists the key's rights ("read_only,trade,withdraw") */
  async keyPermissions(client: Exchange): Promise<KeyPermissions> {
    const api = client as unknown as { privateGetAccountConfig(params?: Record<string, unknown>): Promise<{ data?: Array<{ perm?: unknown }> }> };
    const perm = (await api.privateGetAccountConfig()).data?.[0]?.perm;
    if (typeof perm !== 'string') return {};
    const rights = perm.split(',').map((p) => p.trim());
    return { canWithdraw: rights.includes('withdraw'), canTrade: rights.includes('trade'), canFutures: rights.includes('trade') };
  },
  errorPatterns: [
    [/51008.*margin|51004|Insufficient margin|margin ratio/i, 'MARGIN_LEVEL_TOO_LOW'],
    [/51008|51131|59200|Insufficient (account )?balance/i, 'INSUFFICIENT_FUNDS'],
    [/51169|51170|reduce[- ]only/i, 'REDUCE_ONLY_INVALID'],
    [/51020|51120|min(imum)? (available )?amount/i, 'ORDER_BELOW_MINIMUM'],
    [/50011|50061|Too Many Requests/i, 'RATE_LIMITED'],
  ],
};
