/** Who gets an alert and how: the user's chat and per-event levels (users table), plus the trader list for admins. */
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { users } from '../schema.ts';
/** as users.notify_prefs holds it (src/telegram/notify-levels.ts gives the meaning) */
export type NotifyLevel = 'on' | 'silent' | 'off';
export type NotifyPrefs = Partial<Record<string, NotifyLevel>>;

export interface Recipient {
  userId: string;
  chatId: number;
  prefs: NotifyPrefs;
}

export interface TraderSummary {
  userId: string;
  telegramId: number;
  username: string | null;
  firstName: string | null;
  paused: boolean;
  accounts: number;
  openPositions: number;
  createdAt: Date;
}

export function createRecipientsRepo(db: Db) {
  return {
    async recipient(userId: string): Promise<Recipient | undefined> {
      const [row] = await db.select({ id: users.id, chatId: users.chatId, prefs: users.notifyPrefs }).from(users).where(eq(users.id, userId));
      return row ? { userId: row.id, chatId: row.chatId, prefs: row.prefs } : undefined;
    },

    async prefs(userId: string): Promise<NotifyPrefs> {
      return (await this.recipient(userId))?.prefs ?? {};
    },

    async setLevel(userId: string, kind: string, level: NotifyLevel): Promise<NotifyPrefs> {
      const [row] = await db
        .update(users)
        .set({ notifyPrefs: sql`${users.notifyPrefs} || ${JSON.stringify({ [kind]: level })}::jsonb`, updatedAt: new Date() })
        .where(eq(users.id, userId))
        .returning({ prefs: users.notifyPrefs });
      return row?.prefs ?? {};
    },

    async listTraders(limit = 50): Promise<TraderSummary[]> {
      const rows = await db
        .select({
          userId: users.id,
          telegramId: users.telegramId,
          username: users.username,
          firstName: users.firstName,
          paused: users.paused,
          createdAt: users.createdAt,
          // spelled out: drizzle leaves column names unqualified inside a select, and "id" would bind to the inner table
          accounts: sql<number>`(select count(*) from api_keys k where k.user_id = "users"."id" and k.active)`.mapWith(Number),
          openPositions: sql<number>`(select count(*) from positions p where p.user_id = "users"."id" and p.status <> 'closed')`.mapWith(Number),
        })
        .from(users)
        .orderBy(asc(users.createdAt))
        .limit(limit);
      return rows;
    },

    async byTelegramId(telegramId: number): Promise<{ userId: string; chatId: number } | undefined> {
      const [row] = await db.select({ userId: users.id, chatId: users.chatId }).from(users).where(eq(users.telegramId, telegramId));
      return row;
    },
  };
}

export type RecipientsRepo = ReturnType<typeof createRecipientsRepo>;
