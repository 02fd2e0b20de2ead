/**
 * Sends one outbox row to Telegram: the alert formatted (pure formatter) with the position
 * controls when the position is still open. Its own Api: 429 is retried once in place when the
 * wait is short, everything else goes back to the worker (which reschedules the row).
 */
import { Api } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import type { EngineEvent } from '../engine/events.ts';
import { formatAlert } from '../bot/format/alerts.ts';
import { positionKeyboard } from '../bot/keyboards/position.ts';
import type { AlertSender } from './worker.ts';

export function createDeliveryApi(token: string, apiRoot: string): Api {
  const api = new Api(token, { apiRoot });
  api.config.use(autoRetry({ maxRetryAttempts: 1, maxDelaySeconds: 2, rethrowInternalServerErrors: true, rethrowHttpErrors: true }));
  return api;
}

export function createTelegramSender(api: Api): AlertSender {
  return async (row) => {
    const alert = formatAlert(row.payload as unknown as EngineEvent);
    // the nonce is the row id: one drawing per alert (see positionData)
    const markup = alert.positionId ? positionKeyboard(alert.positionId, `a${row.id.toString(36)}`) : undefined;
    const sent = await api.sendMessage(row.chatId, alert.text, {
      parse_mode: 'HTML',
      disable_notification: row.silent,
      ...(markup ? { reply_markup: markup } : {}),
    });
    return sent.message_id;
  };
}
