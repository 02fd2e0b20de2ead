/** audit_log: every control action of a user or an admin (who, what, on which target, details). */
import { desc } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { auditLog } from '../schema.ts';

export interface AuditEntry {
  actorTelegramId: number | null;
  actorUserId: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  /** ms since epoch */
  at: number;
}

export function createAuditRepo(db: Db) {
  return {
    async record(entry: AuditEntry): Promise<void> {
      await db.insert(auditLog).values({
        actorTelegramId: entry.actorTelegramId,
        actorUserId: entry.actorUserId,
        action: entry.action,
        target: entry.target,
        details: entry.details,
        createdAt: new Date(entry.at),
      });
    },

    async recent(limit: number): Promise<AuditEntry[]> {
      const rows = await db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit);
      return rows.map((r) => ({
        actorTelegramId: r.actorTelegramId,
        actorUserId: r.actorUserId,
        action: r.action,
        target: r.target,
        details: r.details,
        at: r.createdAt.getTime(),
      }));
    },
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
