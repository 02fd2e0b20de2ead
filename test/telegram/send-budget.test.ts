import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { SendBudget, TELEGRAM_SEND_LIMITS } from '../../src/telegram/send-budget.ts';

/** a hand-driven clock: the budget's timers are not used when nothing waits */
function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("the token's one outgoing budget", () => {
  it('never lets more than Telegram allows leave: ≤ 29 in any second overall (one short of 30, for arrival jitter), ≤ burst + 1/s to a chat', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 6 })), { minLength: 1, maxLength: 500 }), (steps) => {
        const c = clock();
        const budget = new SendBudget({}, c.now);
        const sent: Array<{ t: number; chat: number }> = [];
        for (const [dt, chat] of steps) {
          c.advance(dt);
          if (budget.takeForAlert(chat)) {
            budget.alertLeaves(chat);
            sent.push({ t: c.now(), chat });
          }
        }
        for (const s of sent) {
          expect(sent.filter((x) => x.t >= s.t && x.t < s.t + 1000).length).toBeLessThanOrEqual(29);
          const sameChat = sent.filter((x) => x.chat === s.chat && x.t >= s.t && x.t < s.t + 1000).length;
          expect(sameChat).toBeLessThanOrEqual(TELEGRAM_SEND_LIMITS.perChatBurst);
        }
      }),
    );
  });

  it('gives a waiting reply the next slot before any alert', async () => {
    const budget = new SendBudget({ globalPerSecond: 20, globalBurst: 1 });
    expect(budget.takeForAlert(1)).toBe(true); // the only slot
    let replied = false;
    const reply = budget.acquire(2).then(() => (replied = true));
    expect(budget.available()).toBe(0);
    // the alert worker keeps asking; the reply still gets the slot that comes free
    const started = Date.now();
    while (!replied && Date.now() - started < 2000) {
      expect(budget.takeForAlert(3)).toBe(false);
      await new Promise((r) => setTimeout(r, 5));
    }
    await reply;
    expect(replied).toBe(true);
  });

  it('a 429 holds the chat back for retry_after and empties the global bucket', () => {
    const c = clock();
    const budget = new SendBudget({}, c.now);
    expect(budget.takeForAlert(1)).toBe(true);
    budget.backOff(1, 3);
    expect(budget.available()).toBe(0);
    c.advance(1_100);
    expect(budget.available()).toBeGreaterThanOrEqual(1);
    expect(budget.chatReady(1)).toBe(false);
    c.advance(2_000);
    expect(budget.chatReady(1)).toBe(true);
  });

  it('replies may burst to one chat as Telegram allows, then wait for the sustained pace', async () => {
    // on a fake clock: what is measured is the budget's schedule, not the machine's load
    vi.useFakeTimers({ now: 0 });
    try {
      const budget = new SendBudget({ perChatBurst: 3, perChatPerSecond: 10 });
      const at: number[] = [];
      const all = Promise.all(Array.from({ length: 5 }, () => budget.acquire(7).then(() => at.push(Date.now()))));
      await vi.advanceTimersByTimeAsync(1_000);
      await all;
      // the chat's three go at the global pace (1.5 slots at first, then one every 1/28 s: 0, 18, 54 ms)
      expect(at.slice(0, 3).every((t) => t < 80)).toBe(true);
      // the 4th and 5th wait for the chat's refill (100 ms each at 10/s)
      expect(at[3]!).toBeGreaterThanOrEqual(100);
      expect(at[4]!).toBeGreaterThanOrEqual(200);
    } finally {
      vi.useRealTimers();
    }
  });
});
