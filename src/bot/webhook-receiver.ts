/**
 * Webhook mode's receiving side (SPEC §12): every process's HTTP server takes Telegram's POSTs and
 * hands each update to the bot. The answer does not wait for the handler: Telegram counts a slow
 * answer as a failed delivery and sends the update again (grammY's webhookCallback holds the
 * request until the middleware is done and errors after 10 s), so a dialog waiting on an exchange
 * would run twice. As with the long-polling runner, an update is confirmed once it is taken, and
 * one chat's updates still run in order (the `sequentialize` createBot mounts first).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Bot, Context } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from '../log.ts';

/** handlers running at once over all chats before a new POST waits for one to end (the runner's sink) */
const DEFAULT_CONCURRENCY = 500;
/** update ids remembered so a redelivered update (our answer lost on the way) is not handled again */
const SEEN_MAX = 10_000;

/** what src/http/telegram-route.ts hands Telegram's POSTs to */
export interface WebhookReceiver {
  /** the URL path Telegram posts to (TELEGRAM_WEBHOOK_URL's) */
  readonly path: string;
  /** the X-Telegram-Bot-Api-Secret-Token header matches, compared in constant time */
  authorised(header: string | undefined): boolean;
  /**
   * Hands the update to the bot without waiting for its handler; waits only while `concurrency`
   * handlers run. 'not-ready' before bot.init() finished (Telegram tries again later).
   */
  receive(update: { update_id: number }): Promise<'accepted' | 'duplicate' | 'not-ready'>;
  /** resolves once every handler started so far has ended */
  idle(): Promise<void>;
}

export interface WebhookReceiverDeps<C extends Context> {
  bot: Bot<C>;
  path: string;
  secretToken: string;
  logger: Logger;
  concurrency?: number;
}

export function createWebhookReceiver<C extends Context>(deps: WebhookReceiverDeps<C>): WebhookReceiver {
  const expected = digest(deps.secretToken);
  const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
  const running = new Set<Promise<void>>();
  const slotWaiters: Array<() => void> = [];
  const seen = new Set<number>();

  const remember = (id: number) => {
    seen.add(id);
    if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value as number);
  };

  return {
    path: deps.path,
    authorised(header) {
      // hashes have one length, so the comparison takes the same time whatever was sent
      return header !== undefined && timingSafeEqual(digest(header), expected);
    },
    async receive(update) {
      if (!deps.bot.isInited()) return 'not-ready';
      if (seen.has(update.update_id)) return 'duplicate';
      remember(update.update_id);
      while (running.size >= concurrency) await new Promise<void>((resolve) => slotWaiters.push(resolve));
      const task: Promise<void> = deps.bot
        // the HTTP route checked the shape (update_id and one update object)
        .handleUpdate(update as Update)
        .catch((e: unknown) => deps.logger.error({ err: e, updateId: update.update_id }, 'telegram update handler failed'))
        .finally(() => {
          running.delete(task);
          slotWaiters.shift()?.();
        });
      running.add(task);
      return 'accepted';
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
