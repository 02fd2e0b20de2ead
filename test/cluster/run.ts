/**
 * `npm run cluster -- --runs 20 [--seed 1701] [--traders 300] [--verbose] [--keep <dir>]`: the cluster test's scenario
 * (app-cluster.ts) run after run against TEST_DATABASE_URL, each run's figures and violations
 * printed, then the totals. --keep writes each app process's output to <dir> and keeps the
 * database of a run with violations. Exit code 1 when any run found a violation.
 */
import { parseArgs } from 'node:util';
import { runAppCluster, summarise, type ClusterRunReport } from './app-cluster.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' }, seed: { type: 'string', default: '1701' }, traders: { type: 'string', default: '300' }, verbose: { type: 'boolean', default: false }, keep: { type: 'string' } } });
const runs = Number(values.runs);
const seed = Number(values.seed);
const traders = Number(values.traders);
for (const [name, n] of [['--runs', runs], ['--seed', seed], ['--traders', traders]] as const) {
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name} must be a whole number from 1, got ${JSON.stringify(name === '--runs' ? values.runs : name === '--seed' ? values.seed : values.traders)}`);
    process.exit(2);
  }
}
if (!process.env['TEST_DATABASE_URL']) {
  console.error('TEST_DATABASE_URL is not set: the cluster runs on a PostgreSQL server (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)');
  process.exit(2);
}

// interrupted: the exit hook of test/support/bot-process.ts kills the app processes
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const reports: ClusterRunReport[] = [];
for (let i = 0; i < runs; i++) {
  const s = seed + i;
  try {
    const r = await runAppCluster({ seed: s, traders, log: values.verbose ? (line) => console.log(`  ${line}`) : undefined, ...(values.keep ? { keepDir: values.keep } : {}) });
    reports.push(r);
    console.log(`run ${i + 1}/${runs}: ${summarise(r)}`);
    for (const v of r.violations.slice(0, 30)) console.log(`  violation: ${v}`);
    if (r.violations.length > 30) console.log(`  … ${r.violations.length} violations in all`);
  } catch (e) {
    console.log(`run ${i + 1}/${runs}: seed ${s} did not finish: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const takeovers = reports.map((r) => r.killed.takeoverMaxS).filter((t): t is number => t !== null);
const sum = (f: (r: ClusterRunReport) => number) => reports.reduce((s, r) => s + f(r), 0);
console.log(
  [
    `totals: ${reports.length}/${runs} runs finished, ${reports.filter((r) => r.violations.length === 0).length} without a violation`,
    `positions ${sum((r) => r.positions)}, entries ${sum((r) => r.entries)}, exits ${sum((r) => r.exits)}`,
    `duplicate orders ${sum((r) => r.duplicates.length)}, lost positions ${sum((r) => r.lost.length)}`,
    `takeover after kill -9: max ${takeovers.length ? Math.max(...takeovers) : '-'} s, mean ${takeovers.length ? (takeovers.reduce((a, b) => a + b, 0) / takeovers.length).toFixed(1) : '-'} s`,
    `frozen process after its lease: ${sum((r) => r.frozen.ordersAfterLease)} orders, ${sum((r) => r.frozen.writesAfterLease)} rows, ${sum((r) => r.frozen.actsOwned)} acts for shards it held again`,
    `alerts ${sum((r) => r.alerts)}, max ${reports.length ? Math.max(...reports.map((r) => r.maxAlertsPerSecond)) : '-'} per second`,
    `poller overlaps ${sum((r) => r.pollerOverlaps.length)}, 409s ${sum((r) => r.conflicts409.length)} (+${sum((r) => r.conflictsOfFrozenPolls)} to a frozen poll)`,
  ].join('\n'),
);
process.exit(reports.length === runs && reports.every((r) => r.violations.length === 0) ? 0 : 1);
