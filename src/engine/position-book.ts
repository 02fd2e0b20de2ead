/**
 * The monitor's state in memory: every position not yet closed, indexed by id, by
 * (exchange, symbol) for ticks and by user. Changes mark a position dirty; the flush writes all
 * dirty positions in one statement every few seconds (exits and opens are written at once).
 */
import type { PositionRecord } from '../db/repos/positions.ts';

const symbolKey = (exchange: string, symbol: string) => `${exchange}\u0000${symbol}`;

export class PositionBook {
  private readonly byId = new Map<string, PositionRecord>();
  private readonly bySymbol = new Map<string, Set<PositionRecord>>();
  private readonly dirty = new Set<string>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): PositionRecord | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<PositionRecord> {
    return this.byId.values();
  }

  /** Adds; returns true when it is the first position on its (exchange, symbol). */
  add(p: PositionRecord): boolean {
    this.byId.set(p.id, p);
    const key = symbolKey(p.exchange, p.symbol);
    let set = this.bySymbol.get(key);
    const first = !set;
    if (!set) this.bySymbol.set(key, (set = new Set()));
    set.add(p);
    return first;
  }

  /** Removes; returns true when it was the last position on its (exchange, symbol). */
  remove(id: string): boolean {
    const p = this.byId.get(id);
    if (!p) return false;
    this.byId.delete(id);
    this.dirty.delete(id);
    const key = symbolKey(p.exchange, p.symbol);
    const set = this.bySymbol.get(key);
    set?.delete(p);
    if (set && set.size === 0) {
      this.bySymbol.delete(key);
      return true;
    }
    return false;
  }

  onSymbol(exchange: string, symbol: string): ReadonlySet<PositionRecord> | undefined {
    return this.bySymbol.get(symbolKey(exchange, symbol));
  }

  forUser(userId: string): PositionRecord[] {
    const out: PositionRecord[] = [];
    for (const p of this.byId.values()) if (p.userId === userId) out.push(p);
    return out;
  }

  markDirty(id: string): void {
    const p = this.byId.get(id);
    if (!p) return;
    p.rev += 1;
    this.dirty.add(id);
  }

  get dirtyCount(): number {
    return this.dirty.size;
  }

  /** The dirty positions (snapshots), clearing the marks. */
  takeDirty(): PositionRecord[] {
    const out: PositionRecord[] = [];
    for (const id of this.dirty) {
      const p = this.byId.get(id);
      if (p) out.push({ ...p, state: { ...p.state } });
    }
    this.dirty.clear();
    return out;
  }
}
