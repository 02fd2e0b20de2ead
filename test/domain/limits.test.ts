import { describe, expect, it } from 'vitest';
import { checkTradeLimits, HOUR_MS } from '../../src/domain/limits.ts';

const NOW = Date.UTC(2025, 11, 17, 14, 0, 0);
const MIN = 60_000;
const base = { now: NOW, recentTradeTimes: [] as number[], openPositions: 0, maxPositions: 5, dailyTradeLimit: 15, hourlyTradeLimit: 5 };

describe('checkTradeLimits (SPEC §3.6)', () => {
  it('allows a trade with room everywhere', () => {
    expect(checkTradeLimits(base)).toEqual({ execute: true, sizeMultiplier: 1, reasons: [], retryAfterMs: null });
  });

  it('the 6th trade in an hour is refused until the oldest leaves the window', () => {
    const times = [50, 40, 30, 20, 10].map((m) => NOW - m * MIN);
    const d = checkTradeLimits({ ...base, recentTradeTimes: times });
    expect(d).toMatchObject({ execute: false, sizeMultiplier: 0, reasons: ['hourly trade limit reached (5/5)'] });
    expect(d.retryAfterMs).toBe(10 * MIN);
    expect(checkTradeLimits({ ...base, recentTradeTimes: times.map((t) => t - 11 * MIN) }).execute).toBe(true);
  });

  it('the 16th trade in 24 h is refused', () => {
    const times = Array.from({ length: 15 }, (_, i) => NOW - (2 + i) * HOUR_MS + MIN);
    const d = checkTradeLimits({ ...base, recentTradeTimes: times });
    expect(d.reasons).toEqual(['daily trade limit reached (15/15)']);
    expect(d.retryAfterMs).toBe(8 * HOUR_MS + MIN); // the oldest, 15 h 59 min ago, leaves the 24 h window in 8 h 1 min
  });

  it('max open positions', () => {
    expect(checkTradeLimits({ ...base, openPositions: 5 }).reasons).toEqual(['max open positions reached (5/5)']);
  });

  it('closing or reducing is never rate-limited', () => {
    expect(checkTradeLimits({ ...base, openPositions: 9, hourlyTradeLimit: 0, reducing: true }).execute).toBe(true);
  });
});
