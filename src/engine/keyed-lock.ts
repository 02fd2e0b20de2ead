/**
 * One lock per key (a position id). The monitor takes it with tryAcquire (synchronous: a tick
 * never waits behind an order in flight, the next tick re-evaluates); manual actions and
 * recovery wait for it with acquire. Holders run one at a time per key, FIFO for waiters.
 */
export type Release = () => void;

/** the prefix of a trader's lock (entries and account changes of one trader run one at a time) */
export const USER_LOCK = 'user:';
export const userLockKey = (userId: string): string => `${USER_LOCK}${userId}`;

export class KeyedLock {
  private readonly held = new Set<string>();
  private readonly waiters = new Map<string, Array<() => void>>();

  isHeld(key: string): boolean {
    return this.held.has(key);
  }

  /** The lock now, or undefined when someone holds it. */
  tryAcquire(key: string): Release | undefined {
    if (this.held.has(key)) return undefined;
    this.held.add(key);
    return this.releaser(key);
  }

  acquire(key: string): Promise<Release> {
    const now = this.tryAcquire(key);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const queue = this.waiters.get(key) ?? [];
      queue.push(() => resolve(this.releaser(key)));
      this.waiters.set(key, queue);
    });
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Resolves once nobody holds any lock (used by stop()). */
  async idle(pollMs = 5, timeoutMs = 5_000): Promise<void> {
    await this.idleWhere(() => true, pollMs, timeoutMs);
  }

  /** Resolves once nobody holds a lock whose key matches (or after timeoutMs). */
  async idleWhere(matches: (key: string) => boolean, pollMs = 5, timeoutMs = 5_000): Promise<void> {
    const busy = () => [...this.held].some(matches);
    for (let waited = 0; busy() && waited < timeoutMs; waited += pollMs) await new Promise((r) => setTimeout(r, pollMs));
  }

  private releaser(key: string): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const queue = this.waiters.get(key);
      const next = queue?.shift();
      if (queue && queue.length === 0) this.waiters.delete(key);
      if (next) next();
      else this.held.delete(key);
    };
  }
}
