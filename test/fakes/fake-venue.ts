/**
 * An exchange venue for engine tests: every account's wallet, positions and orders, filled at
 * the shared feed's price ± slippage with a quote-currency fee. It counts every order request
 * per clientOrderId (so a test can prove nothing was sent twice), injects faults on demand or
 * at random (seeded), and can journal its state to a file so it outlives a killed process —
 * like a real exchange does.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  ExchangeError,
  type Balance,
  type ClosePositionRequest,
  type ExchangeAccount,
  type ExchangeErrorCode,
  type ExchangePort,
  type ExchangePosition,
  type Market,
  type OrderRef,
  type OrderRequest,
  type OrderResult,
} from '../../src/exchange/port.ts';

export type FaultOp = 'placeOrder' | 'closePosition' | 'fetchOrder' | 'fetchBalance' | 'fetchPrice' | 'fetchPositions';
/** refuse: a definite error, nothing done; timeout: no answer, nothing done; lost-answer: done, then no answer */
export type FaultKind = { kind: 'refuse'; code: ExchangeErrorCode } | { kind: 'timeout' } | { kind: 'lost-answer' };

interface Wallet {
  balances: Record<string, number>;
  positions: Record<string, { side: 'long' | 'short'; qty: number; entry: number; leverage: number }>;
}

interface VenueState {
  wallets: Record<string, Wallet>;
  /** accountId → clientOrderId → order */
  orders: Record<string, Record<string, OrderResult>>;
  /** accountId|clientOrderId → how many requests carried it */
  sends: Record<string, number>;
  seq: number;
}

export interface VenueOptions {
  price: (symbol: string) => number | undefined;
  /** fraction, 0.001 = 0.1 % */
  feeRate?: number;
  /** fraction, applied against the taker */
  slippage?: number;
  startBalance?: Record<string, number>;
  journal?: string;
  /** 0..1: chance of a random fault on each order-related call; seeded */
  faultRate?: number;
  seed?: number;
  /** ms each order call waits before and after reaching the venue (a kill can land in between) */
  latencyMs?: number;
  /** called as an order request arrives (benches time tick → order with it) */
  onOrder?: (op: 'placeOrder' | 'closePosition', clientOrderId: string) => void;
  /** step size of every market, base units */
  stepSize?: number;
  now?: () => number;
}

/** rounds down to the step, forgiving float noise of a millionth of a step */
const round = (x: number, step: number) => Math.round(Math.floor(x / step + 1e-6) * step * 1e12) / 1e12;

export class FakeVenue {
  private state: VenueState = { wallets: {}, orders: {}, sends: {}, seq: 0 };
  private readonly scripted: Array<{ op: FaultOp; fault: FaultKind; accountId?: string }> = [];
  private rng: () => number;
  /** calls by operation (for assertions on what the engine asked) */
  readonly calls: Record<string, number> = {};
  faultRate: number;

