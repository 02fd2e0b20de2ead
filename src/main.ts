/**
 * Composition root: config → logger → database → exchanges → alerts → engine → bot → start;
 * shutdown in the reverse order. The only place that wires things together.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { DatabaseInUseError, openDatabase, type Database } from './db/client.ts';
import { createRepos } from './db/repos/index.ts';
import { createSecretBox } from './security/secret-box.ts';
import { resolveSecretKey } from './security/secret-key-file.ts';
import { createExchangeRuntime, type ExchangeRuntime } from './exchange/runtime.ts';
import { createReplayCandleSource, createReplayFeed, loadReplaySeries, replayCouncilSchedule, replayStart } from './exchange/replay-feed.ts';
import type { CandleSource } from './engine/decide-entry.ts';
import { EXCHANGE_IDS, type ExchangeId, type MarketDataFeed } from './exchange/port.ts';
import { createAlerts } from './notify/alerts.ts';
import { createEngine } from './engine/create-engine.ts';
import { createCandleSource } from './engine/candle-source.ts';
import { createBot, registerCommands } from './bot/create-bot.ts';
import { createWebhooks } from './engine/webhooks.ts';
import { systemClock } from './engine/clock.ts';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { createShardLeasesRepo } from './db/repos/shard-leases.ts';
import { createLeaseManager, runsJob } from './engine/shard-leases.ts';
import { jobsIn } from './domain/shards.ts';
import type { EngineStatus } from './engine/facade.ts';
import { createMetrics } from './http/metrics.ts';
import { createHttpServer } from './http/server.ts';
import type { EnginePhase } from './http/health.ts';
import { createUpdates } from './bot/updates.ts';
import { registerTelegramRoute } from './http/telegram-route.ts';
import { SendBudget } from './telegram/send-budget.ts';

const SHUTDOWN_GRACE_MS = 8_000;

function loadConfig(): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return createConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${e.message}\nSee .env.example and the configuration table in README.md.`);
      process.exit(2);
    }
    throw e;
  }
}

async function createPriceFeed(config: Config): Promise<{ feed: MarketDataFeed; candles: CandleSource } | undefined> {
  if (config.priceFeed.kind !== 'replay') return undefined;
  const series = await loadReplaySeries(config.priceFeed.candles);
  // the first REPLAY_WARMUP_HOURS are history the council and SL/TP read, then the rest plays
  const startAt = replayStart(series, config.priceFeed.warmupHours);
  // REPLAY_SPEED is candles (one minute) per wall second → market ms per wall ms
  const feed = createReplayFeed({ series, speed: (config.priceFeed.speed * 60_000) / 1000, exchange: 'replay', ...(startAt === undefined ? {} : { startAt }) });
  return { feed, candles: createReplayCandleSource(series, feed, startAt) };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const secret = resolveSecretKey(config.secretKey, config.database.dataDir);
  const logger: Logger = createLogger({
    level: config.log.level,
    pretty: config.log.pretty,
    secrets: [config.telegram.token, config.telegram.webhook?.secretToken, secret.key, ...config.previousSecretKeys, config.supabase?.key],
  });
  if (secret.generated) logger.warn({ dataDir: config.database.dataDir }, 'no SECRET_KEY set: generated one in DATA_DIR/secret.key (back it up with the data)');

  const box = createSecretBox(secret.key, config.previousSecretKeys);
  let database: Database;
  try {
    database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  } catch (e) {
    if (!(e instanceof DatabaseInUseError)) throw e;
    logger.error(`refusing to start: ${e.message}`);
    process.exit(3);
  }
  logger.info({ database: database.kind }, 'database ready, migrations applied');
  // SPEC §12: on PostgreSQL any number of processes share the traders through shard leases (each
  // acts only for the shards it holds, fenced by their epochs; the once-per-bot jobs ride on fixed
  // shards); the embedded database is this process's alone (its directory lock, taken at open) and
  // it acts for every trader and runs every job
  const leases =
    database.kind === 'postgres'
      ? (() => {
          const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
          return createLeaseManager({
            repo: createShardLeasesRepo(database.db),
            id,
            host: hostname(),
            pid: process.pid,
            liveness: database.livenessLock(id),
            logger,
            listen: (channel, fn) => database.listen(channel, fn),
          });
        })()
      : undefined;

  // every repository, built once and passed down
  const repos = createRepos(database.db, box);
  const replay = await createPriceFeed(config);
  const priceFeed = replay?.feed;
  // recent hourly candles for volatility, ATR/regime SL/TP and the council: the exchange's, or the replay's history
  const candles: CandleSource = replay?.candles ?? createCandleSource({ publicPort: (exchange, mode) => exchanges.publicPort(exchange as ExchangeId, mode), logger });
  const exchanges: ExchangeRuntime = createExchangeRuntime({
    options: config.exchangeOptions,
    paper: { store: repos.paperStore, settings: config.paper },
    ...(priceFeed ? { priceFeed } : {}),
    feed: { onError: (error: unknown) => logger.warn({ err: error }, 'market data error; reconnecting') },
  });
  // one outgoing budget per bot token: replies and alerts count against the same Telegram limits
  const budget = new SendBudget();
  const alerts = createAlerts({
    repos,
    token: config.telegram.token,
    apiRoot: config.telegram.apiRoot,
    logger,
    budget,
    // one sender per bot (SPEC §12): only while this process holds the Telegram job's lease
    ...(leases ? { mayRun: () => runsJob(leases, 'telegram') } : {}),
  });
  // /metrics counts at the edges: every account's exchange port and the notifier
  let engineStatus: () => Promise<EngineStatus> = () => Promise.reject(new Error('engine not built yet'));
  const metrics = createMetrics({
    status: () => engineStatus(),
    signalCreatedAt: async (id) => (await repos.signals.get(id))?.createdAt,
    ...(leases ? { leases: () => ({ process: leases.id, shards: leases.held().length, alone: leases.alone(), jobs: jobsIn(leases.held()) }) } : {}),
  });
  const engine = createEngine({
    database,
    repos,
    notifier: metrics.instrumentNotifier(alerts.notifier),
    createExchange: async (account) => metrics.instrumentPort(await exchanges.create(account)),
    feeds: (exchange, mode) => ((EXCHANGE_IDS as readonly string[]).includes(exchange) ? exchanges.feedFor(exchange as ExchangeId, mode) : priceFeed),
    candles,
    ...(config.council
      ? { council: { ...config.council, candles, ...(priceFeed ? { schedule: replayCouncilSchedule(priceFeed, config.council.symbols, config.council.minutes) } : {}) } }
      : {}),
    config: { trustedSources: config.trustedSources, intervals: config.intervals, supabase: config.supabase, adminTelegramIds: config.telegram.adminIds },
    logger,
    ...(leases ? { leases } : {}),
    outboxDepth: () => alerts.outbox.depth(),
    // exits sent while the database is down are journaled here (append + fsync) until it records them
    journalPath: join(config.database.dataDir, 'exit-journal.ndjson'),
  });

  engineStatus = () => engine.facade.status();
  const webhooks = createWebhooks({
    repo: repos.webhooks,
    inputs: repos.signalInputs,
    audit: repos.audit,
    engine: engine.facade,
    clock: systemClock,
    logger,
  });
  let phase: EnginePhase = 'starting';
  const http = createHttpServer({
    host: config.http.host,
    port: config.http.port,
    trustProxy: config.http.trustProxy,
    logger,
    engine: { phase: () => phase, status: () => engine.facade.status(), signalSweepSeconds: config.intervals.signalSweepSeconds },
    metrics,
    webhooks,
  });

  const bot = createBot({
    token: config.telegram.token,
    apiRoot: config.telegram.apiRoot,
    logger,
    adminIds: config.telegram.adminIds,
    engine: engine.facade,
    store: repos.botStore,
    paperStartBalance: config.paper.startBalance,
    webhook: { webhooks, publicUrl: config.http.publicUrl, port: config.http.port },
    posts: engine.posts,
    budget,
  });
  // long polling, or webhook mode: then every process serves the webhook's path, whoever set it
  const updates = createUpdates(bot, config, logger);
  if (updates.receiver) registerTelegramRoute(http.app, { receiver: updates.receiver, logger });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // each step runs even if an earlier one failed (e.g. Telegram unreachable during bot.stop)
    const step = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        logger.warn({ err: e, step: name }, 'shutdown step failed; continuing');
      }
    };
    phase = 'stopping';
    await step('http', () => http.close());
    await step('bot', async () => {
      await updates.stop();
      // webhook mode: updates already answered 200 finish before the engine stops
      await updates.receiver?.idle();
    });
    await step('engine', () => engine.stop());
    // after the engine stopped acting: the shards and jobs go to the other processes at once (no
    // waiting for an expiry; the alert sender stops before its shard is handed back)
    if (leases) await step('shard leases', () => leases.stop());
    await step('alerts', () => alerts.worker.stop());
    await step('exchanges', () => exchanges.close());
    await step('database', () => database.close());
    logger.info('stopped cleanly');
    clearTimeout(force);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  // traders are served at once: the outbox and polling start together with the engine's recovery
  // and catch-up sweep (positions appear in the chat as recovery restores them)
  try {
    const port = await http.start();
    logger.info({ host: config.http.host, port }, `HTTP server listening on port ${port} (/healthz, /metrics, /hook/<id>)`);
  } catch (e) {
    logger.error({ err: e }, `cannot listen on ${config.http.host}:${config.http.port}: set HTTP_PORT to a free port (0: any free port)`);
    await database.close().catch(() => {});
    process.exit(1);
  }
  // the first round takes this process's share of the shards before the engine restores their traders
  if (leases) {
    await leases.start();
    logger.info({ process: leases.id, shards: leases.held().length, alone: leases.alone() }, 'shard leases taken');
  }
  const engineStarted = engine.start().then(() => {
    if (phase === 'starting') phase = 'running';
    logger.info({ recovery: engine.recovery }, 'engine started');
  });
  engineStarted.catch(() => {}); // observed below: a failed start ends main (fatal)
  await bot.init();
  if (stopping) return;
  // Telegram's updates (the poller, or the webhook's registration) and the alert sender: once per
  // bot (SPEC §12), in the process that holds the job's lease (with one process: this one, always);
  // polling that gives up for good ends the process
  let failed: (e: unknown) => void = () => {};
  const updatesFailed = new Promise<never>((_, reject) => (failed = reject));
  let runningUpdates = false;
  const telegramJob = {
    async start() {
      alerts.worker.start();
      await registerCommands(bot, config.telegram.adminIds);
      if (stopping) return;
      await updates.start();
      runningUpdates = true;
      logger.info(
        { bot: bot.botInfo.username },
        updates.mode === 'polling' ? 'bot started (long polling, updates handled concurrently)' : `bot started (webhook on ${updates.receiver?.path}, updates handled concurrently)`,
      );
      updates.task().catch((e: unknown) => {
        // a stop requested while polling was starting ends it with an abort: not a failure
        if (!stopping && runningUpdates) failed(e);
      });
    },
    async stop() {
      runningUpdates = false;
      await updates.stop();
      await alerts.worker.stop();
      logger.info('Telegram updates and alerts handed to the process that holds their lease');
    },
  };
  if (leases) leases.runJob('telegram', telegramJob);
  else await telegramJob.start();
  await Promise.race([engineStarted.then(() => new Promise<never>(() => {})), updatesFailed]);
}

main().catch((e: unknown) => {
  console.error('fatal:', e instanceof Error ? e.message : e);
  process.exit(1);
});
