/**
 * A MarketDataFeed the test drives: push(symbol, price) delivers a tick to every subscriber
 * synchronously, like a websocket message. replay() pushes a whole price path.
 */
import type { MarketDataFeed, StaleEvent, StaleSymbol, Tick } from '../../src/exchange/port.ts';

export class ManualFeed implements MarketDataFeed {
  private readonly subscribers = new Map<string, Set<(tick: Tick) => void>>();
  private readonly last = new Map<string, Tick>();
  private readonly staleListeners = new Set<(e: StaleEvent) => void>();
  private stale = false;

  constructor(
    readonly exchange: string,
    private readonly clock: { now(): number } = { now: () => 0 },
  ) {}

  subscribe(symbol: string, onTick: (tick: Tick) => void): () => void {
    let set = this.subscribers.get(symbol);
    if (!set) this.subscribers.set(symbol, (set = new Set()));
    set.add(onTick);
    return () => {
      set!.delete(onTick);
      if (set!.size === 0) this.subscribers.delete(symbol);
    };
  }

  subscriberCount(symbol: string): number {
    return this.subscribers.get(symbol)?.size ?? 0;
  }

  /** Sets the price without telling anyone (a price the exchange knows before the feed shows it). */
  setPrice(symbol: string, price: number): void {
    this.last.set(symbol, { symbol, price, time: this.clock.now() });
  }

  push(symbol: string, price: number): void {
    const tick: Tick = { symbol, price, time: this.clock.now() };
    this.last.set(symbol, tick);
    for (const fn of [...(this.subscribers.get(symbol) ?? [])]) fn(tick);
  }

  lastTick(symbol: string): Tick | undefined {
    return this.last.get(symbol);
  }

  isStale(): boolean {
    return this.stale;
  }

  setStale(stale: boolean): void {
    this.stale = stale;
    for (const l of this.staleListeners) l({ stale, lastTickAt: 0 });
  }

  onStale(listener: (event: StaleEvent) => void): () => void {
    this.staleListeners.add(listener);
    return () => this.staleListeners.delete(listener);
  }

  staleSymbols(): StaleSymbol[] {
    return [];
  }

  async close(): Promise<void> {
    this.subscribers.clear();
  }
}