  constructor(private readonly options: VenueOptions) {
    if (options.journal && existsSync(options.journal)) this.state = JSON.parse(readFileSync(options.journal, 'utf8')) as VenueState;
    this.faultRate = options.faultRate ?? 0;
    let a = options.seed ?? 42;
    this.rng = () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Queues a fault for the next matching call. */
  fail(op: FaultOp, fault: FaultKind, accountId?: string): void {
    this.scripted.push({ op, fault, ...(accountId ? { accountId } : {}) });
  }

  port(account: ExchangeAccount): ExchangePort {
    const accountId = account.accountId ?? `${account.exchange}:${account.mode}`;
    return new FakePort(this, account, accountId);
  }

  wallet(accountId: string): Wallet {
    let w = this.state.wallets[accountId];
    if (!w) {
      w = { balances: { ...(this.options.startBalance ?? { USDT: 10_000 }) }, positions: {} };
      this.state.wallets[accountId] = w;
    }
    return w;
  }

  ordersOf(accountId: string): OrderResult[] {
    return Object.values(this.state.orders[accountId] ?? {});
  }

  allOrders(): OrderResult[] {
    return Object.values(this.state.orders).flatMap((o) => Object.values(o));
  }

  /** clientOrderIds that reached the venue more than once */
  duplicateSends(): string[] {
    return Object.entries(this.state.sends)
      .filter(([, n]) => n > 1)
      .map(([k]) => k);
  }

  price(symbol: string): number {
    const p = this.options.price(symbol);
    if (p === undefined) throw new ExchangeError('NO_PRICE');
    return p;
  }

  async latency(): Promise<void> {
    const ms = this.options.latencyMs ?? 0;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }

  arrived(op: 'placeOrder' | 'closePosition', clientOrderId: string): void {
    this.options.onOrder?.(op, clientOrderId);
  }

  /** Sets an account's holding (bench and recovery setups). */
  setBalance(accountId: string, currency: string, amount: number): void {
    this.wallet(accountId).balances[currency] = amount;
  }

  count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  /** A scripted or random fault for this call, if any. */
  faultFor(op: FaultOp, accountId: string): FaultKind | undefined {
    const i = this.scripted.findIndex((f) => f.op === op && (f.accountId === undefined || f.accountId === accountId));
    if (i >= 0) return this.scripted.splice(i, 1)[0]!.fault;
    if (this.faultRate > 0 && (op === 'placeOrder' || op === 'closePosition' || op === 'fetchOrder') && this.rng() < this.faultRate) {
      const r = this.rng();
      if (op === 'fetchOrder') return { kind: 'timeout' };
      if (r < 0.34) return { kind: 'lost-answer' };
      if (r < 0.67) return { kind: 'timeout' };
      return { kind: 'refuse', code: 'EXCHANGE_UNAVAILABLE' };
    }
    return undefined;
  }

  /** Executes a market order on the account's wallet; the request is counted once per clientOrderId. */
  execute(accountId: string, account: ExchangeAccount, req: { symbol: string; side: 'buy' | 'sell'; qty: number; clientOrderId: string; reduceOnly: boolean; leverage?: number }): OrderResult {
    const key = `${accountId}|${req.clientOrderId}`;
    this.state.sends[key] = (this.state.sends[key] ?? 0) + 1;
    const existing = this.state.orders[accountId]?.[req.clientOrderId];
    if (existing) throw new ExchangeError('INVALID_ORDER', { message: 'Duplicate clientOrderId.' });
    const step = this.options.stepSize ?? 1e-8;
    const qty = round(req.qty, step);
    if (!(qty > 0)) throw new ExchangeError('ORDER_BELOW_MINIMUM');
    const last = this.price(req.symbol);
    const slip = this.options.slippage ?? 0;
    const price = req.side === 'buy' ? last * (1 + slip) : last * (1 - slip);
    const fee = qty * price * (this.options.feeRate ?? 0.001);
    const [pair = req.symbol] = req.symbol.split(':');
    const [base = '', quote = 'USDT'] = pair.split('/');
    const w = this.wallet(accountId);
    if (account.mode === 'spot') {
      if (req.side === 'buy') {
        if ((w.balances[quote] ?? 0) < qty * price + fee) throw new ExchangeError('INSUFFICIENT_FUNDS');
        w.balances[quote] = (w.balances[quote] ?? 0) - qty * price - fee;
        w.balances[base] = (w.balances[base] ?? 0) + qty;
      } else {
        if ((w.balances[base] ?? 0) < qty - 1e-12) throw new ExchangeError('INSUFFICIENT_FUNDS');
        w.balances[base] = (w.balances[base] ?? 0) - qty;
        w.balances[quote] = (w.balances[quote] ?? 0) + qty * price - fee;
      }
    } else {
      const pos = w.positions[req.symbol];
      const side = req.side === 'buy' ? 'long' : 'short';
      if (pos && pos.side !== side) {
        const closing = Math.min(qty, pos.qty);
        const pnl = (price - pos.entry) * closing * (pos.side === 'long' ? 1 : -1);
        w.balances[quote] = (w.balances[quote] ?? 0) + pnl - fee;
        pos.qty -= closing;
        if (pos.qty <= 1e-12) delete w.positions[req.symbol];
      } else {
        if (req.reduceOnly) throw new ExchangeError('POSITION_NOT_FOUND');
        const lev = req.leverage ?? 1;
        if ((w.balances[quote] ?? 0) < (qty * price) / lev + fee) throw new ExchangeError('INSUFFICIENT_FUNDS');
        w.balances[quote] = (w.balances[quote] ?? 0) - fee;
        const prevQty = pos?.qty ?? 0;
        const entry = pos ? (pos.entry * prevQty + price * qty) / (prevQty + qty) : price;
        w.positions[req.symbol] = { side, qty: prevQty + qty, entry, leverage: lev };
      }
    }
    const order: OrderResult = {
      id: `X${++this.state.seq}`,
      clientOrderId: req.clientOrderId,
      symbol: req.symbol,
      side: req.side,
      type: 'market',
      status: 'closed',
      qty,
      filledQty: qty,
      avgPrice: price,
      fee,
      feeCurrency: quote,
      timestamp: this.options.now?.() ?? 0,
      reduceOnly: req.reduceOnly,
    };
    (this.state.orders[accountId] ??= {})[req.clientOrderId] = order;
    this.persist();
    return order;
  }

  lookup(accountId: string, ref: OrderRef): OrderResult | undefined {
    const orders = this.state.orders[accountId] ?? {};
    if (ref.clientOrderId !== undefined) return orders[ref.clientOrderId];
    return Object.values(orders).find((o) => o.id === ref.id);
  }

  /** Closes a position behind the engine's back (a trader on the exchange's website). */
  closeOutside(accountId: string, symbol: string): void {
    const w = this.wallet(accountId);
    delete w.positions[symbol];
    const [pair = symbol] = symbol.split(':');
    const [base = ''] = pair.split('/');
    if (w.balances[base] !== undefined) w.balances[base] = 0;
    this.persist();
  }

  /** Opens a position behind the engine's back. */
  openOutside(accountId: string, symbol: string, side: 'long' | 'short', qty: number, entry: number): void {
    this.wallet(accountId).positions[symbol] = { side, qty, entry, leverage: 1 };
    this.persist();
  }

  persist(): void {
    if (!this.options.journal) return;
    const tmp = `${this.options.journal}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, this.options.journal);
  }
}

class FakePort implements ExchangePort {
  constructor(
    private readonly venue: FakeVenue,
    readonly account: ExchangeAccount,
    private readonly accountId: string,
  ) {}

  private guard(op: FaultOp): FaultKind | undefined {
    this.venue.count(op);
    const fault = this.venue.faultFor(op, this.accountId);
    if (!fault) return undefined;
    if (fault.kind === 'refuse') throw new ExchangeError(fault.code);
    if (fault.kind === 'timeout') throw new ExchangeError('TIMEOUT');
    return fault;
  }

  async loadMarkets(): Promise<Readonly<Record<string, Market>>> {
    return {};
  }

  async market(symbol: string): Promise<Market> {
    const [pair = symbol] = symbol.split(':');
    const [base = '', quote = ''] = pair.split('/');
    return { symbol, id: `${base}${quote}`, base, quote, type: symbol.includes(':') ? 'swap' : 'spot', tickSize: 0.01, stepSize: 1e-8, minQty: 0, minCost: 0, contractSize: 1 };
  }

  async fetchBalance(): Promise<Balance> {
    this.guard('fetchBalance');
    const w = this.venue.wallet(this.accountId);
    return Object.fromEntries(Object.entries(w.balances).map(([k, v]) => [k, { free: v, used: 0, total: v }]));
  }

  async fetchPositions(symbols?: string[]): Promise<ExchangePosition[]> {
    this.guard('fetchPositions');
    if (this.account.mode === 'spot') return [];
    const w = this.venue.wallet(this.accountId);
    return Object.entries(w.positions)
      .filter(([s]) => !symbols || symbols.includes(s))
      .map(([symbol, p]) => ({
        symbol,
        side: p.side,
        qty: p.qty,
        entryPrice: p.entry,
        leverage: p.leverage,
        liquidationPrice: p.side === 'long' ? p.entry * (1 - 1 / p.leverage + 0.01) : p.entry * (1 + 1 / p.leverage - 0.01),
      }));
  }

  async placeOrder(request: OrderRequest): Promise<OrderResult> {
    this.venue.arrived('placeOrder', request.clientOrderId);
    const fault = this.guard('placeOrder');
    await this.venue.latency();
    const placed = this.venue.execute(this.accountId, this.account, {
      symbol: request.symbol,
      side: request.side,
      qty: request.qty,
      clientOrderId: request.clientOrderId,
      reduceOnly: request.reduceOnly ?? false,
      ...(request.leverage ? { leverage: request.leverage } : {}),
    });
    await this.venue.latency();
    if (fault?.kind === 'lost-answer') throw new ExchangeError('TIMEOUT');
    return placed;
  }

  async closePosition(request: ClosePositionRequest): Promise<OrderResult> {
    this.venue.arrived('closePosition', request.clientOrderId);
    const fault = this.guard('closePosition');
    await this.venue.latency();
    const w = this.venue.wallet(this.accountId);
    let side: 'buy' | 'sell' = 'sell';
    let qty = request.qty;
    if (this.account.mode === 'spot') {
      const [pair = request.symbol] = request.symbol.split(':');
      const base = pair.split('/')[0] ?? '';
      qty ??= w.balances[base] ?? 0;
    } else {
      const pos = w.positions[request.symbol];
      if (!pos) throw new ExchangeError('POSITION_NOT_FOUND');
      side = pos.side === 'long' ? 'sell' : 'buy';
      qty = Math.min(qty ?? pos.qty, pos.qty);
    }
    const order = this.venue.execute(this.accountId, this.account, { symbol: request.symbol, side, qty, clientOrderId: request.clientOrderId, reduceOnly: this.account.mode !== 'spot' });
    await this.venue.latency();
    if (fault?.kind === 'lost-answer') throw new ExchangeError('TIMEOUT');
    return order;
  }

  async fetchOrder(_symbol: string, ref: OrderRef): Promise<OrderResult | undefined> {
    this.guard('fetchOrder');
    return this.venue.lookup(this.accountId, ref);
  }

  async cancelOrder(_symbol: string, ref: OrderRef): Promise<OrderResult | undefined> {
    return this.venue.lookup(this.accountId, ref);
  }

  async fetchPrice(symbol: string): Promise<number> {
    this.guard('fetchPrice');
    return this.venue.price(symbol);
  }

  async close(): Promise<void> {}
}
