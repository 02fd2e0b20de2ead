/** Small helpers shared by bench modules. Benches print figures; they assert nothing. */

export interface Bench {
  name: string;
  run(): Promise<void> | void;
}

/** Deterministic PRNG (mulberry32) so every run measures the same data. */
export { seededRandom as rng } from '../test/support/seeded-random.ts';

export function ms(from: bigint, to: bigint = process.hrtime.bigint()): number {
  return Number(to - from) / 1e6;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export const fmt = (x: number, digits = 1) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
