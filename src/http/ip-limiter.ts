/**
 * Per-IP limit on requests for unknown hook ids (SPEC §9): after `maxFailures` misses within
 * `windowMs` an address is refused until its window ends. Only misses count: TradingView sends
 * every trader's alerts from the same few addresses, so a good alert must never use up the budget
 * of another trader's stale one. Memory stays bounded (the oldest addresses are forgotten first).
 */
export interface IpLimiterOptions {
  /** misses allowed per window */
  maxFailures: number;
  /** ms */
  windowMs: number;
  /** addresses remembered at most */
  maxAddresses?: number;
  now?: () => number;
}

export interface IpLimiter {
  /** ms until the address may try again; 0 when it is not limited */
  retryAfterMs(ip: string): number;
  /** one miss (an unknown hook id) from the address */
  fail(ip: string): void;
}

export function createIpLimiter(options: IpLimiterOptions): IpLimiter {
  const now = options.now ?? Date.now;
  const maxAddresses = options.maxAddresses ?? 10_000;
  /** ip → { window start, misses in it }; Map order = least recently missed first */
  const misses = new Map<string, { since: number; count: number }>();

  const current = (ip: string) => {
    const entry = misses.get(ip);
    if (entry && now() - entry.since >= options.windowMs) {
      misses.delete(ip);
      return undefined;
    }
    return entry;
  };

  return {
    retryAfterMs(ip) {
      const entry = current(ip);
      if (!entry || entry.count < options.maxFailures) return 0;
      return Math.max(1, entry.since + options.windowMs - now());
    },
    fail(ip) {
      const entry = current(ip) ?? { since: now(), count: 0 };
      entry.count++;
      misses.delete(ip);
      misses.set(ip, entry);
      while (misses.size > maxAddresses) misses.delete(misses.keys().next().value as string);
    },
  };
}
