/** The bot's view of the audit log: optional fields, the clock filled in. Never put a secret in details. */
import type { AuditRepo } from '../db/repos/audit.ts';

export interface BotAuditEntry {
  actorTelegramId?: number | undefined;
  actorUserId?: string | undefined;
  /** dotted verb: 'position.close', 'admin.pause_all', 'settings.update' … */
  action: string;
  target?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

export interface BotAudit {
  record(entry: BotAuditEntry): Promise<void>;
}

export function createBotAudit(repo: Pick<AuditRepo, 'record'>, now: () => Date): BotAudit {
  return {
    record: (e) =>
      repo.record({
        actorTelegramId: e.actorTelegramId ?? null,
        actorUserId: e.actorUserId ?? null,
        action: e.action,
        target: e.target ?? null,
        details: e.details ?? {},
        at: now().getTime(),
      }),
  };
}
