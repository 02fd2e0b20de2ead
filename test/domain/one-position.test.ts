import { describe, expect, it } from 'vitest';
import { planAgainstOpen } from '../../src/domain/one-position.ts';

describe('one position per account and symbol (SPEC §3 rule 7)', () => {
  it.each([
    // action, mode, open side → plan
    ['BUY', 'spot', null, { kind: 'open', side: 'long' }],
    ['SELL', 'futures', null, { kind: 'open', side: 'short' }],
    ['SELL', 'margin', null, { kind: 'open', side: 'short' }],
    ['SELL', 'spot', null, { kind: 'refuse', reason: 'SELL on spot needs an open long of BTC/USDT to close (shorting needs margin or futures)' }],
    ['BUY', 'futures', 'long', { kind: 'refuse', reason: 'a long of BTC/USDT is already open' }],
    ['SELL', 'futures', 'short', { kind: 'refuse', reason: 'a short of BTC/USDT is already open' }],
    ['SELL', 'futures', 'long', { kind: 'reverse', close: 'long', open: 'short' }],
    ['BUY', 'margin', 'short', { kind: 'reverse', close: 'short', open: 'long' }],
    ['SELL', 'spot', 'long', { kind: 'reverse', close: 'long', open: null }],
  ] as const)('%s on %s with %s open → %o', (action, mode, open, plan) => {
    expect(planAgainstOpen({ symbol: 'BTC/USDT', action, mode, open })).toEqual(plan);
  });
});
