/**
 * The durable Notifier the engine emits into: looks up the trader's chat and level for the event,
 * and stores the alert in the outbox ('off' stores nothing). Resolves once stored, not once sent.
 */
import type { EngineEvent, Notifier } from '../engine/events.ts';
import type { OutboxRepo } from '../db/repos/outbox.ts';
import { levelFor } from '../telegram/notify-levels.ts';
import type { Recipient, RecipientsRepo } from '../db/repos/recipients.ts';

export interface OutboxNotifierDeps {
  outbox: OutboxRepo;
  recipients: Pick<RecipientsRepo, 'recipient'>;
  /** called after a row is stored, to wake the delivery worker */
  onQueued?: () => void;
  /** sends one event straight to a chat, around the outbox (notifyNow: the database may be down) */
  sendNow?: (chatId: number, event: EngineEvent, silent: boolean) => Promise<void>;
}

export function createOutboxNotifier(deps: OutboxNotifierDeps): Notifier {
  /** the chats learned so far (userId → recipient), for notifyNow while the database is down */
  const known = new Map<string, Recipient>();
  return {
    async notify(event: EngineEvent, dedupeKey?: string): Promise<void> {
      const who = await deps.recipients.recipient(event.userId);
      if (!who) return;
      known.set(who.userId, who);
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

    async notifyNow(event: EngineEvent): Promise<void> {
      const who = known.get(event.userId);
      if (!who || !deps.sendNow) return;
      const level = levelFor(who.prefs, event.kind);
      if (level === 'off') return;
      await deps.sendNow(who.chatId, event, level === 'silent');
    },

    async remember(userIds: readonly string[]): Promise<void> {
      for (const userId of userIds) {
        const who = await deps.recipients.recipient(userId);
        if (who) known.set(userId, who);
      }
    },
  };
}
