/**
 * Balances for sizing an entry without a round trip (issue 13, item 6). Each account's balance is
 * read at most once per `maxAgeMs` (default 5 min) for sizing, and read again in the background
 * right after any of the account's orders, so the next entry finds it current. /balance and the
 * key check always ask the exchange. Sizing on a balance a few minutes old is the trade: a deposit
 * or withdrawal made outside the bot counts from the next order or within 5 minutes.
 */
import type { Balance, ExchangePort } from '../exchange/port.ts';
import type { Clock } from './clock.ts';

interface Entry {
  at: number;
  value: Promise<Balance>;
}

export class BalanceCache {
  private readonly entries = new Map<string, Entry>();
  /** accounts with a background read under way, and whether another is due after it */
  private readonly refreshing = new Map<string, boolean>();

  constructor(
    private readonly clock: Clock,
    readonly maxAgeMs = 5 * 60_000,
  ) {}

  /** a balance read at most maxAgeMs ago (read now when there is none) */
  get(accountId: string, port: ExchangePort): Promise<Balance> {
    const entry = this.entries.get(accountId);
    if (entry && this.clock.now() - entry.at < this.maxAgeMs) return entry.value;
    return this.read(accountId, port);
  }

  /** the account's balance changed (an order of it filled): read it again, in the background */
  changed(accountId: string, port: ExchangePort): void {
    if (this.refreshing.has(accountId)) {
      this.refreshing.set(accountId, true);
      return;
    }
    this.refreshing.set(accountId, false);
    void this.read(accountId, port)
      .catch(() => {})
      .finally(() => {
        const again = this.refreshing.get(accountId) === true;
        this.refreshing.delete(accountId);
        if (again) this.changed(accountId, port);
      });
  }

  forget(accountId: string): void {
    this.entries.delete(accountId);
  }

  private read(accountId: string, port: ExchangePort): Promise<Balance> {
    const entry: Entry = { at: this.clock.now(), value: port.fetchBalance() };
    this.entries.set(accountId, entry);
    // a failed read is not kept: the next entry asks again
    entry.value.catch(() => {
      if (this.entries.get(accountId) === entry) this.entries.delete(accountId);
    });
    return entry.value;
  }
}

/** The port, telling `onOrder` after each order it sends (placed, refused or lost alike). */
export function watchOrders(port: ExchangePort, onOrder: () => void): ExchangePort {
  const watched = new Set<PropertyKey>(['placeOrder', 'closePosition']);
  return new Proxy(port, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (!watched.has(prop)) return value.bind(target);
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          onOrder();
        }
      };
    },
  });
}
