/**
 * The monitor's index of wake prices (domain/monitor/wake.ts): for one symbol, the positions
 * ordered by the nearest price (and time) at which anything could happen to them, so that a
 * tick reaches only the positions whose wake it crossed. Three binary min-heaps over one entry
 * per position:
 *   - lower wakes, keyed −low (a tick at p wakes every entry with −low < −p, i.e. p < low),
 *   - upper wakes, keyed high (p > high),
 *   - time wakes, keyed at (now ≥ at).
 * Every entry knows its slot in each heap, so a changed wake moves it in O(log n) and a removal
 * takes O(log n). A tick reads each heap's root (a quiet tick: three comparisons) and walks down
 * only through the entries it wakes, O(k) for k woken.
 */
import type { Wake } from '../domain/monitor/wake.ts';

export interface WakeEntry<T> {
  readonly item: T;
  /** order of insertion: woken entries are handed out in it */
  readonly seq: number;
  wake: Wake;
  /** slot in each heap: lower, upper, time */
  readonly slots: [number, number, number];
  /** the last collect() that took it (one entry is woken once per tick) */
  stamp: number;
}

const LOW = 0;
const HIGH = 1;
const TIME = 2;
type Which = typeof LOW | typeof HIGH | typeof TIME;

function keyOf(e: WakeEntry<unknown>, which: Which): number {
  return which === LOW ? -e.wake.low : which === HIGH ? e.wake.high : e.wake.at;
}

/** A binary min-heap of entries by one of their keys, each entry keeping its own slot. */
class Heap<T> {
  readonly items: Array<WakeEntry<T>> = [];

  constructor(private readonly which: Which) {}

  push(e: WakeEntry<T>): void {
    e.slots[this.which] = this.items.length;
    this.items.push(e);
    this.up(this.items.length - 1);
  }

  /** Restores the order after e's key changed. */
  update(e: WakeEntry<T>): void {
    const i = e.slots[this.which];
    this.up(i);
    this.down(e.slots[this.which]);
  }

  remove(e: WakeEntry<T>): void {
    const i = e.slots[this.which];
    const last = this.items.pop() as WakeEntry<T>;
    if (last === e) return;
    this.items[i] = last;
    last.slots[this.which] = i;
    this.update(last);
  }

  /**
   * Appends to `out` every entry whose key is below `bound` (the time heap: at or below it) and
   * not yet stamped `stamp`: a walk over the top of the heap, through the woken entries only.
   */
  collect(bound: number, stamp: number, out: Array<WakeEntry<T>>, stack: number[]): void {
    const items = this.items;
    if (items.length === 0 || !this.wakes(items[0] as WakeEntry<T>, bound)) return;
    stack.length = 0;
    stack.push(0);
    while (stack.length > 0) {
      const i = stack.pop() as number;
      const e = items[i] as WakeEntry<T>;
      if (!this.wakes(e, bound)) continue;
      if (e.stamp !== stamp) {
        e.stamp = stamp;
        out.push(e);
      }
      const l = 2 * i + 1;
      if (l < items.length) stack.push(l);
      if (l + 1 < items.length) stack.push(l + 1);
    }
  }

  /** A price wakes an entry beyond its wake price; a time, at or after its time wake. */
  private wakes(e: WakeEntry<T>, bound: number): boolean {
    const key = keyOf(e, this.which);
    return this.which === TIME ? key <= bound : key < bound;
  }

  private less(a: WakeEntry<T>, b: WakeEntry<T>): boolean {
    return keyOf(a, this.which) < keyOf(b, this.which);
  }

  private up(i: number): void {
    const items = this.items;
    const e = items[i] as WakeEntry<T>;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as WakeEntry<T>;
      if (!this.less(e, p)) break;
      items[i] = p;
      p.slots[this.which] = i;
      i = parent;
    }
    items[i] = e;
    e.slots[this.which] = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const e = items[i] as WakeEntry<T>;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.less(items[r] as WakeEntry<T>, items[l] as WakeEntry<T>) ? r : l;
      const c = items[child] as WakeEntry<T>;
      if (!this.less(c, e)) break;
      items[i] = c;
      c.slots[this.which] = i;
      i = child;
    }
    items[i] = e;
    e.slots[this.which] = i;
  }
}

/** The wake index of one symbol. */
export class WakeIndex<T> {
  private readonly heaps = [new Heap<T>(LOW), new Heap<T>(HIGH), new Heap<T>(TIME)] as const;
  private readonly stack: number[] = [];
  private stamp = 0;
  private seq = 0;

  get size(): number {
    return this.heaps[LOW].items.length;
  }

  add(item: T, wake: Wake): WakeEntry<T> {
    const e: WakeEntry<T> = { item, seq: this.seq++, wake, slots: [0, 0, 0], stamp: 0 };
    for (const h of this.heaps) h.push(e);
    return e;
  }

  /** The entry's position changed state: its new wake. */
  update(e: WakeEntry<T>, wake: Wake): void {
    const old = e.wake;
    e.wake = wake;
    if (old.low !== wake.low) this.heaps[LOW].update(e);
    if (old.high !== wake.high) this.heaps[HIGH].update(e);
    if (old.at !== wake.at) this.heaps[TIME].update(e);
  }

  remove(e: WakeEntry<T>): void {
    for (const h of this.heaps) h.remove(e);
  }

  /**
   * The items a tick at `price`, `time` wakes (price below a lower wake, above an upper one, or
   * time at or after a time wake), each once, in insertion order.
   */
  woken(price: number, time: number): T[] {
    const stamp = ++this.stamp;
    const out: Array<WakeEntry<T>> = [];
    this.heaps[LOW].collect(-price, stamp, out, this.stack);
    this.heaps[HIGH].collect(price, stamp, out, this.stack);
    this.heaps[TIME].collect(time, stamp, out, this.stack);
    if (out.length > 1) out.sort((a, b) => a.seq - b.seq);
    return out.map((e) => e.item);
  }
}
