import { describe, expect, it } from 'vitest';
import { createIpLimiter } from '../../src/http/ip-limiter.ts';

describe('createIpLimiter', () => {
  it('limits an address after maxFailures misses until its window ends; others are untouched', () => {
    let now = 0;
    const l = createIpLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfterMs('1.1.1.1')).toBe(0);
      l.fail('1.1.1.1');
    }
    now = 10_000;
    expect(l.retryAfterMs('1.1.1.1')).toBe(50_000);
    expect(l.retryAfterMs('2.2.2.2')).toBe(0);
    now = 60_000;
    expect(l.retryAfterMs('1.1.1.1')).toBe(0);
  });

  it('remembers at most maxAddresses (the least recent are forgotten)', () => {
    const l = createIpLimiter({ maxFailures: 1, windowMs: 60_000, maxAddresses: 2, now: () => 0 });
    l.fail('a');
    l.fail('b');
    l.fail('c');
    expect([l.retryAfterMs('a'), l.retryAfterMs('b') > 0, l.retryAfterMs('c') > 0]).toEqual([0, true, true]);
  });
});
