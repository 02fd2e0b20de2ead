/**
 * Composition root: config → logger → database → exchanges → alerts → engine → bot → start;
 * shutdown in the reverse order. The only place that wires things together.
 */
import { existsSync } from 'node:fs';
import { ConfigError, createConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { DatabaseInUseError, openDatabase, type Database } from './db/client.ts';
import { createBotStore } from './db/repos/bot-state.ts';
import { createAccountsRepo } from './db/repos/accounts.ts';
import { createSecretBox } from './security/secret-box.ts';
import { resolveSecretKey } from './security/secret-key-file.ts';
import { createExchangeRuntime, type ExchangeRuntime } from './exchange/runtime.ts';
import { createDrizzlePaperStore } from './exchange/paper-store.ts';
import { createReplayFeed, loadReplaySeries } from './exchange/replay-feed.ts';
import { EXCHANGE_IDS, type ExchangeId, type MarketDataFeed } from './exchange/port.ts';
import { createAlerts } from './notify/alerts.ts';
import { createEngine } from './engine/create-engine.ts';
import { createCandleSource } from './engine/candle-source.ts';
import { createBot, registerCommands } from './bot/create-bot.ts';
import { runBot } from './bot/run-bot.ts';
import { SendBudget } from './bot/send-budget.ts';

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

async function createPriceFeed(config: Config): Promise<MarketDataFeed | undefined> {
  if (config.priceFeed.kind !== 'replay') return undefined;
  const series = await loadReplaySeries(config.priceFeed.candles);
  // REPLAY_SPEED is candles (one minute) per wall second → market ms per wall ms
  return createReplayFeed({ series, speed: (config.priceFeed.speed * 60_000) / 1000, exchange: 'replay' });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const secret = resolveSecretKey(config.secretKey, config.database.dataDir);
  const logger: Logger = createLogger({
    level: config.log.level,
    pretty: config.log.pretty,
    secrets: [config.telegram.token, secret.key, ...config.previousSecretKeys, config.supabase?.key],
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
  if (!(await database.acquireEngineLock())) {
    // a second engine would monitor the same positions and could send the same exit twice
    logger.error('another ASE Bot process is already running on this database; refusing to start a second one');
    await database.close();
    process.exit(3);
  }

  const accounts = createAccountsRepo(database.db, box);
  const priceFeed = await createPriceFeed(config);
  const exchanges: ExchangeRuntime = createExchangeRuntime({
    options: config.exchangeOptions,
    paper: { store: createDrizzlePaperStore(database.db), settings: config.paper },
    ...(priceFeed ? { priceFeed } : {}),
    feed: { onError: (error: unknown) => logger.warn({ err: error }, 'market data error; reconnecting') },
  });
  // one outgoing budget per bot token: replies and alerts count against the same Telegram limits
  const budget = new SendBudget();
  const alerts = createAlerts({ db: database.db, token: config.telegram.token, apiRoot: config.telegram.apiRoot, logger, budget });
  const engine = createEngine({
    database,
    accounts,
    notifier: alerts.notifier,
    createExchange: (account) => exchanges.create(account),
    feeds: (exchange, mode) => ((EXCHANGE_IDS as readonly string[]).includes(exchange) ? exchanges.feedFor(exchange as ExchangeId, mode) : priceFeed),
    // recent hourly candles for volatility and ATR/regime SL/TP; a replayed session has no history
    ...(priceFeed ? {} : { candles: createCandleSource({ publicPort: (exchange, mode) => exchanges.publicPort(exchange as ExchangeId, mode), logger }) }),
    config: { trustedSources: config.trustedSources, intervals: config.intervals, supabase: config.supabase, adminTelegramIds: config.telegram.adminIds },
    logger,
    outboxDepth: () => alerts.outbox.depth(),
  });

  const bot = createBot({
    token: config.telegram.token,
    apiRoot: config.telegram.apiRoot,
    logger,
    adminIds: config.telegram.adminIds,
    engine: engine.facade,
    store: createBotStore(database.db, box),
    paperStartBalance: config.paper.startBalance,
    budget,
  });
  let polling: Awaited<ReturnType<typeof runBot>> | undefined;

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
    await step('bot', () => (polling?.isRunning() ? polling.stop() : Promise.resolve()));
    await step('engine', () => engine.stop());
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
  alerts.worker.start();
  const engineStarted = engine.start().then(() => logger.info({ recovery: engine.recovery }, 'engine started'));
  engineStarted.catch(() => {}); // observed below: a failed start ends main (fatal)
  await bot.init();
  await registerCommands(bot, config.telegram.adminIds);
  if (stopping) return;
  polling = await runBot(bot);
  logger.info({ bot: bot.botInfo.username }, 'bot started (long polling, updates handled concurrently)');
  try {
    await Promise.all([polling.task(), engineStarted]);
  } catch (e) {
    // a stop requested while polling was starting ends bot.start() with an abort: not a failure
    if (!stopping) throw e;
  }
}

main().catch((e: unknown) => {
  console.error('fatal:', e instanceof Error ? e.message : e);
  process.exit(1);
});
