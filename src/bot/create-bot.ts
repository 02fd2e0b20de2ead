/**
 * The Telegram layer: features mounted in one stated order, the catch-all last.
 * Presentation only: features call the engine facade and pure formatters; the bot's own state
 * (dialogs, button claims) comes in as `store`. Order: per-chat sequence → trader lookup → conversations (stored in bot_storage) → /cancel → dialogs →
 * start/help → accounts → settings → positions → reports → pause/resume → admin → fallback.
 */
import { Bot, GrammyError, HttpError, type BotError, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { conversations, createConversation, type ConversationData, type VersionedState } from '@grammyjs/conversations';
import type { Logger } from '../log.ts';
import type { EngineFacade } from '../engine/facade.ts';
import { ADMIN_COMMANDS, TRADER_COMMANDS } from './commands.ts';
import type { BotContext, DialogContext, FeatureDeps } from './context.ts';
import type { BotStore } from '../domain/bot-storage.ts';
import { budgetedFetch, SendBudget } from '../telegram/send-budget.ts';
import { outgoingGate, type Repaired } from '../telegram/outgoing.ts';
import { cancelFeature } from './features/cancel.ts';
import { startFeature } from './features/start.ts';
import { accountsFeature } from './features/accounts.ts';
import { settingsFeature } from './features/settings.ts';
import { positionsFeature } from './features/positions.ts';
import { reportsFeature } from './features/reports.ts';
import { controlFeature } from './features/control.ts';
import { adminFeature } from './features/admin.ts';
import { fallbackFeature } from './features/fallback.ts';
import { webhookFeature, type WebhookFeatureDeps } from './features/webhook.ts';
import { postsFeature } from './features/posts.ts';
import type { PostsFacade } from '../engine/posts.ts';
import { outageGate, outageText } from './features/outage.ts';
import { isUnavailable } from '../engine/db-health.ts';
import { CONNECT_DIALOG, createConnectDialog } from './dialogs/connect.ts';
import { EDIT_SETTING_DIALOG, createEditSettingDialog } from './dialogs/edit-setting.ts';
import { ADJUST_DIALOG, createAdjustDialog } from './dialogs/adjust.ts';

/** Bump when a dialog's code changes in a way that breaks stored (in-progress) dialogs. */
export const DIALOG_STORAGE_VERSION = 1;
/** A dialog left alone this long is dropped at the trader's next message (ms). */
const DIALOG_TIMEOUT_MS = 30 * 60_000;

export interface BotDeps {
  token: string;
  apiRoot: string;
  logger: Logger;
  adminIds: readonly number[];
  /** the only way to trading data, traders and actions */
  engine: EngineFacade;
  /** the bot's own state: dialogs (sealed, they may hold a secret) and button claims */
  store: BotStore;
  /** skips getMe (tests); otherwise call bot.init() before handling updates */
  botInfo?: UserFromGetMe;
  /** the token's one outgoing budget, shared with the alert sender (main.ts makes one per token) */
  budget?: SendBudget;
  now?: () => Date;
  /** what a new paper wallet holds, USDT (config.paper.startBalance); default 10 000 */
  paperStartBalance?: number;
  /** the traders' webhooks (/webhook); without it the command is not offered */
  webhook?: Omit<WebhookFeatureDeps, 'adminIds'>;
  /** forwarded or pasted channel posts and /signal (the engine's previews); without it they are not read */
  posts?: PostsFacade;
}

export function createBot(deps: BotDeps): Bot<BotContext> {
  // the budget sits at the HTTP layer: every Api made from these options (each dialog's too) waits for its slot
  const budget = deps.budget ?? new SendBudget();
  const bot = new Bot<BotContext>(deps.token, {
    client: { apiRoot: deps.apiRoot, fetch: budgetedFetch(budget) },
    ...(deps.botInfo ? { botInfo: deps.botInfo } : {}),
  });
  bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30, rethrowInternalServerErrors: false, rethrowHttpErrors: true }));
  bot.api.config.use(outgoingGate(repairLogger(deps.logger)));

  // updates run concurrently (runner); one chat's updates run in order, before the dialogs see them
  bot.use(sequentialize(chatKey));
  // before anything that reads the database: during an outage the trader is told so
  bot.use(outageGate({ engine: deps.engine, adminIds: deps.adminIds, now: deps.now ?? (() => new Date()) }));
  bot.use(async (ctx, next) => {
    if (ctx.from && !ctx.from.is_bot) ctx.trader = await deps.engine.traderByTelegramId(ctx.from.id);
    await next();
  });
  mountFeatures(bot, deps);
  bot.use(fallbackFeature());
  bot.catch(errorHandler(deps.logger, deps.engine, deps.now ?? (() => new Date())));
  return bot;
}

