/**
 * Long polling with updates handled concurrently (grammY's runner): one trader's handler waiting on
 * an exchange never holds up another trader. Updates of one chat still run one after another (the
 * `sequentialize` createBot mounts before the dialogs), so a trader's own messages keep their order.
 */
import { run, type RunnerHandle } from '@grammyjs/runner';
import type { Bot, Context } from 'grammy';

export interface RunBotOptions {
  /** long-polling timeout, seconds (default 30) */
  timeoutSeconds?: number;
  /** updates handled at once over all chats (default 500) */
  concurrency?: number;
  /** update kinds asked for (Telegram keeps the last list given); default: what Telegram sends unasked */
  allowedUpdates?: ReadonlyArray<'message' | 'callback_query'>;
}

export async function runBot<C extends Context>(bot: Bot<C>, options: RunBotOptions = {}): Promise<RunnerHandle> {
  // like bot.start(): polling and a webhook cannot both be set; pending updates are kept
  await bot.api.deleteWebhook({ drop_pending_updates: false });
  return run(bot, {
    runner: { fetch: { timeout: options.timeoutSeconds ?? 30, ...(options.allowedUpdates ? { allowed_updates: options.allowedUpdates } : {}) }, silent: true, retryInterval: 'exponential', maxRetryTime: 60 * 60_000 },
    sink: { concurrency: options.concurrency ?? 500 },
  });
}
