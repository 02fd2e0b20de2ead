/**
 * How Telegram's updates reach the bot, a once-per-bot job (SPEC §12): long polling (the runner),
 * or webhook mode (TELEGRAM_WEBHOOK_URL), where the job is only registering the URL and every
 * process's HTTP server takes the POSTs (`receiver`). start() and stop() follow the job: stop()
 * leaves the webhook set, since another process takes the job and the URL stays the same.
 */
import { GrammyError, type Bot, type Context } from 'grammy';
import type { RunnerHandle } from '@grammyjs/runner';
import type { Logger } from '../log.ts';
import { runBot } from './run-bot.ts';
import { createWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

/** the update kinds the features handle; Telegram keeps the last list given, in either mode */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** config.telegram.webhook: TELEGRAM_WEBHOOK_URL, its path, TELEGRAM_WEBHOOK_SECRET */
export interface WebhookSettings {
  url: string;
  path: string;
  secretToken: string;
}

export interface Updates {
  readonly mode: 'polling' | 'webhook';
  /** webhook mode: what the HTTP server hands Telegram's POSTs to, whichever process runs the job */
  readonly receiver: WebhookReceiver | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** settles when the current run ends: resolves on stop(), rejects when polling gave up */
  task(): Promise<void>;
}

export function createUpdates<C extends Context>(bot: Bot<C>, config: { telegram: { webhook: WebhookSettings | undefined } }, logger: Logger): Updates {
  const webhook = config.telegram.webhook;
  return webhook ? webhookUpdates(bot, webhook, logger) : pollingUpdates(bot);
}

function pollingUpdates<C extends Context>(bot: Bot<C>): Updates {
  let handle: RunnerHandle | undefined;
  return {
    mode: 'polling',
    receiver: undefined,
    async start() {
      if (handle?.isRunning()) return;
      handle = await runBot(bot, { allowedUpdates: ALLOWED_UPDATES });
    },
    async stop() {
      if (handle?.isRunning()) await handle.stop();
    },
    task: () => handle?.task() ?? Promise.resolve(),
  };
}

function webhookUpdates<C extends Context>(bot: Bot<C>, webhook: WebhookSettings, logger: Logger): Updates {
  const receiver = createWebhookReceiver({ bot, path: webhook.path, secretToken: webhook.secretToken, logger });
  let run: { stopped: Promise<void>; stop: () => void } | undefined;
  return {
    mode: 'webhook',
    receiver,
    async start() {
      try {
        // pending updates are kept: they are delivered to the URL once it is set
        await bot.api.setWebhook(webhook.url, { secret_token: webhook.secretToken, allowed_updates: [...ALLOWED_UPDATES], drop_pending_updates: false });
      } catch (e) {
        // a GrammyError carries the call's payload, secret token included: only its description goes on
        if (e instanceof GrammyError) throw new Error(`Telegram refused the webhook ${webhook.url}: ${e.description}`);
        throw e;
      }
      let stop = () => {};
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      run = { stopped, stop };
      logger.info({ url: webhook.url }, 'telegram webhook set');
    },
    async stop() {
      run?.stop();
    },
    task: () => run?.stopped ?? Promise.resolve(),
  };
}
