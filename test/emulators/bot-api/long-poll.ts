/**
 * getUpdates as Telegram serves it: answer at once when updates are waiting, otherwise hold the
 * request up to `timeout` seconds until one is queued. A second getUpdates while one is held
 * ends the first with 409 Conflict (two bot instances on one token).
 */
import { TG } from './api-error.ts';
import { optInt, type Params } from './params.ts';
import type { Store, Update } from './store.ts';

/** seconds; Telegram caps long polls at 50 */
const MAX_POLL_SECONDS = 50;

export class LongPoll {
  private held: { end: (error?: Error) => void } | undefined;

  constructor(private readonly store: Store) {}

  async getUpdates(p: Params, clientGone: Promise<void>): Promise<Update[]> {
    const offset = optInt(p, 'offset');
    const limit = Math.min(100, Math.max(1, optInt(p, 'limit') ?? 100));
    const timeout = Math.min(MAX_POLL_SECONDS, Math.max(0, optInt(p, 'timeout') ?? 0));
    this.held?.end(TG.conflict());
    const ready = this.store.takeUpdates(offset, limit);
    if (ready.length > 0 || timeout === 0) return ready;
    await new Promise<void>((resolve, reject) => {
      const held = {
        end: (error?: Error) => {
          clearTimeout(timer);
          stopListening();
          if (this.held === held) this.held = undefined;
          if (error) reject(error);
          else resolve();
        },
      };
      const timer = setTimeout(() => held.end(), timeout * 1000);
      const stopListening = this.store.onChange(() => {
        if (this.store.pendingUpdates() > 0) held.end();
      });
      this.held = held;
      void clientGone.then(() => held.end());
    });
    return this.store.takeUpdates(offset, limit);
  }

  /** Ends the held request: with an error (outage), or empty-handed (emulator closing). */
  release(error?: Error): void {
    this.held?.end(error);
  }
}
