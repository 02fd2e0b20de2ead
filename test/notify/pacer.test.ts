import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Pacer, TELEGRAM_PACING } from '../../src/notify/pacer.ts';

describe('alert pacing', () => {
  it('never lets more than burst + rate × window leave in any window, nor two messages to one chat within the interval', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 400 }), (steps) => {
        const pacer = new Pacer(TELEGRAM_PACING, 0);
        let t = 0;
        const sent: Array<{ t: number; chat: number }> = [];
        for (const [dt, chat] of steps) {
          t += dt;
          if (pacer.available(t) >= 1 && pacer.chatReady(chat, t)) {
            pacer.take(chat, t);
            sent.push({ t, chat });
          }
        }
        for (const s of sent) {
          const inWindow = sent.filter((x) => x.t >= s.t && x.t < s.t + 1000).length;
          expect(inWindow).toBeLessThanOrEqual(TELEGRAM_PACING.globalBurst + TELEGRAM_PACING.globalPerSecond);
          const sameChat = sent.filter((x) => x.chat === s.chat && x.t > s.t && x.t < s.t + TELEGRAM_PACING.perChatIntervalMs);
          expect(sameChat).toEqual([]);
        }
      }),
    );
  });

  it('a 429 holds the chat back for retry_after and stops everything until the bucket refills', () => {
    const pacer = new Pacer(TELEGRAM_PACING, 0);
    pacer.take(1, 0);
    pacer.backOff(1, 3, 0);
    pacer.drain(0);
    expect(pacer.available(0)).toBe(0);
    expect(pacer.msUntilToken(0)).toBe(35);
    expect(pacer.chatReady(1, 2_999)).toBe(false);
    expect(pacer.chatReady(1, 3_000)).toBe(true);
  });
});
