import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  confidenceThreshold,
  consensus,
  countingSignals,
  isThinSession,
  realizedVolatility,
  validateSignal,
  type Signal,
  type ValidationContext,
} from '../../src/domain/signals.ts';

const NOW = Date.UTC(2025, 11, 17, 14, 0, 0); // Wednesday 14:00 UTC
const MIN = 60_000;

const sig = (over: Partial<Signal> = {}): Signal => ({
  id: 's1',
  symbol: 'BTC/USDT',
  action: 'BUY',
  confidence: 0.7,
  source: 'titan_v3',
  createdAt: NOW - 10 * MIN,
  expiresAt: null,
  stopLoss: null,
  takeProfit: null,
  ...over,
});

const ctx = (over: Partial<ValidationContext> = {}): ValidationContext => ({
  now: NOW,
  mode: 'spot',
  hasOpenLong: false,
  threshold: { volatility: 0, sourceAccuracy: null, thinSession: false },
  live: [],
  ...over,
});

describe('confidenceThreshold', () => {
  it.each([
    ['neutral market', { volatility: 0, sourceAccuracy: null, thinSession: false }, 0.45],
    ['2.5 % volatility adds 0.10', { volatility: 0.025, sourceAccuracy: 0.5, thinSession: false }, 0.55],
    ['a 90 % accurate source lowers it by 0.08', { volatility: 0, sourceAccuracy: 0.9, thinSession: false }, 0.37],
    ['the thin session adds 0.05', { volatility: 0, sourceAccuracy: 0.5, thinSession: true }, 0.5],
    ['clamps at 0.65 in a wild, thin market with a poor source', { volatility: 0.2, sourceAccuracy: 0, thinSession: true }, 0.65],
    ['clamps at 0.35 for a perfect source in a calm market', { volatility: 0, sourceAccuracy: 1, thinSession: false }, 0.35],
  ])('%s', (_name, inputs, expected) => {
    expect(confidenceThreshold(inputs)).toBeCloseTo(expected, 12);
  });

  it('is monotone in each input and stays within 0.35..0.65 (property)', () => {
    const acc = fc.option(fc.double({ min: 0, max: 1, noNaN: true }));
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        acc,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (v1, v2, a1, a2, thin) => {
          const [vl, vh] = v1 <= v2 ? [v1, v2] : [v2, v1];
          const a = a1 ?? 0.5;
          const [al, ah] = a <= a2 ? [a, a2] : [a2, a];
          const t = (volatility: number, sourceAccuracy: number, thinSession: boolean) =>
            confidenceThreshold({ volatility, sourceAccuracy, thinSession });
          expect(t(vl, a, thin)).toBeLessThanOrEqual(t(vh, a, thin));
          expect(t(vl, al, thin)).toBeGreaterThanOrEqual(t(vl, ah, thin));
          expect(t(vl, a, false)).toBeLessThanOrEqual(t(vl, a, true));
          const x = t(vh, al, thin);
          expect(x).toBeGreaterThanOrEqual(0.35);
          expect(x).toBeLessThanOrEqual(0.65);
        },
      ),
    );
  });

  it('thin session: 21:00–00:59 UTC and weekends', () => {
    expect(isThinSession(Date.UTC(2025, 11, 17, 21, 30))).toBe(true);
    expect(isThinSession(Date.UTC(2025, 11, 17, 0, 30))).toBe(true);
    expect(isThinSession(Date.UTC(2025, 11, 17, 14, 0))).toBe(false);
    expect(isThinSession(Date.UTC(2025, 11, 20, 14, 0))).toBe(true); // Saturday
  });

  it('realized volatility of alternating ±1 % moves is about 1 %', () => {
    const closes = [100, 101, 100, 101, 100, 101, 100];
    expect(realizedVolatility(closes)).toBeCloseTo(0.0109, 3);
    expect(realizedVolatility([100, 100, 100])).toBe(0);
  });
});

