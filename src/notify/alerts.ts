/**
 * Wiring of the durable alerts: the Notifier the engine emits into, and the delivery worker that
 * drains the outbox to Telegram. main.ts: `const alerts = createAlerts({...})`, pass
 * `alerts.notifier` to the engine, `alerts.worker.start()` after the bot starts, and
 * `await alerts.worker.stop()` on shutdown before closing the database.
 */
import type { EngineEvent, Notifier } from '../engine/events.ts';
import type { Logger } from '../log.ts';
import { createOutboxNotifier } from './notifier.ts';
import type { OutboxRepo, OutboxRow } from '../db/repos/outbox.ts';
import type { SendBudget, SendLimits } from '../telegram/send-budget.ts';
import type { RecipientsRepo } from '../db/repos/recipients.ts';
import { createDeliveryApi, createTelegramSender } from './telegram-sender.ts';
import { createOutboxWorker, type OutboxWorker } from './worker.ts';

export interface AlertsDeps {
  /** built once by main (createRepos): the outbox and who receives a user's alerts */
  repos: { outbox: OutboxRepo; recipients: Pick<RecipientsRepo, 'recipient'> };
  token: string;
  apiRoot: string;
  logger: Logger;
  /** the token's one outgoing budget, shared with the bot's replies */
  budget?: SendBudget;
  /** limits of a budget of its own, when none is shared (tests of the outbox alone) */
  pacing?: Partial<SendLimits>;
  /** ms between outbox looks when idle (default 500) */
  pollMs?: number;
  /** several processes: whether this one still runs the alert sender (worker.ts) */
  mayRun?: () => boolean;
}

export interface Alerts {
  notifier: Notifier;
  worker: OutboxWorker;
  /** the outbox itself (its depth is shown by /status) */
  outbox: OutboxRepo;
}

export function createAlerts(deps: AlertsDeps): Alerts {
  const { outbox } = deps.repos;
  const send = createTelegramSender(createDeliveryApi(deps.token, deps.apiRoot));
  const worker = createOutboxWorker({
    outbox,
    send,
    logger: deps.logger,
    ...(deps.budget ? { budget: deps.budget } : {}),
    ...(deps.pacing ? { pacing: deps.pacing } : {}),
    ...(deps.pollMs ? { pollMs: deps.pollMs } : {}),
    ...(deps.mayRun ? { mayRun: deps.mayRun } : {}),
  });
  const notifier = createOutboxNotifier({
    outbox,
    recipients: deps.repos.recipients,
    onQueued: () => worker.kick(),
    // the database outage notice: no outbox row (the outbox is in the database), sent once, best effort
    sendNow: async (chatId, event, silent) => {
      await send(directRow(chatId, event, silent));
    },
  });
  return { notifier, worker, outbox };
}

/** the shape the sender reads, for an alert that never had an outbox row */
function directRow(chatId: number, event: EngineEvent, silent: boolean): OutboxRow {
  const now = new Date();
  return { id: 0, userId: event.userId, chatId, kind: event.kind, payload: event as unknown as Record<string, unknown>, dedupeKey: null, silent, status: 'pending', attempts: 0, nextAttemptAt: now, lastError: null, telegramMessageId: null, createdAt: now, sentAt: null };
}
