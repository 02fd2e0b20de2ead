/**
 * Issue 17 item 7 (SPEC §12): three processes of the real app on the PostgreSQL server, 300
 * traders, 900 positions (three spot symbols per trader: spot, because each position's backstop is
 * a stop-limit that locks its coins, so every exit also cancels on the exchange, one more request
 * that must come from the owner alone), a seeded price walk through the stops, one process killed
 * with SIGKILL and another frozen with SIGSTOP for 20 s (app-cluster.ts). CLUSTER_RUNS runs
 * (default 1) from CLUSTER_SEED (default 1701); `npm run cluster -- --runs 20` runs the same
 * scenario and prints each run's figures.
 */
import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/databases.ts';
import { runAppCluster, summarise } from './app-cluster.ts';

const RUNS = Number(process.env['CLUSTER_RUNS'] ?? '1');
const SEED = Number(process.env['CLUSTER_SEED'] ?? '1701');

describe.each(databaseKinds().filter((k) => k === 'postgres'))('three app processes on %s', () => {
  it.each(Array.from({ length: RUNS }, (_, i) => SEED + i))(
    'seed %i: 300 traders, 900 positions; kill -9 → adopted within 15 s; SIGSTOP 20 s → nothing sent or written after its lease; no duplicate, nothing lost, ≤ 30 alerts/s, one poller',
    { timeout: 1_500_000 },
    async (seed) => {
      const report = await runAppCluster({ seed, log: (line) => console.error(`cluster seed ${seed}: ${line}`) });
      console.error(`cluster: ${summarise(report)}`);
      expect(report.positions).toBe(900);
      expect(report.entries).toBe(900);
      expect(report.killed.positions).toBeGreaterThan(0);
      expect(report.frozen.positions).toBeGreaterThan(0);
      expect(report.violations).toEqual([]);
    },
  );
});
