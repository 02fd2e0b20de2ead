/**
 * Channel posts as traders forward or paste them (SPEC §9). Each golden case is a message shape
 * seen in signal channels (written for this test, no real channel's text), with what must be read.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePost, type SignalDraft } from '../../src/domain/channel-post.ts';

type Golden = { name: string; text: string; draft: Partial<SignalDraft> };

const GOLDEN: Golden[] = [
  {
    name: 'Cornix classic: hashtag pair, entry/take-profit/stop targets numbered 1) 2)',
    text: `⚡️⚡️ #BTC/USDT ⚡️⚡️
Exchanges: Binance Futures
Signal Type: Regular (Long)
Leverage: Cross (20X)

Entry Targets:
1) 62000
2) 62500

Take-Profit Targets:
1) 63500
2) 64500
3) 66000

Stop Targets:
1) 60800`,
    draft: { symbol: 'BTC/USDT', side: 'long', entry: { low: 62000, high: 62500 }, targets: [63500, 64500, 66000], stopLoss: 60800, leverage: 20, missing: [] },
  },
  {
    name: 'one line, no separator in the pair, words for everything',
    text: 'BTCUSDT LONG Entry 62000 TP 63000 64000 SL 61000',
    draft: { symbol: 'BTC/USDT', side: 'long', entry: { low: 62000, high: 62000 }, targets: [63000, 64000], stopLoss: 61000, leverage: null },
  },
  {
    name: 'emoji short with TP1/TP2/TP3 lines, thousands separators and a percent gain each',
    text: `🔴 SHORT $ETH
Entry zone: 3,050 - 3,080
TP1: 2,990 (+2%)
TP2: 2,940 (+3.5%)
TP3: 2,880 (+5%)
⛔ SL: 3,150
Lev 10x`,
    draft: { symbol: 'ETH/USDT', side: 'short', entry: { low: 3050, high: 3080 }, targets: [2990, 2940, 2880], stopLoss: 3150, leverage: 10 },
  },
  {
    name: 'spot "buy / sell" post with a decimal coin, targets separated by dashes',
    text: `#SOLUSDT (Spot)
Buy: 142.5 - 145
Sell: 150 - 155 - 162
Stop: 136.8`,
    draft: { symbol: 'SOL/USDT', side: 'long', entry: { low: 142.5, high: 145 }, targets: [150, 155, 162], stopLoss: 136.8 },
  },
  {
    name: '🎯 emoji targets, one per line, and 🛑 stop; the side only as an emoji',
    text: `📈 AVAX/USDT
Entry: 35.20
🎯 36.10
🎯 37.00
🎯 38.50
🛑 33.90`,
    draft: { symbol: 'AVAX/USDT', side: 'long', entry: { low: 35.2, high: 35.2 }, targets: [36.1, 37, 38.5], stopLoss: 33.9 },
  },
  {
    name: '"Target 1:" labels, entry at market (nothing missing about the entry)',
    text: `XRP/USDT SHORT
Entry: market
Target 1: 0.5820
Target 2: 0.5710
Target 3: 0.5600
Stop loss: 0.6050
Leverage: Isolated 5x`,
    draft: { symbol: 'XRP/USDT', side: 'short', entry: null, targets: [0.582, 0.571, 0.56], stopLoss: 0.605, leverage: 5, missing: [] },
  },
  {
    name: 'keycap enumerators and underscore-separated zone, dash pair',
    text: `LINK-USDT 🟢 LONG
Entry: 14.20_14.45
Targets:
1️⃣ 14.90
2️⃣ 15.40
3️⃣ 16.00
4️⃣ 17.20
SL 13.70`,
    draft: { symbol: 'LINK/USDT', side: 'long', entry: { low: 14.2, high: 14.45 }, targets: [14.9, 15.4, 16, 17.2], stopLoss: 13.7 },
  },
  {
    name: 'targets on one line separated by commas and spaces; perpetual suffix',
    text: `DOGEUSDT.P short
entry 0.1650
tp 0.1600, 0.1550, 0.1500
sl 0.1720
x15`,
    draft: { symbol: 'DOGE/USDT', side: 'short', entry: { low: 0.165, high: 0.165 }, targets: [0.16, 0.155, 0.15], stopLoss: 0.172, leverage: 15 },
  },
  {
    name: 'cashtag post without entry or stop: both named as missing',
    text: `$PEPE looking strong, buying here 🚀
Targets 0.0000125 / 0.0000140`,
    draft: { symbol: 'PEPE/USDT', side: 'long', entry: null, targets: [0.0000125, 0.000014], stopLoss: null, missing: ['no entry price found: it enters at the market price', 'no stop loss found: your settings set it'] },
  },
  {
    name: '"Coin:" and "Direction:" fields, TP lines with "T1", emoji-decorated field names',
    text: `📊 Coin: ARB
📍 Direction: Short
💰 Entry Price: 1.12
✅ T1 1.08
✅ T2 1.04
❌ Stop Loss: 1.18`,
    draft: { symbol: 'ARB/USDT', side: 'short', entry: { low: 1.12, high: 1.12 }, targets: [1.08, 1.04], stopLoss: 1.18 },
  },
  {
    name: 'a header, a date line and a chart note do not leak numbers into the levels',
    text: `VIP SIGNAL #12
BNB/USDT Long 🟢
Entry: 590 - 600
Take profit: 615 - 630 - 650
Stop loss: 575
Timeframe 4h, posted 14:30
Risk 2% of your capital`,
    draft: { symbol: 'BNB/USDT', side: 'long', entry: { low: 590, high: 600 }, targets: [615, 630, 650], stopLoss: 575 },
  },
  {
    name: 'targets given out of order are put in the order the price reaches them, and said so',
    text: `#ETHUSDT SHORT
Entry 3000
TP 2800 2900 2850
SL 3100`,
    draft: { symbol: 'ETH/USDT', side: 'short', targets: [2900, 2850, 2800], stopLoss: 3100, notes: ['targets put in the order the price reaches them: 2900, 2850, 2800'] },
  },
];

describe('channel posts: golden message shapes', () => {
  it('covers at least ten channel styles', () => {
    expect(GOLDEN.length).toBeGreaterThanOrEqual(10);
  });
  for (const g of GOLDEN) {
    it(g.name, () => {
      const r = parsePost(g.text);
      expect(r.kind, JSON.stringify(r)).toBe('draft');
      if (r.kind !== 'draft') return;
      expect(r.draft).toMatchObject(g.draft);
    });
  }
});

describe('channel posts: refusals and non-posts', () => {
  it('a long whose stop is above its entry is refused, naming why', () => {
    const r = parsePost('BTC/USDT LONG\nEntry: 62000 - 62500\nTP: 64000\nSL: 63000');
    expect(r).toEqual({
      kind: 'refused',
      symbol: 'BTC/USDT',
      side: 'long',
      reasons: ["the stop 63000 is not below the entry zone 62000–62500: a long's stop must be below its entry"],
    });
  });

  it('a short whose target is above its entry is refused, naming the target', () => {
    const r = parsePost('#ETH SHORT Entry 3000 TP 2900 3100 SL 3200');
    expect(r.kind).toBe('refused');
    expect(r.kind === 'refused' && r.reasons).toEqual(["target 3100 is not below the entry 3000: a short's targets must be below its entry"]);
  });

  it('without an entry, a stop beyond the targets is refused', () => {
    const r = parsePost('SOLUSDT buy\nTargets: 150 160\nStop: 155');
    expect(r.kind === 'refused' && r.reasons).toEqual(["the stop 155 is not below target 150: a long's stop must be below its targets"]);
  });

  it('two pairs in one post are refused', () => {
    const r = parsePost('BTC/USDT and ETH/USDT long now');
    expect(r.kind === 'refused' && r.reasons[0]).toMatch(/more than one pair \(BTC\/USDT, ETH\/USDT\)/);
  });

  it('long and short in one post are refused', () => {
    expect(parsePost('BTCUSDT long or short? entry 62000').kind).toBe('refused');
  });

  it('chat that names no pair or no side is not a post', () => {
    expect(parsePost('hello, how do I connect Binance?')).toEqual({ kind: 'none', symbol: null, side: null });
    expect(parsePost('what do you think of BTC/USDT today')).toEqual({ kind: 'none', symbol: 'BTC/USDT', side: null });
    expect(parsePost('going long tomorrow')).toEqual({ kind: 'none', symbol: null, side: 'long' });
    // hashtags that are channel words, not coins
    expect(parsePost('#signal #long').kind).toBe('none');
  });

  it('an implausible leverage is left out and said so', () => {
    const r = parsePost('BTCUSDT long entry 62000 sl 61000 tp 64000 leverage 500x');
    expect(r.kind === 'draft' && r.draft.leverage).toBeNull();
    expect(r.kind === 'draft' && r.draft.notes).toContain('leverage 500× is not a leverage I can use (1–200): ignored');
  });
});

describe('channel posts: fuzz', () => {
  // the pieces posts are made of, in any order: what the parser's branches react to
  const soup = fc
    .array(fc.constantFrom('BTC/USDT', '#ETH', '$SOL', 'LONG', 'short', 'Buy', 'sell', '🟢', '📉', 'Entry:', 'TP1', 'Target 2:', '🎯', 'SL', '⛔', 'x20', '10x', 'Leverage', 'market', '1)', '2.', '1️⃣', '62,000', '0.0001', '.5', '-', '_', ',', '%', '\n', ' ', '12:30', '4h', '(', ')', '1000PEPEUSDT', 'USDT_BTC'), { maxLength: 40 })
    .map((parts) => parts.join(''));

  it('never throws, on any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.lorem({ maxCount: 30 }), soup), (text) => {
        const r = parsePost(text);
        expect(['draft', 'refused', 'none']).toContain(r.kind);
        if (r.kind === 'refused') expect(r.reasons.join(' ')).not.toMatch(/could not be read/);
      }),
      { numRuns: 2000 },
    );
  });

  const price = fc.double({ min: 0.0001, max: 200_000, noNaN: true, noDefaultInfinity: true }).map((n) => Number(n.toPrecision(6)));
  const labels = {
    entry: fc.constantFrom('Entry:', 'Entry zone:', 'Buy zone', 'entry', 'Entry Targets:\n1)'),
    tp: fc.constantFrom('TP:', 'Targets:', '🎯', 'Take profit', 'Target 1:'),
    sl: fc.constantFrom('SL:', 'Stop:', '⛔', 'Stop loss', 'stop-loss'),
    side: fc.constantFrom('LONG', 'Long 🟢', 'SHORT', 'short 🔴', 'Buy', 'Sell', '📈', '📉'),
    pair: fc.constantFrom('BTC/USDT', '#ETHUSDT', '$SOL', 'BNB-USDT', 'XRPUSDT.P'),
    sep: fc.constantFrom(' - ', ' ', ', ', '_', '\n'),
  };

  it('never yields a stop on the wrong side of the entry or targets, whatever numbers a post carries', () => {
    fc.assert(
      fc.property(
        labels.pair, labels.side, labels.entry, labels.tp, labels.sl, labels.sep,
        fc.array(price, { minLength: 0, maxLength: 2 }), fc.array(price, { minLength: 0, maxLength: 4 }), fc.option(price, { nil: undefined }),
        fc.boolean(),
        (pair, side, entryLabel, tpLabel, slLabel, sep, entries, targets, stop, oneLine) => {
          const parts = [`${pair} ${side}`];
          if (entries.length > 0) parts.push(`${entryLabel} ${entries.join(sep === '\n' ? ' - ' : sep)}`);
          if (targets.length > 0) parts.push(`${tpLabel} ${targets.join(sep)}`);
          if (stop !== undefined) parts.push(`${slLabel} ${stop}`);
          const r = parsePost(parts.join(oneLine ? ' ' : '\n'));
          expect(r.kind).not.toBe('none');
          if (r.kind !== 'draft') {
            if (r.kind === 'refused') expect(r.reasons.length).toBeGreaterThan(0);
            return;
          }
          const d = r.draft;
          const below = (a: number, b: number) => (d.side === 'long' ? a < b : a > b);
          if (d.stopLoss !== null && d.entry !== null) expect(below(d.stopLoss, d.side === 'long' ? d.entry.low : d.entry.high)).toBe(true);
          if (d.stopLoss !== null) for (const t of d.targets) expect(below(d.stopLoss, t)).toBe(true);
          if (d.entry !== null) for (const t of d.targets) expect(below(d.side === 'long' ? d.entry.high : d.entry.low, t)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a post whose stop contradicts its side is refused and the reason names the stop', () => {
    fc.assert(
      fc.property(labels.pair, fc.boolean(), price, fc.double({ min: 0.001, max: 0.5, noNaN: true }), (pair, long, entry, gap) => {
        const stop = Number((long ? entry * (1 + gap) : entry * (1 - gap)).toPrecision(6));
        fc.pre(stop !== entry);
        const r = parsePost(`${pair} ${long ? 'LONG' : 'SHORT'}\nEntry: ${entry}\nSL: ${stop}`);
        expect(r.kind).toBe('refused');
        if (r.kind === 'refused') expect(r.reasons.join(' ')).toContain(`the stop ${stop} is not ${long ? 'below' : 'above'}`);
      }),
      { numRuns: 1000 },
    );
  });
});
