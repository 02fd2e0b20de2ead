/**
 * `npm run bench [-- name-filter]`: runs every bench module listed here, in order.
 * To add one: create bench/<name>.bench.ts with `export default { name, run } satisfies Bench`
 * and add its path on one line below.
 */
import type { Bench } from './lib.ts';

const MODULES = [
  './backtest.bench.ts',
  './monitor.bench.ts',
  './market-data.bench.ts',
  './alerts.bench.ts',
  './engine.bench.ts',
];

const filter = process.argv[2];
for (const path of MODULES) {
  if (filter !== undefined && !path.includes(filter)) continue;
  const bench = ((await import(path)) as { default: Bench }).default;
  console.log(`\n## ${bench.name}`);
  await bench.run();
}
