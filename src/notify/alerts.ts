/**
 * Wiring of the durable alerts: the Notifier the engine emits into, and the delivery worker that
 * drains the outbox to Telegram. main.ts: `const alerts = createAlerts({...})`, pass
 * `alerts.notifier` to the engine, `alerts.worker.start()` after the bot starts, and
 * `await alerts.worker.stop()` on shutdown before closing the database.
 */
import type { Db } from '../db/client.ts';
import type { Notifier } from '../engine/events.ts';
import type { Logger } from '../log.ts';
import { createOutboxNotifier } from './notifier.ts';
import { createOutboxRepo, type OutboxRepo } from './outbox-repo.ts';
import type { SendBudget, SendLimits } from '../bot/send-budget.ts';
import { createRecipientsRepo } from '../db/repos/recipients.ts';
import { createDeliveryApi, createTelegramSender } from './telegram-sender.ts';
import { createOutboxWorker, type OutboxWorker } from './worker.ts';

export interface AlertsDeps {
  db: Db;
  token: string;
  apiRoot: string;
  logger: Logger;
  /** the token's one outgoing budget, shared with the bot's replies */
  budget?: SendBudget;
  /** limits of a budget of its own, when none is shared (tests of the outbox alone) */
  pacing?: Partial<SendLimits>;
  /** ms between outbox looks when idle (default 500) */
  pollMs?: number;
}

export interface Alerts {
  notifier: Notifier;
  worker: OutboxWorker;
  /** the outbox itself (its depth is shown by /status) */
  outbox: OutboxRepo;
}

export function createAlerts(deps: AlertsDeps): Alerts {
  const outbox = createOutboxRepo(deps.db);
  const worker = createOutboxWorker({
    outbox,
    send: createTelegramSender(createDeliveryApi(deps.token, deps.apiRoot)),
    logger: deps.logger,
    ...(deps.budget ? { budget: deps.budget } : {}),
    ...(deps.pacing ? { pacing: deps.pacing } : {}),
    ...(deps.pollMs ? { pollMs: deps.pollMs } : {}),
  });
  const notifier = createOutboxNotifier({ outbox, recipients: createRecipientsRepo(deps.db), onQueued: () => worker.kick() });
  return { notifier, worker, outbox };
}
