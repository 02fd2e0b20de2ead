import { eq } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { tradingSettings, users } from '../schema.ts';

export interface UserRecord {
  id: string;
  telegramId: number;
  chatId: number;
  username: string | null;
  firstName: string | null;
  paused: boolean;
  pausedByAdmin: boolean;
  notifyPrefs: Record<string, 'on' | 'silent' | 'off'>;
  createdAt: Date;
}

export interface TelegramIdentity {
  telegramId: number;
  chatId: number;
  username?: string | undefined;
  firstName?: string | undefined;
}

export function createUsersRepo(db: Db) {
  return {
    /** Creates the user (with default settings) on first contact; refreshes chat and names later. */
    async upsertFromTelegram(who: TelegramIdentity): Promise<{ user: UserRecord; created: boolean }> {
      const [existing] = await db.select().from(users).where(eq(users.telegramId, who.telegramId));
      if (existing) {
        const [row] = await db
          .update(users)
          .set({ chatId: who.chatId, username: who.username ?? null, firstName: who.firstName ?? null, updatedAt: new Date() })
          .where(eq(users.id, existing.id))
          .returning();
        return { user: row!, created: false };
      }
      const [row] = await db
        .insert(users)
        .values({ telegramId: who.telegramId, chatId: who.chatId, username: who.username ?? null, firstName: who.firstName ?? null })
        .onConflictDoNothing({ target: users.telegramId })
        .returning();
      if (!row) return this.upsertFromTelegram(who);
      await db.insert(tradingSettings).values({ userId: row.id }).onConflictDoNothing();
      return { user: row, created: true };
    },

    async byTelegramId(telegramId: number): Promise<UserRecord | undefined> {
      const [row] = await db.select().from(users).where(eq(users.telegramId, telegramId));
      return row;
    },

    async byId(id: string): Promise<UserRecord | undefined> {
      const [row] = await db.select().from(users).where(eq(users.id, id));
      return row;
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
