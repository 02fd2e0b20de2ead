/**
 * Exits before reports (issue 13, item 2). ccxt's throttler serves one account's calls first in,
 * first out, so an exit sent behind a dozen balance refreshes waits for all of them. The gate sits
 * in front of it: routine calls (balance refreshes, trade history, candles, the margin level) go
 * one at a time and only while no urgent call (a close and what it needs) is waiting or running;
 * urgent calls never wait at the gate. At most one routine call is ever ahead of an exit. A call
 * made inside an urgent one (a close reading the margin balance) is part of it and never waits.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const insideUrgent = new AsyncLocalStorage<true>();

export class PriorityGate {
  private urgentCalls = 0;
  private routineRunning = false;
  private readonly waiting: Array<() => void> = [];

  /** runs `fn` at once, holding routine calls back until it is done */
  async urgent<T>(fn: () => Promise<T>): Promise<T> {
    this.urgentCalls++;
    try {
      return await insideUrgent.run(true, fn);
    } finally {
      this.urgentCalls--;
      this.wake();
    }
  }

  /** runs `fn` when no urgent call is waiting or running and no other routine call runs */
  async routine<T>(fn: () => Promise<T>): Promise<T> {
    if (insideUrgent.getStore() === true) return fn();
    while (this.urgentCalls > 0 || this.routineRunning) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.routineRunning = true;
    try {
      return await fn();
    } finally {
      this.routineRunning = false;
      this.wake();
    }
  }

  private wake(): void {
    if (this.urgentCalls > 0 || this.routineRunning) return;
    // every waiter re-checks; the first to run takes the slot, the rest wait again
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
