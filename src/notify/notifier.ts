/**
 * The durable Notifier the engine emits into: looks up the trader's chat and level for the event,
 * and stores the alert in the outbox ('off' stores nothing). Resolves once stored, not once sent.
 */
import type { EngineEvent, Notifier } from '../engine/events.ts';
import type { OutboxRepo } from './outbox-repo.ts';
import { levelFor } from '../bot/notify-levels.ts';
import type { RecipientsRepo } from '../db/repos/recipients.ts';

export interface OutboxNotifierDeps {
  outbox: OutboxRepo;
  recipients: Pick<RecipientsRepo, 'recipient'>;
  /** called after a row is stored, to wake the delivery worker */
  onQueued?: () => void;
}

export function createOutboxNotifier(deps: OutboxNotifierDeps): Notifier {
  return {
    async notify(event: EngineEvent, dedupeKey?: string): Promise<void> {
      const who = await deps.recipients.recipient(event.userId);
      if (!who) return;
      const level = levelFor(who.prefs, event.kind);
      if (level === 'off') return;
      const stored = await deps.outbox.enqueue({
        userId: event.userId,
        chatId: who.chatId,
        kind: event.kind,
        payload: event as unknown as Record<string, unknown>,
        dedupeKey,
        silent: level === 'silent',
      });
      if (stored) deps.onQueued?.();
    },
  };
}
