import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PositionRecord } from '../../src/db/repos/positions.ts';
import { moveStopLoss, openPosition } from '../../src/domain/monitor/index.ts';
import { DEFAULT_MONITOR_SETTINGS } from '../../src/domain/settings.ts';
import { PositionBook } from '../../src/engine/position-book.ts';
import { WakeIndex, type WakeEntry } from '../../src/engine/wake-index.ts';

const T0 = Date.UTC(2025, 0, 1);
const settings = { ...DEFAULT_MONITOR_SETTINGS, trailingEnabled: false, partialTpEnabled: false, maxHoldMs: 3_600_000 };

function record(id: string, entry: number, stopLoss: number): PositionRecord {
  return {
    id,
    userId: 'u1',
    accountId: 'a1',
    signalId: null,
    exchange: 'binance',
    isPaper: true,
    symbol: 'BTC/USDT',
    state: openPosition({ side: 'long', entry, qty: 1, stopLoss, takeProfit: entry * 1.05, openedAt: T0, mode: 'spot' }, settings),
    settings,
    status: 'open',
    closeReason: null,
    realizedPnl: 0,
    feesPaid: 0,
    entryFee: 0,
    closedAt: null,
    pendingAction: null,
    rev: 0,
  };
}

describe('the book wake index', () => {
  it('a tick wakes only the positions whose stop, target or time it reached, and follows a stop a trader moves', () => {
    const book = new PositionBook();
    const a = record('a', 100, 95);
    const b = record('b', 100, 90);
    book.add(a);
    book.add(b);
    const ids = (price: number, time = T0 + 1) => book.woken('binance', 'BTC/USDT', price, time).map((p) => p.id);
    expect(ids(100)).toEqual([]);
    expect(ids(95)).toEqual(['a']);
    expect(ids(89)).toEqual(['a', 'b']);
    expect(ids(105)).toEqual(['a', 'b']);
    // the time exit, an hour after the open
    expect(ids(100, T0 + 3_600_000)).toEqual(['a', 'b']);
    // the trader moves b's stop up to 98: a tick at 97 now reaches it, and not a
    b.state = moveStopLoss(b.state, 98, T0 + 2).next;
    expect(ids(97)).toEqual(['b']);
    // a broken price wakes nobody
    expect(ids(Number.NaN)).toEqual([]);
    expect(ids(0)).toEqual([]);
  });

  it('a record shows its own fields only while in the book, and is a plain object again once removed', () => {
    const book = new PositionBook();
    const a = record('a', 100, 95);
    const before = JSON.stringify(a);
    book.add(a);
    expect(Object.keys(a)).toEqual(Object.keys(JSON.parse(before)));
    expect(Object.getOwnPropertySymbols({ ...a })).toEqual([]);
    expect(JSON.stringify(a)).toBe(before);
    book.markDirty('a');
    const [snapshot] = book.takeDirty();
    expect(Object.getOwnPropertySymbols(snapshot)).toEqual([]);
    expect(snapshot?.state).toEqual(a.state);
    book.remove('a');
    expect(Object.getOwnPropertySymbols(a)).toEqual([]);
    expect(Object.getOwnPropertyDescriptor(a, 'state')).toMatchObject({ writable: true, enumerable: true });
    a.state = { ...a.state, stopLoss: 99 };
    expect(a.state.stopLoss).toBe(99);
    expect(book.woken('binance', 'BTC/USDT', 99, T0)).toEqual([]);
  });
});

describe('WakeIndex heaps (fast-check)', () => {
  it('after any adds, updates (one at a time, or many after a tick that woke many) and removals, a tick wakes exactly the entries a scan of all of them finds, in insertion order', () => {
    const price = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(-Infinity, Infinity));
    const wake = fc.record({ low: price, high: price, at: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(Infinity)) });
    const op = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('add' as const), wake }), weight: 4 },
      fc.record({ kind: fc.constant('update' as const), pick: fc.nat(), wake }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('tick' as const), price: fc.integer({ min: 0, max: 40 }), time: fc.integer({ min: 0, max: 40 }) }),
      // a new high: many entries get new wakes at once (the index then rebuilds its heaps once)
      fc.record({ kind: fc.constant('burst' as const), wakes: fc.array(wake, { maxLength: 60 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300, size: 'medium' }), (ops) => {
        const index = new WakeIndex<number>();
        const live: Array<WakeEntry<number>> = [];
        let next = 0;
        for (const o of ops) {
          if (o.kind === 'add') live.push(index.add(next++, o.wake));
          else if (o.kind === 'update' && live.length > 0) index.update(live[o.pick % live.length]!, o.wake);
          else if (o.kind === 'remove' && live.length > 0) index.remove(live.splice(o.pick % live.length, 1)[0]!);
          else if (o.kind === 'burst') o.wakes.forEach((w, i) => i < live.length && index.update(live[i]!, w));
          else if (o.kind === 'tick') {
            const want = live
              .filter((e) => o.price < e.wake.low || o.price > e.wake.high || o.time >= e.wake.at)
              .map((e) => e.item)
              .sort((a, b) => a - b);
            expect(index.woken(o.price, o.time)).toEqual(want);
          }
        }
        expect(index.size).toBe(live.length);
      }),
      { numRuns: 500 },
    );
  });
});
