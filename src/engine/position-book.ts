/**
 * The monitor's state in memory: every position not yet closed, indexed by id, by
 * (exchange, symbol) for ticks and by user. Changes mark a position dirty; the flush writes all
 * dirty positions in one statement every few seconds (exits and opens are written at once).
 *
 * Per (exchange, symbol) the positions are also kept in a wake index (wake-index.ts): ordered by
 * the prices and time at which their rules could next act (domain/monitor/wake.ts), so a tick
 * reaches only the positions whose wake it crossed. The index follows every change of a
 * position's state or settings: while a record is in the book, `state` and `settings` are
 * accessor properties whose setters re-derive its wake, so no code path that puts a new state in
 * place (the monitor, a fill, a trader's edit, recovery, a settings change) can leave the index
 * behind. States are values (a change is a new object); the sweep re-derives every wake anyway.
 */
import type { PositionRecord } from '../db/repos/positions.ts';
import { wakePrices, wakesAt } from '../domain/monitor/wake.ts';
import type { MonitorSettings, PositionState } from '../domain/types.ts';
import { WakeIndex, type WakeEntry } from './wake-index.ts';

const symbolKey = (exchange: string, symbol: string) => `${exchange}\u0000${symbol}`;

const FOLLOW = Symbol('follow');

/**
 * What the book keeps of a record it follows, in one object of its own: the record itself goes
 * to dictionary mode once its fields become accessors, so every hidden value read through it
 * costs a hash lookup; one lookup reaches them all.
 */
interface Follow {
  state: PositionState;
  settings: MonitorSettings;
  readonly wakes: WakeIndex<PositionRecord>;
  readonly entry: WakeEntry<PositionRecord>;
}

/** A record while the book follows it. */
interface Followed extends PositionRecord {
  [FOLLOW]: Follow;
}

/** One accessor pair for every record (one shape for all of them): the setter re-derives the wake. */
const STATE_FIELD: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: Followed): PositionState {
    return this[FOLLOW].state;
  },
  set(this: Followed, next: PositionState) {
    const f = this[FOLLOW];
    f.state = next;
    f.wakes.update(f.entry, wakePrices(next, f.settings));
  },
};

const SETTINGS_FIELD: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: Followed): MonitorSettings {
    return this[FOLLOW].settings;
  },
  set(this: Followed, next: MonitorSettings) {
    const f = this[FOLLOW];
    f.settings = next;
    f.wakes.update(f.entry, wakePrices(f.state, next));
  },
};

interface OnSymbol {
  positions: Set<PositionRecord>;
  wakes: WakeIndex<PositionRecord>;
}

export class PositionBook {
  private readonly byId = new Map<string, PositionRecord>();
  private readonly bySymbol = new Map<string, OnSymbol>();
  private readonly entries = new Map<string, WakeEntry<PositionRecord>>();
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

  /** Adds (again: the same record is re-indexed); returns true when it is the first position on its (exchange, symbol). */
  add(p: PositionRecord): boolean {
    const known = this.byId.get(p.id);
    if (known === p) {
      this.reindex(p);
      return false;
    }
    if (known) this.remove(p.id);
    this.byId.set(p.id, p);
    const key = symbolKey(p.exchange, p.symbol);
    let on = this.bySymbol.get(key);
    const first = !on;
    if (!on) this.bySymbol.set(key, (on = { positions: new Set(), wakes: new WakeIndex() }));
    on.positions.add(p);
    const entry = on.wakes.add(p, wakePrices(p.state, p.settings));
    this.entries.set(p.id, entry);
    this.follow(p, on.wakes, entry);
    return first;
  }

  /** Removes; returns true when it was the last position on its (exchange, symbol). */
  remove(id: string): boolean {
    const p = this.byId.get(id);
    if (!p) return false;
    this.byId.delete(id);
    this.dirty.delete(id);
    this.unfollow(p);
    const key = symbolKey(p.exchange, p.symbol);
    const on = this.bySymbol.get(key);
    const entry = this.entries.get(id);
    this.entries.delete(id);
    if (on && entry) on.wakes.remove(entry);
    on?.positions.delete(p);
    if (on && on.positions.size === 0) {
      this.bySymbol.delete(key);
      return true;
    }
    return false;
  }

  onSymbol(exchange: string, symbol: string): ReadonlySet<PositionRecord> | undefined {
    return this.bySymbol.get(symbolKey(exchange, symbol))?.positions;
  }

  /**
   * The positions on (exchange, symbol) whose rules a tick at `price`, `time` may act on: those
   * whose wake it crossed, in the order they were added. A broken price (NaN, ±∞, ≤ 0) wakes none.
   */
  woken(exchange: string, symbol: string, price: number, time: number): PositionRecord[] {
    if (!(price > 0) || !Number.isFinite(price)) return [];
    return this.bySymbol.get(symbolKey(exchange, symbol))?.wakes.woken(price, time) ?? [];
  }

  /** Re-derives the position's wake from its state and settings (after a change made in place). */
  reindex(p: PositionRecord): void {
    const entry = this.entries.get(p.id);
    if (!entry || entry.item !== p) return;
    this.bySymbol.get(symbolKey(p.exchange, p.symbol))?.wakes.update(entry, wakePrices(p.state, p.settings));
  }

  /** Whether a tick at `price`, `time` may act on `p`, by its wake re-derived now (the sweep's question). */
  mayAct(p: PositionRecord, price: number, time: number): boolean {
    this.reindex(p);
    const entry = this.entries.get(p.id);
    return wakesAt(entry?.item === p ? entry.wake : wakePrices(p.state, p.settings), price, time);
  }

  /** While in the book, putting a new state or settings in place re-derives the position's wake. */
  private follow(p: PositionRecord, wakes: WakeIndex<PositionRecord>, entry: WakeEntry<PositionRecord>): void {
    // the values move to a hidden field (not enumerable: spreads, JSON and equality see the
    // record's own fields only) behind accessors shared by every record
    const follow: Follow = { state: p.state, settings: p.settings, wakes, entry };
    Object.defineProperty(p, FOLLOW, { configurable: true, enumerable: false, writable: true, value: follow });
    Object.defineProperty(p, 'state', STATE_FIELD);
    Object.defineProperty(p, 'settings', SETTINGS_FIELD);
  }

  /** Back to plain fields once the book lets the record go. */
  private unfollow(p: PositionRecord): void {
    for (const field of ['state', 'settings'] as const) {
      Object.defineProperty(p, field, { configurable: true, enumerable: true, writable: true, value: p[field] });
    }
    delete (p as Partial<Followed>)[FOLLOW];
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
