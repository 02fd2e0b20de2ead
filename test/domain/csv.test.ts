import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCandlesBytes, parseCandlesCsv, parseSignalsCsv } from '../../src/domain/csv.ts';

const HEADER = 'timestamp,open,high,low,close,volume\n';

describe('parseCandlesCsv', () => {
  it('reads ms and ISO timestamps, CRLF and a trailing newline', () => {
    const r = parseCandlesCsv(`${HEADER}1613692800000,51552.61,51657.05,51545,51613.38,134.98\r\n2021-02-19T00:01:00Z,51622.99,51696.42,51606.39,51678.84,106.15\r\n`, 'c.csv');
    expect(r.ok && r.value).toEqual([
      { time: 1613692800000, open: 51552.61, high: 51657.05, low: 51545, close: 51613.38, volume: 134.98 },
      { time: 1613692860000, open: 51622.99, high: 51696.42, low: 51606.39, close: 51678.84, volume: 106.15 },
    ]);
  });

  it('accepts the columns in another order', () => {
    const r = parseCandlesCsv('open,high,low,close,volume,timestamp\n10,12,9,11,5,60000\n', 'c.csv');
    expect(r.ok && r.value[0]).toEqual({ time: 60000, open: 10, high: 12, low: 9, close: 11, volume: 5 });
  });

  it.each([
    ['a non-number', `${HEADER}60000,10,12,9,abc,5\n`, 'c.csv:2:15: close "abc" is not a number'],
    ['a missing field', `${HEADER}60000,10,12,9,11,5\n120000,10,12,9\n`, 'c.csv:3:1: expected 6 fields, found 4'],
    ['time going backwards', `${HEADER}120000,10,12,9,11,5\n60000,10,12,9,11,5\n`, 'c.csv:3:1: timestamp 60000 is not after the previous row'],
    ['a high below the close', `${HEADER}60000,10,10.5,9,11,5\n`, 'c.csv:2:10: high 10.5 is below open, close or low'],
    ['a bad date', `${HEADER}yesterday,10,12,9,11,5\n`, 'c.csv:2:1: timestamp "yesterday" is neither ms since epoch nor ISO 8601'],
    ['a missing header column', 'timestamp,open,high,low,close\n', 'c.csv:1:1: header lacks volume (expected timestamp,open,high,low,close,volume)'],
  ])('names file, line and column for %s', (_n, text, message) => {
    const r = parseCandlesCsv(text, 'c.csv');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error.message).toBe(message);
  });
});

describe('parseCandlesBytes (the CLI reads candles files as bytes)', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);

  it('gives the very numbers parseCandlesCsv gives, for any plain file (ms times, decimals, CRLF, blank lines, another column order)', () => {
    const price = fc.oneof(fc.integer({ min: 1, max: 99_999_999 }).map((c) => (c / 100).toFixed(2)), fc.double({ min: 1e-6, max: 1e6, noNaN: true }).map((x) => x.toFixed(8)), fc.integer({ min: 1, max: 1e9 }).map(String));
    const row = fc.tuple(price, price, price, price, price);
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), fc.boolean(), fc.boolean(), fc.boolean(), (rows, crlf, blank, reorder) => {
        const eol = crlf ? '\r\n' : '\n';
        const lines = rows.map(([a, b, c, d, v], i) => {
          const xs = [a, b, c, d].map(Number).sort((x, y) => x - y);
          // a valid candle: low ≤ open, close ≤ high, in the fields' own text
          const [low, open, close, high] = [String(xs[0]), String(xs[1]), String(xs[2]), String(xs[3])];
          const t = String(1_600_000_000_000 + i * 60_000);
          return reorder ? [open, high, low, close, v, t].join(',') : [t, open, high, low, close, v].join(',');
        });
        const header = reorder ? 'open,high,low,close,volume,timestamp' : 'timestamp,open,high,low,close,volume';
        const text = `${header}${eol}${lines.join(blank ? `${eol}${eol}` : eol)}${eol}`;
        expect(parseCandlesBytes(bytes(text), 'c.csv')).toEqual(parseCandlesCsv(text, 'c.csv'));
      }),
      { numRuns: 300 },
    );
  });

  it('reads what the fast path does not (ISO times, exponents) and names the same errors', () => {
    const iso = `${HEADER}2021-02-19T00:00:00Z,1e2,101,99,100,5\n`;
    expect(parseCandlesBytes(bytes(iso), 'c.csv')).toEqual({ ok: true, value: [{ time: 1613692800000, open: 100, high: 101, low: 99, close: 100, volume: 5 }] });
    for (const bad of [`${HEADER}60000,10,12,9,oops,5\n`, `${HEADER}60000,10,12,9,11\n`, `${HEADER}120000,10,12,9,11,5\n60000,10,12,9,11,5\n`, 'time,open\n1,2\n', `${HEADER}60000,10,9,12,11,5\n`]) {
      const r = parseCandlesBytes(bytes(bad), 'c.csv');
      expect(r.ok).toBe(false);
      expect(r).toEqual(parseCandlesCsv(bad, 'c.csv'));
    }
  });
});

describe('parseSignalsCsv', () => {
  const H = 'created_at,symbol,action,confidence,source,stop_loss,take_profit\n';

  it('reads rows with empty SL/TP and sorts them by time', () => {
    const r = parseSignalsCsv(`${H}2021-02-19T02:00:00Z,BTC/USDT,BUY,0.72,titan_v3,,\n1613692800000,BTC/USDT,sell,0.6,COUNCIL_V2.0_FALLBACK,52000,50000\n`, 's.csv');
    expect(r.ok).toBe(true);
    const rows = r.ok ? r.value : [];
    expect(rows.map((s) => [s.createdAt, s.action, s.stopLoss, s.takeProfit, s.line])).toEqual([
      [1613692800000, 'SELL', 52000, 50000, 3],
      [1613700000000, 'BUY', null, null, 2],
    ]);
  });

  it.each([
    ['a bad action', `${H}60000,BTC/USDT,LONG,0.5,titan_v3,,\n`, 's.csv:2:16: action "LONG" is not BUY, SELL or HOLD'],
    ['confidence above 1', `${H}60000,BTC/USDT,BUY,1.5,titan_v3,,\n`, 's.csv:2:20: confidence "1.5" is not a number in 0..1'],
    ['a negative stop', `${H}60000,BTC/USDT,BUY,0.5,titan_v3,-1,\n`, 's.csv:2:33: stop_loss "-1" is not a positive price'],
  ])('names file, line and column for %s', (_n, text, message) => {
    const r = parseSignalsCsv(text, 's.csv');
    expect(r.ok ? '' : r.error.message).toBe(message);
  });
});
