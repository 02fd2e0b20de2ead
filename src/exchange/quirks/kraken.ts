/**
 * Kraken: spot and spot margin on `kraken`, perpetual futures on a separate ccxt class
 * `krakenfutures` (another API, another key).
 * - Spot margin takes the leverage in the order params (there is no per-symbol setting) and
 *   supports reduce_only; plain spot has neither.
 * - Kraken futures: leverage is a per-symbol preference (leveragepreferences, set by a call);
 *   margin mode follows from it (a max leverage = isolated), so it is not set separately.
 * - Client order ids: spot `cl_ord_id`, futures `cliOrdId` (ccxt maps `clientOrderId`).
 * - Kraken's own texts (seed Appendix B): `EOrder:Margin level too low`, `EOrder:Insufficient funds`.
 * - Kraken Futures lists USD-quoted contracts only: linear multi-collateral perpetuals `PF_*`
 *   (ccxt `BTC/USD:USD`), inverse `PI_*` / `FI_*` (settled in the coin, `BTC/USD:BTC`). A signal's
 *   USD stablecoin pair trades the USD perpetual (rule below); inverse contracts are refused.
 * - Its multi-collateral ("flex") account holds several coins as collateral and reports one
 *   available margin in USD: that is the balance the bot sizes from.
 * - orders/status knows open orders and those finished in the last 5 s only: a fired stop is
 *   found by its fill (the fills carry the client id, `cliOrdId`); the status carries no price,
 *   so a filled order's price is read from the fills too (generic, in the adapter).
 */
import type { Exchange } from 'ccxt';
import type { Balance, ExchangePosition, MarginMode, TradingMode } from '../port.ts';
import { defaultQuirks, type ExchangeQuirks, type QuirkMarket } from './types.ts';

/** quotes pegged to the US dollar: a signal in any of them trades Kraken Futures' USD contract */
const USD_QUOTES = new Set(['USD', 'USDT', 'USDC', 'DAI', 'FDUSD', 'BUSD', 'TUSD', 'USDE']);

/** Kraken liquidates a spot-margin account when its margin level falls to 40 % */
export const KRAKEN_MARGIN_LIQUIDATION_LEVEL = 40;

export const krakenQuirks: ExchangeQuirks = {
  ...defaultQuirks,
  id: 'kraken',
  name: 'Kraken',
  modes: ['spot', 'margin', 'futures'],
  buyFeeInBase: false,
  /**
   * Spot margin is account-wide: cross. Kraken Futures: the bot sets a leverage preference per
   * contract (capped by the contract's maximum), and a contract with one is isolated at that leverage.
   */
  marginModes(mode: TradingMode): readonly MarginMode[] {
    return mode === 'spot' ? [] : mode === 'futures' ? ['isolated'] : ['cross'];
  },
  ccxtClass(mode: TradingMode) {
    return mode === 'futures' ? 'krakenfutures' : 'kraken';
  },
  constructorOptions(mode: TradingMode) {
    return mode === 'futures' ? { defaultType: 'swap' } : { defaultType: 'spot' };
  },
  /** futures: the linear (multi-collateral, USD-settled) perpetuals only; never an inverse contract or a dated future */
  acceptsMarket(market, mode) {
    if (market.active === false) return false;
    if (mode === 'futures') return market.type === 'swap' && market.linear === true && market.inverse !== true;
    return market.spot === true;
  },
  refusedMarketReason(market: QuirkMarket, mode: TradingMode) {
    if (mode !== 'futures') return undefined;
    if (market.inverse === true) return `it is an inverse contract (margined and settled in ${market.settle ?? 'the coin'}); the bot trades Kraken's USD-margined linear perpetuals (PF_) only`;
    if (market.type === 'future') return 'it is a dated future; the bot trades perpetuals only';
    return undefined;
  },
  /** futures: any USD-pegged quote (USDT, USDC, USD) → the coin's USD-settled linear perpetual */
  marketSymbol(base: string, quote: string, mode: TradingMode) {
    if (mode !== 'futures' || !USD_QUOTES.has(quote)) return undefined;
    return `${base}/USD:USD`;
  },
  /** Kraken Futures: the first margin level's initial margin (0.02 → 50×); ccxt leaves limits.leverage empty */
  maxLeverage(market: QuirkMarket) {
    const levels = (market.info as { marginLevels?: Array<{ initialMargin?: number | string }> } | undefined)?.marginLevels;
    const initial = Number(levels?.[0]?.initialMargin);
    return initial > 0 ? Math.floor(1 / initial + 1e-9) : undefined;
  },
  /** futures: the multi-collateral account's available margin, in USD, is what the bot may size from */
  adjustBalance(balance: Balance, info: unknown, mode: TradingMode): Balance {
    if (mode !== 'futures') return balance;
    const flex = (info as { accounts?: { flex?: Record<string, unknown> } } | undefined)?.accounts?.flex;
    const available = Number(flex?.availableMargin);
    const equity = Number(flex?.marginEquity ?? flex?.portfolioValue);
    if (!Number.isFinite(available) || !Number.isFinite(equity)) return balance;
    return { USD: { free: Math.max(0, available), used: Math.max(0, equity - available), total: equity } };
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
    const open = vol - closed;
    const adjusted: ExchangePosition = { ...position, qty: open, entryPrice: vol > 0 ? cost / vol : position.entryPrice };
    // docalcs: `value` is what the open volume is worth now; `margin` is the margin of the whole volume
    const value = Number(info.value);
    if (open > 0 && value > 0) adjusted.markPrice = value / open;
    const margin = Number(info.margin);
    if (vol > 0 && margin > 0) adjusted.margin = (margin * open) / vol;
    return adjusted;
  },
  liquidationMarginLevel: KRAKEN_MARGIN_LIQUIDATION_LEVEL,
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
  /** futures: orders/status looks orders up by `cliOrdIds`, cancelorder by `cliOrdId`; spot by ccxt's clientOrderId */
  orderLookupParams(mode: TradingMode, _marginMode: MarginMode, clientOrderId: string | undefined): Record<string, unknown> {
    if (clientOrderId === undefined) return {};
    return mode === 'futures' ? { cliOrdIds: [clientOrderId], cliOrdId: clientOrderId } : { clientOrderId };
  },
  /** Kraken futures has a demo environment (demo-futures.kraken.com); Kraken spot has none */
  testnet(mode: TradingMode) {
    return mode === 'futures' ? 'sandbox' : 'none';
  },
  /**
   * Backstop: Kraken Futures a reduce-only stop-market `stp` (createOrder with stopLossPrice;
   * createStopLossOrder is NotSupported), tested against the emulator; found by its fill once
   * orders/status has forgotten it. Spot (from Kraken's docs and ccxt, untested here): a stop-loss-limit
   * sell, assumed to hold the coins (unverified), so sells shrink it first. Margin: none yet.
   */
  backstop(mode: TradingMode) {
    if (mode === 'futures')
      return {
        type: 'market',
        limitOffset: 0,
        locksBalance: false,
        // moved in place: ccxt editOrder posts editorder (orderId, size) with our stopPrice param
        amendable: true,
        amend: { type: 'stp', triggerParam: 'stopPrice', params: {} },
        params: { reduceOnly: true },
        lookupParams: {},
        firedTradeField: 'cliOrdId',
        tested: true,
      } as const;
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