describe('validateSignal', () => {
  it('executes a fresh, trusted, confident BUY as a long', () => {
    const d = validateSignal(sig(), ctx());
    expect(d).toMatchObject({ execute: true, intent: 'open_long', reasons: [] });
    expect(d.score).toBeCloseTo(0.7, 12);
    expect(d.threshold).toBeCloseTo(0.45, 12);
  });

  it.each([
    ['an untrusted source', sig({ source: 'titan_v2' }), /source "titan_v2" is not trusted/],
    ['a signal 6 h old', sig({ createdAt: NOW - 6 * 60 * MIN }), /6\.0 h old/],
    ['an expired signal', sig({ expiresAt: NOW - 1 }), /expired/],
    ['a HOLD', sig({ action: 'HOLD' }), /HOLD signals are recorded, never traded/],
    ['confidence below the threshold', sig({ confidence: 0.4 }), /confidence 0\.400 is below the threshold 0\.450/],
    ['a SELL on spot without a long to close', sig({ action: 'SELL' }), /SELL on spot/],
  ])('refuses %s with its reason', (_name, s, reason) => {
    const d = validateSignal(s, ctx());
    expect(d.execute).toBe(false);
    expect(d.intent).toBeNull();
    expect(d.reasons.some((r) => reason.test(r))).toBe(true);
  });

  it('lists every reason, not just the first', () => {
    const d = validateSignal(sig({ source: 'manual', confidence: 0.1, expiresAt: NOW - 1 }), ctx());
    expect(d.reasons).toHaveLength(3);
  });

  it('SELL opens a short on margin/futures, closes a long on spot', () => {
    expect(validateSignal(sig({ action: 'SELL' }), ctx({ mode: 'futures' })).intent).toBe('open_short');
    expect(validateSignal(sig({ action: 'SELL' }), ctx({ hasOpenLong: true })).intent).toBe('close_long');
  });

  it('consensus: an opposing trusted signal within 15 min cancels, named in the reason; outside the window it does not', () => {
    const other = sig({ id: '1a2b3c4d-0000-4000-8000-000000000000', action: 'SELL', confidence: 0.8, source: 'COUNCIL_V2.0_FALLBACK', createdAt: NOW - 20 * MIN });
    const blocked = validateSignal(sig(), ctx({ live: [other] }));
    expect(blocked.execute).toBe(false);
    expect(blocked.reasons).toEqual(['opposed by SELL 0.80 from COUNCIL_V2.0_FALLBACK (signal 1a2b3c4d) within 15 min']);
    const far = { ...other, createdAt: NOW - 26 * MIN }; // 16 min apart
    expect(validateSignal(sig(), ctx({ live: [far] })).execute).toBe(true);
  });

  it('consensus: each opposing signal is named', () => {
    const live = [
      sig({ id: 'sell-a', action: 'SELL', confidence: 0.8, createdAt: NOW - 5 * MIN }),
      sig({ id: 'sell-b', action: 'SELL', confidence: 0.55, source: 'COUNCIL_V2.0_FALLBACK', createdAt: NOW - 12 * MIN }),
    ];
    expect(validateSignal(sig({ confidence: 0.9 }), ctx({ live })).reasons).toEqual([
      'opposed by SELL 0.80 from titan_v3 (signal sell-a) within 15 min',
      'opposed by SELL 0.55 from COUNCIL_V2.0_FALLBACK (signal sell-b) within 15 min',
    ]);
  });

  it('consensus: agreeing valid signals raise the score, 0.4 and 0.5 → 0.70, passing a 0.45 threshold', () => {
    const a = sig({ confidence: 0.4 });
    const b = sig({ id: 's2', confidence: 0.5, source: 'COUNCIL_V2.0_FALLBACK', createdAt: NOW - 5 * MIN });
    expect(consensus(a, [a, b]).score).toBeCloseTo(0.7, 12);
    const d = validateSignal(a, ctx({ live: [a, b] }));
    expect(d.execute).toBe(true);
    expect(d.score).toBeCloseTo(0.7, 12);
  });

  it('consensus: a supporter below its own threshold does not count — two 0.40 signals stay 0.40 < 0.45', () => {
    const a = sig({ confidence: 0.4 });
    const b = sig({ id: 's2', confidence: 0.4, source: 'COUNCIL_V2.0_FALLBACK', createdAt: NOW - 5 * MIN });
    const d = validateSignal(a, ctx({ live: [a, b] }));
    expect(d.execute).toBe(false);
    expect(d.score).toBeCloseTo(0.4, 12);
    expect(d.reasons).toEqual(['confidence 0.400 is below the threshold 0.450']);
  });

  it("consensus: each supporter is held to its own source's threshold (a 90 % accurate source's is 0.37)", () => {
    const a = sig({ confidence: 0.4 });
    const b = sig({ id: 's2', confidence: 0.4, source: 'COUNCIL_V2.0_FALLBACK', createdAt: NOW - 5 * MIN });
    const d = validateSignal(a, ctx({ live: [b], sourceAccuracy: { COUNCIL_V2_0: 0.1, 'COUNCIL_V2.0_FALLBACK': 0.9 } }));
    expect(d.execute).toBe(true);
    expect(d.score).toBeCloseTo(0.64, 12);
  });

  it('consensus ignores untrusted, other-symbol, HOLD and expired signals', () => {
    const live = [
      sig({ id: 'x1', action: 'SELL', source: 'ai-scheduler' }),
      sig({ id: 'x2', action: 'SELL', symbol: 'ETH/USDT' }),
      sig({ id: 'x3', action: 'HOLD' }),
      sig({ id: 'x4', action: 'SELL', expiresAt: NOW - 1 }),
    ];
    const d = validateSignal(sig(), ctx({ live }));
    expect(d.execute).toBe(true);
    expect(d.score).toBeCloseTo(0.7, 12);
  });

  // Each row: a signal that is invalid on its own (or not the trader's to see), created within
  // 15 min of the judged one, as a SELL 0.8 against a valid BUY 0.9 and as a BUY beside a weak BUY 0.1.
  const notCounting: Array<[string, Partial<Signal>, Partial<Signal>]> = [
    ['confidence 5 (a malformed row)', { confidence: 5 }, {}],
    ['confidence -0.2', { confidence: -0.2 }, {}],
    ['confidence NaN', { confidence: Number.NaN }, {}],
    ['an untrusted source', { source: 'random_bot' }, {}],
    ['an expired signal', { expiresAt: NOW - 1 }, {}],
    ['a signal 6 h old (10 min before a 5 h 50 min old one)', { createdAt: NOW - 360 * MIN }, { createdAt: NOW - 350 * MIN }],
    ['a signal dated 6 min in the future', { createdAt: NOW + 6 * MIN }, { createdAt: NOW }],
    ['a signal below its own threshold (0.30 < 0.45)', { confidence: 0.3 }, {}],
    ['a HOLD', { action: 'HOLD' }, {}],
    ["another trader's private signal", { userId: 'user-b' }, {}],
    ['a private signal for a user that does not exist', { userId: '00000000-0000-4000-8000-00000000dead' }, {}],
  ];

  it.each(notCounting)('%s never vetoes a valid BUY 0.90', (_name, over, judgedOver) => {
    const buy = sig({ confidence: 0.9, ...judgedOver });
    const other = sig({ id: 'other', action: 'SELL', confidence: 0.8, createdAt: buy.createdAt + 5 * MIN, ...over });
    const d = validateSignal(buy, ctx({ live: [buy, other], userId: 'user-a' }));
    expect(d).toMatchObject({ execute: true, intent: 'open_long', reasons: [] });
    expect(d.score).toBeCloseTo(0.9, 12);
    // the same signal made valid and public does veto: the row above is not vacuous
    const valid = sig({ id: 'other', action: 'SELL', confidence: 0.8, createdAt: buy.createdAt + 5 * MIN });
    expect(validateSignal(buy, ctx({ live: [buy, valid], userId: 'user-a' })).execute).toBe(false);
  });

  it.each(notCounting)('%s never lifts a BUY 0.10 over the threshold', (_name, over, judgedOver) => {
    const weak = sig({ confidence: 0.1, ...judgedOver });
    const other = sig({ id: 'other', action: 'BUY', confidence: 0.8, createdAt: weak.createdAt + 5 * MIN, ...over });
    const d = validateSignal(weak, ctx({ live: [weak, other], userId: 'user-a' }));
    expect(d.execute).toBe(false);
    expect(d.score).toBeCloseTo(0.1, 12);
    expect(d.reasons).toEqual(['confidence 0.100 is below the threshold 0.450']);
  });

  it("the trader's own private SELL does veto, naming it", () => {
    const other = sig({ id: 'mine', action: 'SELL', confidence: 0.8, userId: 'user-a', createdAt: NOW - 5 * MIN });
    const d = validateSignal(sig({ confidence: 0.9 }), ctx({ live: [other], userId: 'user-a' }));
    expect(d.reasons).toEqual(['opposed by SELL 0.80 from titan_v3 (signal mine) within 15 min']);
  });

  it('a signal with confidence 5 is itself refused with a reason naming it', () => {
    const d = validateSignal(sig({ confidence: 5 }), ctx());
    expect(d.execute).toBe(false);
    expect(d.reasons).toContain('confidence 5 is outside 0..1');
  });

  it('countingSignals keeps the valid, visible ones', () => {
    const judged = sig();
    const live = [
      judged,
      sig({ id: 'ok-public', action: 'SELL', confidence: 0.6, createdAt: NOW - 3 * MIN }),
      sig({ id: 'ok-mine', action: 'BUY', confidence: 0.5, userId: 'user-a', createdAt: NOW - 3 * MIN }),
      sig({ id: 'theirs', action: 'SELL', confidence: 0.9, userId: 'user-b' }),
      sig({ id: 'hold', action: 'HOLD', confidence: 0.9 }),
      sig({ id: 'weak', action: 'SELL', confidence: 0.44 }),
    ];
    expect(countingSignals(judged, ctx({ live, userId: 'user-a' })).map((s) => s.id)).toEqual(['ok-public', 'ok-mine']);
    // no trader given: only signals for every user count
    expect(countingSignals(judged, ctx({ live })).map((s) => s.id)).toEqual(['ok-public']);
  });
});

