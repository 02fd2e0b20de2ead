/**
 * Traders spread over processes (SPEC §12): a fixed number of shards, a trader's shard fixed by
 * their id, and how many shards each live process should hold.
 */

/** shards of traders; fixed, so a trader never moves between shards */
export const SHARD_COUNT = 64;

/**
 * A trader's shard: the leading 32 bits of their id (a random UUID, so uniform) modulo the shard
 * count. The same in every process and in SQL:
 * `('x' || substr(user_id::text, 1, 8))::bit(32)::bigint % 64`.
 */
export function shardOf(userId: string, shards: number = SHARD_COUNT): number {
  const lead = parseInt(userId.replace(/-/g, '').slice(0, 8), 16);
  if (!Number.isFinite(lead)) throw new Error(`not a trader id: ${userId}`);
  return lead % shards;
}

/** Shards each of `live` processes holds at most: ceil(shards / live), all of them alone. */
export function fairShare(shards: number, live: number): number {
  return Math.ceil(shards / Math.max(1, live));
}

/**
 * What a process does at a renewal round: claim up to its share of the free or expired shards, or
 * hand back what it holds beyond the share (the highest first) so that a process that just
 * joined gets its part.
 */
export function rebalance(held: readonly number[], target: number): { claim: number; release: number[] } {
  if (held.length > target) return { claim: 0, release: [...held].sort((a, b) => b - a).slice(0, held.length - target) };
  return { claim: target - held.length, release: [] };
}

/**
 * Jobs that run once per bot (SPEC §12), each in the process that holds its shard's lease: they
 * move with that lease, fenced and taken over like the traders of the shard. The Telegram updates
 * (poller, or the webhook's registration) and the alert sender are one job, because the replies
 * and the alerts share the token's one send budget.
 */
export const JOB_SHARDS = { telegram: 0, sweep: 1, council: 2 } as const;
export type Job = keyof typeof JOB_SHARDS;

/** the jobs whose shards are among `shards` */
export function jobsIn(shards: readonly number[]): Job[] {
  return (Object.keys(JOB_SHARDS) as Job[]).filter((job) => shards.includes(JOB_SHARDS[job]));
}
