import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  confidenceThreshold,
  consensus,
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

  it('consensus: an opposing trusted signal within 15 min cancels; outside the window it does not', () => {
    const other = sig({ id: 's2', action: 'SELL', source: 'COUNCIL_V2.0_FALLBACK', createdAt: NOW - 20 * MIN });
    const blocked = validateSignal(sig(), ctx({ live: [other] }));
    expect(blocked.execute).toBe(false);
    expect(blocked.reasons[0]).toMatch(/opposing signal\(s\).*s2/);
    const far = { ...other, createdAt: NOW - 26 * MIN }; // 16 min apart
    expect(validateSignal(sig(), ctx({ live: [far] })).execute).toBe(true);
  });

  it('consensus: agreeing signals raise the score, 0.4 and 0.4 → 0.64, passing a 0.45 threshold', () => {
    const a = sig({ confidence: 0.4 });
    const b = sig({ id: 's2', confidence: 0.4, source: 'COUNCIL_V2.0_FALLBACK', createdAt: NOW - 5 * MIN });
    expect(consensus(a, [a, b]).score).toBeCloseTo(0.64, 12);
    const d = validateSignal(a, ctx({ live: [a, b] }));
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
});