describe('validateSignal properties', () => {
  const sources = ['titan_v3', 'COUNCIL_V2.0_FALLBACK'];
  const validSignal = (id: string, createdAt: fc.Arbitrary<number>) =>
    fc.record({
      id: fc.constant(id),
      symbol: fc.constantFrom('BTC/USDT', 'ETH/USDT'),
      action: fc.constantFrom<Signal['action']>('BUY', 'SELL'),
      confidence: fc.double({ min: 0.65, max: 1, noNaN: true }),
      source: fc.constantFrom(...sources),
      createdAt,
      expiresAt: fc.constant(null),
      stopLoss: fc.constant(null),
      takeProfit: fc.constant(null),
      userId: fc.constantFrom<string | null>(null, 'user-a'),
    });
  /** judged signals cluster near the age limit and near now, where expired and future-dated neighbours fall in the window */
  const judgedTime = fc.oneof(
    fc.integer({ min: NOW - 360 * MIN + 1, max: NOW - 345 * MIN }),
    fc.integer({ min: NOW - 10 * MIN, max: NOW }),
    fc.integer({ min: NOW - 360 * MIN + 1, max: NOW }),
  );
  const near = (t: number) => fc.integer({ min: t - 15 * MIN, max: t + 15 * MIN });
  /** a signal near `t` that is invalid on its own, or private to someone else, in one of several ways */
  const invalidNear = (t: number) =>
    fc
      .tuple(
        validSignal('invalid', near(t)),
        fc.oneof(
          fc.record({ confidence: fc.oneof(fc.double({ min: 1.0000001, max: 100, noNaN: true }), fc.double({ min: -100, max: -0.0000001, noNaN: true }), fc.constant(Number.NaN)) }),
          fc.record({ confidence: fc.double({ min: 0, max: 0.349, noNaN: true }) }),
          fc.record({ source: fc.constantFrom('random_bot', 'titan_v2', '') }),
          fc.record({ expiresAt: fc.integer({ min: NOW - 6 * 60 * MIN, max: NOW }) }),
          fc.record({ createdAt: fc.integer({ min: NOW - 380 * MIN, max: NOW - 360 * MIN }) }),
          fc.record({ createdAt: fc.integer({ min: NOW + 5 * MIN + 1, max: NOW + 20 * MIN }) }),
          fc.record({ action: fc.constant<Signal['action']>('HOLD') }),
          fc.record({ userId: fc.constantFrom('user-b', 'nobody') }),
        ),
      )
      .map(([s, over]) => ({ ...s, ...over }) as Signal);

  it('a signal that is invalid on its own never changes another signal’s decision (property)', () => {
    const scenario = judgedTime.chain((t) =>
      fc.tuple(validSignal('judged', fc.constant(t)), fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 4 }).chain((ids) => fc.tuple(...ids.map((i) => validSignal(`live-${i}`, near(t))))), invalidNear(t)),
    );
    fc.assert(
      fc.property(
        scenario,
        fc.constantFrom<ValidationContext['mode']>('spot', 'futures'),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.boolean(),
        ([judged, live, bad], mode, volatility, thinSession) => {
          const c = ctx({ mode, userId: 'user-a', threshold: { volatility, sourceAccuracy: null, thinSession } });
          const without = validateSignal(judged, { ...c, live: [judged, ...live] });
          const withBad = validateSignal(judged, { ...c, live: [judged, ...live, bad] });
          expect(withBad).toEqual(without);
        },
      ),
      { numRuns: 500 },
    );
  });
});
