/**
 * `npm run bench [-- name-filter]`: runs every bench module listed here, in order, each in a
 * process of its own, so one module's heap (the backtest's million candles, the engine's ten
 * thousand positions) never lands its garbage collection in another module's timings.
 * To add one: create bench/<name>.bench.ts with `export default { name, run } satisfies Bench`
 * and add its path on one line below.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Bench } from './lib.ts';

const MODULES = [
  './backtest.bench.ts',
  './monitor.bench.ts',
  './market-data.bench.ts',
  './market-stream.bench.ts',
  './alerts.bench.ts',
  './telegram.bench.ts',
  './engine.bench.ts',
  './rate-limits.bench.ts',
  './backstop.bench.ts',
  './signal-latency.bench.ts',
  './webhook.bench.ts',
  './cluster.bench.ts',
];

const [mode, arg] = process.argv.slice(2);
if (mode === '--module' && arg !== undefined) {
  const bench = ((await import(arg)) as { default: Bench }).default;
  console.log(`\n## ${bench.name}`);
  await bench.run();
} else {
  let failed = 0;
  for (const path of MODULES) {
    if (mode !== undefined && !path.includes(mode)) continue;
    // the same node and loader flags (tsx) as this process
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--module', path], { stdio: 'inherit' });
    if (child.status !== 0) {
      failed++;
      console.error(`${path} failed (exit ${child.status ?? child.signal})`);
    }
  }
  if (failed > 0) process.exitCode = 1;
}
