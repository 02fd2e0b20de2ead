/**
 * The Telegram layer: features mounted in one stated order, the catch-all last.
 * Presentation only: features call repos / the engine facade and pure formatters.
 */
import { Bot, GrammyError, HttpError, type Context } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import type { Logger } from '../log.ts';
import type { UsersRepo } from '../db/repos/users.ts';
import { ADMIN_COMMANDS, TRADER_COMMANDS } from './commands.ts';
import { startFeature } from './features/start.ts';

export interface BotDeps {
  token: string;
  apiRoot: string;
  logger: Logger;
  users: UsersRepo;
  adminIds: readonly number[];
}

export function createBot(deps: BotDeps): Bot<Context> {
  const bot = new Bot<Context>(deps.token, { client: { apiRoot: deps.apiRoot } });
  bot.api.config.use(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 60, rethrowInternalServerErrors: false }));

  bot.use(startFeature({ users: deps.users, adminIds: deps.adminIds }));

  bot.on('message', async (ctx) => {
    await ctx.reply('I did not understand that. /help lists what I can do.');
  });

  bot.catch(async (err) => {
    const e = err.error;
    const where = { updateId: err.ctx.update.update_id, chatId: err.ctx.chat?.id };
    if (e instanceof GrammyError) deps.logger.error({ ...where, method: e.method, code: e.error_code, description: e.description }, 'telegram call failed');
    else if (e instanceof HttpError) deps.logger.error({ ...where, err: e }, 'telegram unreachable');
    else deps.logger.error({ ...where, err: e }, 'update handler failed');
    try {
      await err.ctx.reply('Something went wrong on our side; nothing was changed. Please try again in a moment.');
    } catch {
      // the chat may be unreachable; the error is logged above
    }
  });

  return bot;
}

export async function registerCommands(bot: Bot<Context>, adminIds: readonly number[]): Promise<void> {
  await bot.api.setMyCommands([...TRADER_COMMANDS]);
  for (const id of adminIds) {
    try {
      await bot.api.setMyCommands([...TRADER_COMMANDS, ...ADMIN_COMMANDS], { scope: { type: 'chat', chat_id: id } });
    } catch {
      // an admin who never opened a chat with the bot cannot get a chat-scoped menu yet
    }
  }
}
