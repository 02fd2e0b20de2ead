/**
 * Kraken: spot and spot margin on `kraken`, perpetual futures on a separate ccxt class
 * `krakenfutures` (another API, another key).
 * - Spot margin takes the leverage in the order params (there is no per-symbol setting) and
 *   supports reduce_only; plain spot has neither.
 * - Kraken futures: leverage is a per-symbol preference (leveragepreferences, set by a call);
 *   margin mode follows from it (a max leverage = isolated), so it is not set separately.
 * - Client order ids: spot `cl_ord_id`, futures `cliOrdId` (ccxt maps `clientOrderId`). Spot takes
 *   a long UUID, a short one (32 hex) or free text of at most 18 characters: our 31-character ids
 *   go as a short UUID derived from them (SHA-256, so every lookup derives the same one).
 *   Spot's QueryOrders needs the txid (ccxt would send our id as the integer `userref`, which Kraken
 *   refuses): an order known by its client id only is looked up in OpenOrders / ClosedOrders by `cl_ord_id`.
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
import { createHash } from 'node:crypto';
import type { Exchange } from 'ccxt';
import type { Balance, ExchangePosition, MarginMode, TradingMode } from '../port.ts';
import { defaultQuirks, type ExchangeQuirks, type QuirkMarket } from './types.ts';

/** quotes pegged to the US dollar: a signal in any of them trades Kraken Futures' USD contract */
const USD_QUOTES = new Set(['USD', 'USDT', 'USDC', 'DAI', 'FDUSD', 'BUSD', 'TUSD', 'USDE']);

/** Kraken liquidates a spot-margin account when its margin level falls to 40 % */
export const KRAKEN_MARGIN_LIQUIDATION_LEVEL = 40;

/**
 * Per API key (spot and margin): the last nonce sent and the tail of its signed requests, shared by
 * every client of the key in this process (the engine's, a /connect key check).
 */
const KEY_LANES = new Map<string, { last: number; tail: Promise<unknown> }>();

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
  /**
   * Kraken spot refuses a signed call whose nonce is not above the key's last (`EAPI:Invalid nonce`,
   * no nonce window by default). ccxt's nonce is the millisecond: two calls of one key in the same
   * millisecond, from one client or two, would share it, and calls in flight together may arrive
   * out of order. So the key's nonce grows by at least 1 per call, and its signed calls go out one
   * after the other, in nonce order (ccxt signs and sends in one step, so queue order is nonce order).
   */
  prepareClient(client: Exchange, mode: TradingMode) {
    if (mode === 'futures' || !client.apiKey) return;
    const key = createHash('sha256').update(client.apiKey).digest('hex');
    let lane = KEY_LANES.get(key);
    if (!lane) KEY_LANES.set(key, (lane = { last: 0, tail: Promise.resolve() }));
    const own = lane;
    const c = client as unknown as { nonce(): number; fetch(url: string, method?: string, headers?: unknown, body?: unknown): Promise<unknown> };
    const clock = c.nonce.bind(c);
    c.nonce = () => (own.last = Math.max(own.last + 1, clock()));
    const send = c.fetch.bind(c);
    c.fetch = (url, method, headers, body) => {
      if (!url.includes('/private/')) return send(url, method, headers, body);
      const run = own.tail.then(() => send(url, method, headers, body));
      own.tail = run.catch(() => undefined);
      return run;
    };
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
  normalizeClientOrderId(clientOrderId: string, mode?: TradingMode) {
    if (mode === 'futures') return clientOrderId.slice(0, 36);
    return krakenSpotClientId(clientOrderId);
  },
  /** futures: orders/status looks orders up by `cliOrdIds`, cancelorder by `cliOrdId`; spot by the txid (client ids: in the lists) */
  orderLookupParams(mode: TradingMode, _marginMode: MarginMode, clientOrderId: string | undefined): Record<string, unknown> {
    if (clientOrderId === undefined || mode !== 'futures') return {};
    return { cliOrdIds: [clientOrderId], cliOrdId: clientOrderId };
  },
  clientIdLookup(mode: TradingMode) {
    return mode === 'futures' ? 'params' : 'lists';
  },
  /** Kraken futures has a demo environment (demo-futures.kraken.com); Kraken spot has none */
  testnet(mode: TradingMode) {
    return mode === 'futures' ? 'sandbox' : 'none';
  },
  /**
   * Backstop: Kraken Futures a reduce-only stop-market `stp` (createOrder with stopLossPrice;
   * createStopLossOrder is NotSupported), tested against the emulator; found by its fill once
   * orders/status has forgotten it. Spot: a stop-loss-limit sell (limit 1 % below the trigger) that
   * holds the coins it may sell, so a partial sell shrinks it first (cancel and place; not amended),
   * tested against the Kraken spot emulator (test/engine/kraken-story.test.ts). Margin: none yet
   * (the monitor alone protects; the margin level from TradeBalance gives the liquidation price).
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
    if (mode === 'spot') return { type: 'limit', limitOffset: 0.01, locksBalance: true, amendable: false, params: {}, lookupParams: {}, tested: true } as const;
    return undefined;
  },
  errorPatterns: [
    [/EAPI:Invalid key|EAPI:Invalid signature/, 'AUTH_FAILED'],
    [/EOrder:Unknown order/, 'ORDER_NOT_FOUND'],
    [/EOrder:Margin level too low|EOrder:Insufficient margin|insufficient ?margin/i, 'MARGIN_LEVEL_TOO_LOW'],
    [/EOrder:Insufficient funds|insufficientAvailableFunds/i, 'INSUFFICIENT_FUNDS'],
    [/EOrder:Reduce only|wouldNotReducePosition|reduceOnly/i, 'REDUCE_ONLY_INVALID'],
    [/EOrder:Order minimum not met|EGeneral:Invalid arguments:volume minimum/i, 'ORDER_BELOW_MINIMUM'],
    [/EAPI:Rate limit exceeded|EOrder:Rate limit exceeded|apiLimitExceeded/i, 'RATE_LIMITED'],
  ],
};

const UUID_LONG = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_SHORT = /^[0-9a-f]{32}$/i;

/**
 * A client id Kraken spot takes (`cl_ord_id`: long UUID, short UUID, or free text of at most 18
 * printable characters): kept when it is one, else the first 32 hex digits of its SHA-256.
 */
export function krakenSpotClientId(clientOrderId: string): string {
  if (UUID_LONG.test(clientOrderId) || UUID_SHORT.test(clientOrderId) || /^[\x20-\x7e]{1,18}$/.test(clientOrderId)) return clientOrderId;
  return createHash('sha256').update(clientOrderId).digest('hex').slice(0, 32);
}
