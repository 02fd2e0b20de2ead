/**
 * Composition root: config → logger → database → exchanges → engine → bot → start; shutdown.
 * The only place that wires things together.
 */
import { existsSync } from 'node:fs';
import { ConfigError, createConfig } from './config.ts';
import { createLogger } from './log.ts';
import { openDatabase } from './db/client.ts';
import { createUsersRepo } from './db/repos/users.ts';
import { createSecretBox } from './security/secret-box.ts';
import { resolveSecretKey } from './security/secret-key-file.ts';
import { createBot, registerCommands } from './bot/create-bot.ts';

const SHUTDOWN_GRACE_MS = 8_000;

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');

  let config;
  try {
    config = createConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${e.message}\nSee .env.example and the configuration table in README.md.`);
      process.exit(2);
    }
    throw e;
  }

  const secret = resolveSecretKey(config.secretKey, config.database.dataDir);
  const logger = createLogger({
    level: config.log.level,
    pretty: config.log.pretty,
    secrets: [config.telegram.token, secret.key, ...config.previousSecretKeys, config.supabase?.key],
  });
  if (secret.generated) logger.warn({ dataDir: config.database.dataDir }, 'no SECRET_KEY set: generated one in DATA_DIR/secret.key (back it up with the data)');

  const box = createSecretBox(secret.key, config.previousSecretKeys);
  const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
  logger.info({ database: database.kind }, 'database ready, migrations applied');

  const users = createUsersRepo(database.db);
  void box;

  const bot = createBot({
    token: config.telegram.token,
    apiRoot: config.telegram.apiRoot,
    logger,
    users,
    adminIds: config.telegram.adminIds,
  });

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
    try {
      await bot.stop();
      await database.close();
      logger.info('stopped cleanly');
      clearTimeout(force);
      process.exit(0);
    } catch (e) {
      logger.error({ err: e }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await bot.init();
  await registerCommands(bot, config.telegram.adminIds);
  logger.info({ bot: bot.botInfo.username }, 'bot started (long polling)');
  await bot.start({ drop_pending_updates: false });
}

main().catch((e: unknown) => {
  console.error('fatal:', e instanceof Error ? e.message : e);
  process.exit(1);
});