function mountFeatures(bot: Bot<BotContext>, deps: BotDeps): void {
  const now = deps.now ?? (() => new Date());
  const f: FeatureDeps = {
    engine: deps.engine,
    claims: deps.store.claims,
    logger: deps.logger,
    adminIds: deps.adminIds,
    now,
    paperStartBalance: deps.paperStartBalance ?? 10_000,
  };
  bot.use(
    conversations<BotContext, DialogContext>({
      storage: {
        type: 'key',
        version: DIALOG_STORAGE_VERSION,
        prefix: 'conv:',
        adapter: deps.store.dialogs<VersionedState<ConversationData>>(),
      },
      // a dialog's context has its own Api: the same gate goes on it
      plugins: [
        (ctx, next) => {
          ctx.api.config.use(outgoingGate(repairLogger(deps.logger)));
          return next();
        },
      ],
    }),
  );
  bot.use(cancelFeature());
  const dialog = { maxMillisecondsToWait: DIALOG_TIMEOUT_MS };
  bot.use(createConversation(createConnectDialog(f), { id: CONNECT_DIALOG, ...dialog }));
  bot.use(createConversation(createEditSettingDialog(f), { id: EDIT_SETTING_DIALOG, ...dialog }));
  bot.use(createConversation(createAdjustDialog(f), { id: ADJUST_DIALOG, ...dialog }));

  bot.use(startFeature({ engine: deps.engine, adminIds: deps.adminIds, paperStartBalance: f.paperStartBalance }));
  bot.use(accountsFeature(f));
  bot.use(settingsFeature(f));
  bot.use(positionsFeature(f));
  bot.use(reportsFeature(f));
  bot.use(controlFeature(f));
  bot.use(adminFeature(f));
  if (deps.webhook) bot.use(webhookFeature({ ...deps.webhook, adminIds: deps.adminIds }));
  // last before the fallback: any private message that names a pair and a side is read as a post
  if (deps.posts) bot.use(postsFeature({ posts: deps.posts, adminIds: deps.adminIds }));
}

/** one queue per chat; an update without a chat (an inline button's query) queues per user */
function chatKey(ctx: Context): string | undefined {
  const chat = ctx.chat?.id ?? ctx.from?.id;
  return chat === undefined ? undefined : String(chat);
}

function repairLogger(logger: Logger): Repaired {
  return (method, what) => logger.warn({ method }, `outgoing text repaired: ${what}`);
}

function errorHandler(logger: Logger, engine: EngineFacade, now: () => Date) {
  return async (err: BotError<BotContext>) => {
    const e = err.error;
    const where = { updateId: err.ctx.update.update_id, chatId: err.ctx.chat?.id };
    if (e instanceof GrammyError) logger.error({ ...where, method: e.method, code: e.error_code, description: e.description }, 'telegram call failed');
    else if (e instanceof HttpError) logger.error({ ...where, err: e }, 'telegram unreachable');
    else logger.error({ ...where, err: e }, 'update handler failed');
    try {
      // the database went away while this update was handled: say so, not a generic error
      const outage = engine.databaseOutage() ?? (isUnavailable(e) ? { since: now(), exitsAwaitingRecord: 0 } : null);
      if (outage && err.ctx.callbackQuery) await err.ctx.answerCallbackQuery({ text: outageText(outage, now()).slice(0, 190), show_alert: true }).catch(() => undefined);
      else if (outage) await err.ctx.reply(outageText(outage, now()));
      else if (err.ctx.callbackQuery) await err.ctx.answerCallbackQuery({ text: 'Something went wrong on our side; nothing was changed.' }).catch(() => undefined);
      else await err.ctx.reply('Something went wrong on our side; nothing was changed. Please try again in a moment.');
    } catch {
      // the chat may be unreachable; the error is logged above
    }
  };
}

export async function registerCommands(bot: Bot<BotContext> | Bot<Context>, adminIds: readonly number[]): Promise<void> {
  await bot.api.setMyCommands([...TRADER_COMMANDS]);
  for (const id of adminIds) {
    try {
      await bot.api.setMyCommands([...TRADER_COMMANDS, ...ADMIN_COMMANDS], { scope: { type: 'chat', chat_id: id } });
    } catch {
      // an admin who never opened a chat with the bot cannot get a chat-scoped menu yet
    }
  }
}
