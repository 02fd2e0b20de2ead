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
 *
 * A tick that wakes many entries (a new high moves the peak of every trailing position at once)
 * is followed by as many changed wakes: k sifts of O(log n) each cost more than rebuilding the
 * heaps in O(n) once k·log₂n passes n. After such a tick, changed wakes only write their keys,
 * and the next read of the index (a tick, an add, a removal) rebuilds the heaps they touched
 * first: no read ever sees a heap out of order.
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
  /** a key was written without restoring the order: heapify() before the next read */
  stale = false;

  constructor(readonly which: Which) {}

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

  /** Writes e's changed key and leaves the order to the next heapify(). */
  setKey(e: WakeEntry<T>): void {
    this.keys[e.slots[this.which]] = keyOf(e.wake, this.which);
    this.stale = true;
  }

  /** Restores the order over all entries, O(n) (Floyd: sift down every parent, bottom up). */
  heapify(): void {
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i);
    this.stale = false;
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
    let at = i;
    for (;;) {
      const l = 2 * at + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && (keys[r] as number) < (keys[l] as number) ? r : l;
      const ck = keys[child] as number;
      if (!(ck < key)) break;
      const c = items[child] as WakeEntry<T>;
      items[at] = c;
      keys[at] = ck;
      c.slots[this.which] = at;
      at = child;
    }
    // an entry already in order is not touched (heapify() passes every parent: reading each
    // entry would cost a cache miss apiece)
    if (at === i) return;
    items[at] = e;
    keys[at] = key;
    e.slots[this.which] = at;
  }
}

/** The wake index of one symbol. */
export class WakeIndex<T> {
  private readonly heaps = [new Heap<T>(LOW), new Heap<T>(HIGH), new Heap<T>(TIME)] as const;
  private readonly stack: number[] = [];
  /** woken entries' (seq, place in the tick's list), packed for a numeric sort: see woken() */
  private order = new Float64Array(64);
  private stamp = 0;
  private seq = 0;
  /** the last tick woke so many that changed wakes wait for one rebuild (see the top of the file) */
  private deferring = false;

  get size(): number {
    return this.heaps[LOW].items.length;
  }

  add(item: T, wake: Wake): WakeEntry<T> {
    this.settle();
    const e: WakeEntry<T> = { item, seq: this.seq++, wake, slots: [0, 0, 0], stamp: 0 };
    for (const h of this.heaps) h.push(e);
    return e;
  }

  /** The entry's position changed state: its new wake. */
  update(e: WakeEntry<T>, wake: Wake): void {
    const old = e.wake;
    e.wake = wake;
    for (const h of this.heaps) {
      if (keyOf(old, h.which) === keyOf(wake, h.which)) continue;
      if (this.deferring) h.setKey(e);
      else h.update(e);
    }
  }

  remove(e: WakeEntry<T>): void {
    this.settle();
    for (const h of this.heaps) h.remove(e);
  }

  /**
   * The items a tick at `price`, `time` wakes (price below a lower wake, above an upper one, or
   * time at or after a time wake), each once, in insertion order.
   */
  woken(price: number, time: number): T[] {
    this.settle();
    const stamp = ++this.stamp;
    const out: Array<WakeEntry<T>> = [];
    this.heaps[LOW].collect(-price, stamp, out, this.stack);
    this.heaps[HIGH].collect(price, stamp, out, this.stack);
    this.heaps[TIME].collect(time, stamp, out, this.stack);
    const k = out.length;
    this.deferring = k * Math.log2(this.size) > this.size;
    if (k < 2) return k === 0 ? [] : [(out[0] as WakeEntry<T>).item];
    if (k >= PLACES || this.seq >= 2 ** 32) return out.sort((a, b) => a.seq - b.seq).map((e) => e.item);
    // insertion order by a numeric sort of seq·2²¹ + i (exact below 2⁵³: seq < 2³², i < 2²¹),
    // half the time of sorting the entries with a comparator when thousands wake (135 → 64 ns each)
    if (this.order.length < k) this.order = new Float64Array(2 * k);
    const order = this.order.subarray(0, k);
    for (let i = 0; i < k; i++) order[i] = (out[i] as WakeEntry<T>).seq * PLACES + i;
    order.sort();
    const items = new Array<T>(k);
    for (let i = 0; i < k; i++) items[i] = (out[(order[i] as number) % PLACES] as WakeEntry<T>).item;
    return items;
  }

  /** Rebuilds the heaps whose keys changed while deferring. */
  private settle(): void {
    if (!this.deferring) return;
    for (const h of this.heaps) if (h.stale) h.heapify();
    this.deferring = false;
  }
}

/** 2²¹: room for the place of a woken entry in one tick's list */
const PLACES = 2 ** 21;
