/**
 * The cluster test's market: a seeded random walk of three symbols around their entry prices,
 * through the partial take-profit levels and the trailing stops, then, when told, a descent in
 * small steps to below every stop the bot sets (2 % under the entry) but above the backstops on the
 * exchange (0.5 % further), so the bot's own monitor closes what is left.
 */

export { seededRandom } from '../support/seeded-random.ts';

export const CLUSTER_MARKETS = [
  { id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', start: 60_000, tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001' },
  { id: 'ETHUSDT', symbol: 'ETH/USDT', base: 'ETH', start: 3_000, tickSize: '0.01', stepSize: '0.0001', minQty: '0.0001' },
  { id: 'SOLUSDT', symbol: 'SOL/USDT', base: 'SOL', start: 150, tickSize: '0.01', stepSize: '0.001', minQty: '0.001' },
] as const;

/** fractions of the entry price: the wander's bounds, and where the descent ends */
const WANDER_LOW = -0.014;
const WANDER_HIGH = 0.028;
/** under the bot's 2 % stop, over the backstop (0.5 % under that stop: 0.9751) */
export const FINAL_OFFSET = -0.023;
const DESCENT_STEP = 0.002;
/** a wander step: -0.2 % … +0.3 %, a slight upward drift so that the levels and the trailing stops come into play */
const WANDER_STEPS = [-0.002, -0.001, 0, 0.001, 0.002, 0.003];

export interface PriceWalk {
  /** the next price of every market, by emulator symbol id */
  step(): Map<string, number>;
  /** from now on, each step goes down towards the final price */
  descend(): void;
  /** every market is at its final price */
  settled(): boolean;
  steps(): number;
}

export function createPriceWalk(random: () => number): PriceWalk {
  const offsets = new Map<string, number>(CLUSTER_MARKETS.map((m) => [m.id, 0]));
  let descending = false;
  let count = 0;
  const price = (id: string, offset: number) => {
    const market = CLUSTER_MARKETS.find((m) => m.id === id)!;
    return Math.round(market.start * (1 + offset) * 100) / 100;
  };
  return {
    step() {
      count++;
      const next = new Map<string, number>();
      for (const [id, offset] of offsets) {
        const moved = descending
          ? Math.max(FINAL_OFFSET, Math.min(offset, WANDER_HIGH) - DESCENT_STEP)
          : Math.min(WANDER_HIGH, Math.max(WANDER_LOW, offset + WANDER_STEPS[Math.floor(random() * WANDER_STEPS.length)]!));
        offsets.set(id, moved);
        next.set(id, price(id, moved));
      }
      return next;
    },
    descend() {
      descending = true;
    },
    settled: () => descending && [...offsets.values()].every((o) => o === FINAL_OFFSET),
    steps: () => count,
  };
}
