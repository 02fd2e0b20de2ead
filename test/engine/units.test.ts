/** The engine's small pure pieces: exit P&L arithmetic, symbols, cron periods, the keyed lock, the bounded runner. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { exitPnl, feeInQuote } from '../../src/domain/fills.ts';
import { marketSymbol } from '../../src/engine/market-symbol.ts';
import { cronExpression } from '../../src/engine/every.ts';
import { KeyedLock } from '../../src/engine/keyed-lock.ts';
import { forEachBounded } from '../../src/engine/bounded.ts';

describe('exit P&L', () => {
  it('a long bought at 100 (fee 1) and sold 4 of 10 at 110 (fee 0.44) nets 40 − 0.44 − 0.4', () => {
    const r = exitPnl({ side: 'long', entry: 100, exit: 110, qty: 4, qtyInitial: 10, entryFee: 1, exitFee: 0.44 });
    expect(r.gross).toBe(40);
    expect(r.fee).toBeCloseTo(0.84, 12);
    expect(r.net).toBeCloseTo(39.16, 12);
  });

  it('a short gains when the price falls', () => {
    expect(exitPnl({ side: 'short', entry: 100, exit: 90, qty: 1, qtyInitial: 1, entryFee: 0, exitFee: 0 }).net).toBe(10);
  });

  it('exits in any split sum to the whole trade: gross − entry fee − every exit fee', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'long' | 'short'>('long', 'short'),
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        fc.array(fc.record({ part: fc.double({ min: 0.01, max: 1, noNaN: true }), exit: fc.double({ min: 1, max: 1e5, noNaN: true }), fee: fc.double({ min: 0, max: 10, noNaN: true }) }), { minLength: 1, maxLength: 6 }),
        (side, entry, exits) => {
          const total = exits.reduce((s, e) => s + e.part, 0);
          const entryFee = 3;
          let net = 0;
          let expected = -entryFee;
          for (const e of exits) {
            net += exitPnl({ side, entry, exit: e.exit, qty: e.part, qtyInitial: total, entryFee, exitFee: e.fee }).net;
            expected += (e.exit - entry) * e.part * (side === 'long' ? 1 : -1) - e.fee;
          }
          expect(net).toBeCloseTo(expected, 6);
        },
      ),
    );
  });

  it('values a fee charged in the base currency at the fill price', () => {
    expect(feeInQuote({ fee: 0.001, feeCurrency: 'BTC', avgPrice: 50_000, symbol: 'BTC/USDT' })).toBe(50);
    expect(feeInQuote({ fee: 2, feeCurrency: 'USDT', avgPrice: 50_000, symbol: 'BTC/USDT:USDT' })).toBe(2);
  });
});

describe('market symbols', () => {
  it.each([
    ['BTC/USDT', 'spot', 'BTC/USDT'],
    ['BTCUSDT', 'margin', 'BTC/USDT'],
    ['eth/usdt', 'futures', 'ETH/USDT:USDT'],
    ['SOL/USDT:USDT', 'spot', 'SOL/USDT'],
  ] as const)('%s on %s is %s', (input, mode, expected) => {
    expect(marketSymbol(input, mode)).toBe(expected);
  });
});

describe('sweep periods', () => {
  it.each([
    [5, '*/5 * * * * *'],
    [300, '*/5 * * * *'],
    [60, '*/1 * * * *'],
    [7, undefined],
    [7200, undefined],
  ] as const)('%s s → %s', (seconds, expression) => {
    expect(cronExpression(seconds)).toBe(expression);
  });
});

describe('keyed lock', () => {
  it('runs holders of one key one at a time in arrival order, other keys at once', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const release = lock.tryAcquire('p1')!;
    expect(lock.tryAcquire('p1')).toBeUndefined();
    const a = lock.run('p1', async () => void log.push('a'));
    const b = lock.run('p1', async () => void log.push('b'));
    await lock.run('p2', async () => void log.push('other'));
    expect(log).toEqual(['other']);
    release();
    await Promise.all([a, b]);
    expect(log).toEqual(['other', 'a', 'b']);
    expect(lock.isHeld('p1')).toBe(false);
  });
});

describe('bounded runner', () => {
  it('never runs more than the bound at once and returns each failure as a value', async () => {
    let running = 0;
    let peak = 0;
    const results = await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (n === 4) throw new Error('bad key');
      return n * 2;
    });
    expect(peak).toBe(3);
    expect(results.map((r) => (r.ok ? r.value : 'failed'))).toEqual([2, 4, 6, 'failed', 10, 12, 14]);
  });
});
