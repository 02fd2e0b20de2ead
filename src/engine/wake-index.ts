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

function keyOf(wake: Wake, which: Which): number {
  return which === LOW ? -wake.low : which === HIGH ? wake.high : wake.at;
}

/**
 * A binary min-heap of entries by one of their keys, each entry keeping its own slot. The keys
 * sit in an array of their own beside the entries, so sifting compares numbers in one array.
 */
class Heap<T> {
  readonly items: Array<WakeEntry<T>> = [];
  private readonly keys: number[] = [];

  constructor(private readonly which: Which) {}

  push(e: WakeEntry<T>): void {
    this.items.push(e);
    this.keys.push(keyOf(e.wake, this.which));
    this.up(this.items.length - 1);
  }

  /** Restores the order after e's key changed. */
  update(e: WakeEntry<T>): void {
    const i = e.slots[this.which];
    this.keys[i] = keyOf(e.wake, this.which);
    this.down(this.up(i));
  }

  remove(e: WakeEntry<T>): void {
    const i = e.slots[this.which];
    const last = this.items.pop() as WakeEntry<T>;
    const lastKey = this.keys.pop() as number;
    if (last === e) return;
    this.items[i] = last;
    this.keys[i] = lastKey;
    last.slots[this.which] = i;
    this.down(this.up(i));
  }

  /**
   * Appends to `out` every entry whose key is below `bound` (the time heap: at or below it) and
   * not yet stamped `stamp`: a walk over the top of the heap, through the woken entries only.
   */
  collect(bound: number, stamp: number, out: Array<WakeEntry<T>>, stack: number[]): void {
    const { items, keys } = this;
    const n = items.length;
    // a price wakes an entry beyond its wake price; a time, at or after its time wake
    const inclusive = this.which === TIME;
    if (n === 0 || !(inclusive ? (keys[0] as number) <= bound : (keys[0] as number) < bound)) return;
    stack.length = 0;
    stack.push(0);
    while (stack.length > 0) {
      const i = stack.pop() as number;
      const key = keys[i] as number;
      if (!(inclusive ? key <= bound : key < bound)) continue;
      const e = items[i] as WakeEntry<T>;
      if (e.stamp !== stamp) {
        e.stamp = stamp;
        out.push(e);
      }
      const l = 2 * i + 1;
      if (l < n) stack.push(l);
      if (l + 1 < n) stack.push(l + 1);
    }
  }

  /** Moves the entry at i up while its key is below its parent's; returns where it ends. */
  private up(i: number): number {
    const { items, keys } = this;
    const e = items[i] as WakeEntry<T>;
    const key = keys[i] as number;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = keys[parent] as number;
      if (!(key < pk)) break;
      const p = items[parent] as WakeEntry<T>;
      items[i] = p;
      keys[i] = pk;
      p.slots[this.which] = i;
      i = parent;
    }
    items[i] = e;
    keys[i] = key;
    e.slots[this.which] = i;
    return i;
  }

  private down(i: number): void {
    const { items, keys } = this;
    const n = items.length;
    const e = items[i] as WakeEntry<T>;
    const key = keys[i] as number;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && (keys[r] as number) < (keys[l] as number) ? r : l;
      const ck = keys[child] as number;
      if (!(ck < key)) break;
      const c = items[child] as WakeEntry<T>;
      items[i] = c;
      keys[i] = ck;
      c.slots[this.which] = i;
      i = child;
    }
    items[i] = e;
    keys[i] = key;
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
