/** SPEC §3: a trader's own sources (§9) are trusted for that trader only. */
import { describe, expect, it } from 'vitest';
import { isTrustedSource, validateSignal, type Signal, type ValidationContext } from '../../src/domain/signals.ts';

const NOW = Date.UTC(2025, 11, 17, 14, 0, 0);
const sig = (over: Partial<Signal> = {}): Signal => ({
  id: 's1',
  symbol: 'BTC/USDT',
  action: 'BUY',
  confidence: 1,
  source: 'webhook',
  createdAt: NOW - 1000,
  expiresAt: null,
  stopLoss: null,
  takeProfit: null,
  userId: 'alice',
  ...over,
});
const ctx = (over: Partial<ValidationContext> = {}): ValidationContext => ({
  now: NOW,
  mode: 'spot',
  hasOpenLong: false,
  threshold: { volatility: 0, sourceAccuracy: null, thinSession: false },
  live: [],
  userId: 'alice',
  ...over,
});

describe('personal sources', () => {
  it.each([
    ['a webhook row naming its trader', { source: 'webhook', userId: 'alice' }, ['titan_v3'], true],
    ['a webhook row for every trader', { source: 'webhook', userId: null }, ['titan_v3'], false],
    ['a webhook row for every trader, even when TRUSTED_SOURCES lists webhook', { source: 'webhook', userId: null }, ['webhook'], false],
    ['a forwarded post naming its trader', { source: 'telegram', userId: 'bob' }, [], true],
    ['titan_v3 for everyone', { source: 'titan_v3', userId: null }, ['titan_v3'], true],
    ['an unknown producer', { source: 'someone', userId: 'alice' }, ['titan_v3'], false],
  ] as const)('%s → trusted %s', (_name, s, trusted, expected) => {
    expect(isTrustedSource(s, trusted)).toBe(expected);
  });

  it("trades for its own trader and is refused, with the reason, for anyone else", () => {
    expect(validateSignal(sig(), ctx()).execute).toBe(true);
    const forBob = validateSignal(sig(), ctx({ userId: 'bob' }));
    expect(forBob.execute).toBe(false);
    expect(forBob.reasons).toContain('the signal is addressed to another trader');
    const everyone = validateSignal(sig({ userId: null }), ctx());
    expect(everyone.reasons).toContain('source "webhook" is a trader\'s own and is trusted only with that trader\'s user_id');
  });

  it("another trader's webhook signal never opposes mine", () => {
    const bobs = sig({ id: 's2', userId: 'bob', action: 'SELL' });
    expect(validateSignal(sig(), ctx({ live: [bobs] })).execute).toBe(true);
    const mine = sig({ id: 's3', userId: 'alice', action: 'SELL' });
    expect(validateSignal(sig(), ctx({ live: [mine] })).reasons[0]).toMatch(/^opposed by SELL 1.00 from webhook/);
  });
});
