/**
 * Sends one outbox row to Telegram: the alert formatted (pure formatter) with the position
 * controls when the position is still open. Its own Api without retry transformers: every
 * failure goes back to the worker, which reschedules the row (obeying retry_after) and paces,
 * so a retry never slips past the pacing.
 */
import { Api } from 'grammy';
import type { EngineEvent } from '../engine/events.ts';
import { formatAlert } from '../telegram/format/alerts.ts';
import { positionKeyboard } from '../telegram/keyboards/position.ts';
import { outgoingGate } from '../telegram/outgoing.ts';
import type { AlertSender } from './worker.ts';

export function createDeliveryApi(token: string, apiRoot: string): Api {
  const api = new Api(token, { apiRoot });
  // alerts carry symbols and exchange messages: valid for Telegram and within its limits
  api.config.use(outgoingGate());
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
