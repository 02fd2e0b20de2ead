/**
 * One engine process of the cluster bench (bench/cluster.bench.ts), wired as main.ts wires it on
 * PostgreSQL: its own lease manager (production timings), the real engine with the outbox notifier,
 * real ccxt against the parent's Binance emulator. Prices come from the parent on stdin, one JSON
 * line per tick: `{"s":"S0/USDT","p":89.99}`.
 * Prints JSON lines: `boot` (RSS with the code loaded, before any lease), `started`, then `status` every 250 ms (shards held, positions in memory, RSS
 * and heap in bytes, the longest event-loop stall since the last line in ms), `stopped` after SIGTERM.
 *
 * env: DATABASE_URL, EMULATOR_URLS (ccxt urls.api as JSON), PROCESS_NAME, PRICES (JSON symbol →
 * first price), RATE_LIMIT ('off' turns ccxt's request throttle off).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { openDatabase } from '../src/db/client.ts';
import { createRepos } from '../src/db/repos/index.ts';
import { createShardLeasesRepo } from '../src/db/repos/shard-leases.ts';
import { createEngine } from '../src/engine/create-engine.ts';
import { systemClock } from '../src/engine/clock.ts';
import { createLeaseManager } from '../src/engine/shard-leases.ts';
import { createExchangeFactory } from '../src/exchange/factory.ts';
import { createLogger } from '../src/log.ts';
import { createOutboxNotifier } from '../src/notify/notifier.ts';
import { ManualFeed } from '../test/fakes/manual-feed.ts';
import { secretBox } from '../test/engine/harness.ts';

const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`cluster-child: ${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const name = env('PROCESS_NAME');
  const database = await openDatabase({ url: env('DATABASE_URL') });
  // errors always (the parent counts lost leases); warnings with CLUSTER_LOG=1
  const logger = createLogger({ level: process.env['CLUSTER_LOG'] ? 'warn' : 'error', pretty: false, secrets: [] });
  const feed = new ManualFeed('binance', systemClock);
  const throttle = process.env['RATE_LIMIT'] === 'off' ? { enableRateLimit: false } : {};
  const factory = createExchangeFactory({
    options: { binance: { ...throttle, urls: { api: JSON.parse(env('EMULATOR_URLS')) as Record<string, string> } } },
    priceHint: (_exchange, symbol) => feed.lastTick(symbol)?.price,
  });
  const repos = createRepos(database.db, secretBox());
  const leases = createLeaseManager({
    repo: createShardLeasesRepo(database.db),
    id: name,
    host: 'cluster-bench',
    pid: process.pid,
    liveness: database.livenessLock(name),
    logger,
    listen: (channel, fn) => database.listen(channel, fn),
  });
  const engine = createEngine({
    database,
    repos,
    notifier: createOutboxNotifier({ outbox: repos.outbox, recipients: repos.recipients }),
    logger,
    leases,
    createExchange: (account) => factory.create(account),
    feeds: (exchange) => (exchange === 'binance' ? feed : undefined),
    config: { trustedSources: ['titan_v3'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 } },
  });
  for (const [symbol, price] of Object.entries(JSON.parse(env('PRICES')) as Record<string, number>)) feed.setPrice(symbol, price);
  createInterface({ input: process.stdin }).on('line', (line) => {
    const { s, p } = JSON.parse(line) as { s: string; p: number };
    feed.push(s, p);
  });
  say({ event: 'boot', rss: process.memoryUsage().rss }); // code loaded, nothing held yet
  await leases.start();
  await engine.start();
  say({ event: 'started' });
  // the longest the event loop stalled since the last status line (a lease renewal waits that long too)
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const status = () => {
    const m = process.memoryUsage();
    say({ event: 'status', shards: leases.held().length, open: engine.openPositionCount(), rss: m.rss, heap: m.heapUsed, stallMs: loop.max / 1e6 });
    loop.reset();
  };
  status();
  setInterval(status, 250).unref();
  process.once('SIGTERM', () => {
    void (async () => {
      await engine.stop();
      await leases.stop();
      await database.close();
      say({ event: 'stopped' });
      process.exit(0);
    })();
  });
  setInterval(() => {}, 1 << 30); // stays up until SIGTERM
}

main().catch((e: unknown) => {
  say({ event: 'error', message: e instanceof Error ? e.stack : String(e) });
  process.exit(1);
});
