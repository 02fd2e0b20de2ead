/**
 * Outgoing limits for the bot's own replies (grammY's throttler): message-sending methods are
 * spaced per chat (Telegram: about 1/s) and capped overall (about 30/s). Other methods pass.
 * Alerts are paced by the outbox worker (src/notify/worker.ts).
 */
import { apiThrottler } from '@grammyjs/transformer-throttler';
import type { Transformer } from 'grammy';

export interface TelegramLimits {
  /** ms between two messages to one chat */
  perChatIntervalMs: number;
  /** messages per second over all chats */
  globalPerSecond: number;
}

export const TELEGRAM_LIMITS: TelegramLimits = { perChatIntervalMs: 1000, globalPerSecond: 30 };

export const MESSAGE_METHODS: ReadonlySet<string> = new Set([
  'sendMessage',
  'sendPhoto',
  'sendDocument',
  'sendMediaGroup',
  'editMessageText',
  'editMessageCaption',
  'editMessageReplyMarkup',
  'copyMessage',
  'forwardMessage',
]);

export function telegramLimits(limits: Partial<TelegramLimits> = {}): Transformer {
  const l = { ...TELEGRAM_LIMITS, ...limits };
  const throttled = apiThrottler({
    global: { reservoir: l.globalPerSecond, reservoirRefreshAmount: l.globalPerSecond, reservoirRefreshInterval: 1000 },
    out: { maxConcurrent: 1, minTime: l.perChatIntervalMs },
    group: { maxConcurrent: 1, minTime: Math.max(l.perChatIntervalMs, 3000) },
  });
  return (prev, method, payload, signal) => (MESSAGE_METHODS.has(method) ? throttled(prev, method, payload, signal) : prev(method, payload, signal));
}
