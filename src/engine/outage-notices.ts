/**
 * What traders are told about a database outage (SPEC §10). The alert outbox lives in the
 * database, so the notice goes straight to Telegram (Notifier.notifyNow, with the chats learned
 * at start): once per outage, to every trader with an open position, after the outage has lasted
 * NOTICE_AFTER_MS (a blip is not worth an alarm). When the database is back they are told so
 * through the outbox, with the exits' own alerts.
 */
import type { EngineContext } from './context.ts';
import type { Notifier } from './events.ts';

/** ms an outage lasts before traders are told */
export const NOTICE_AFTER_MS = 3_000;

export const OUTAGE_MESSAGE =
  "The bot's database is unavailable. Your open positions stay protected: the bot still watches them and sends their exits to the exchange, and each keeps its stop on the exchange. Exits are recorded, and their alerts sent, when the database is back.";

export function createOutageNotices(ctx: EngineContext, notifier: Notifier) {
  let timer: NodeJS.Timeout | undefined;
  const told = new Set<string>();

  const traders = () => [...new Set([...ctx.book.all()].filter((p) => p.status !== 'closed' && p.status !== 'pending').map((p) => p.userId))];

  async function tell(): Promise<void> {
    if (ctx.health.available() || !notifier.notifyNow) return;
    for (const userId of traders()) {
      if (told.has(userId)) continue;
      told.add(userId);
      await notifier.notifyNow({ kind: 'action_needed', userId, message: OUTAGE_MESSAGE }).catch((error: unknown) => ctx.logger.warn({ err: error, userId }, 'database outage notice not sent'));
    }
  }

  return {
    outageBegan(): void {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void tell();
      }, NOTICE_AFTER_MS);
      timer.unref();
    },
    outageEnded(): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const since = ctx.clock.now();
      for (const userId of told) {
        void ctx.emit({ kind: 'action_needed', userId, message: 'The database is back: the exits of the outage are recorded and every position is tracked as before.' }, `db-back:${userId}:${since}`);
      }
      told.clear();
    },
    /** learns the chats of the traders with open positions (at start, while the database answers) */
    async remember(): Promise<void> {
      await notifier.remember?.(traders()).catch((error: unknown) => ctx.logger.warn({ err: error }, 'chats for outage notices not loaded'));
    },
    stop(): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
