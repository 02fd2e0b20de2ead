/**
 * Traders' webhooks (SPEC §9). A hook id is found by its SHA-256 and shown again from its
 * ciphertext (SECRET_KEY, like exchange keys); the plain id never reaches the database or a log.
 */
import { createHash } from 'node:crypto';
import { eq, ne } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { users, webhookHooks } from '../schema.ts';
import type { SecretBox } from '../../security/secret-box.ts';

export function hashHookId(hookId: string): string {
  return createHash('sha256').update(hookId, 'utf8').digest('hex');
}

export interface HookRecord {
  userId: string;
  hookId: string;
  createdAt: Date;
  rotatedAt: Date | null;
}

export function createWebhooksRepo(db: Db, box: SecretBox) {
  const open = (row: typeof webhookHooks.$inferSelect): HookRecord => ({
    userId: row.userId,
    hookId: box.decrypt({ keyId: row.keyId, ciphertext: row.hookEnc }),
    createdAt: row.createdAt,
    rotatedAt: row.rotatedAt,
  });

  return {
    async forUser(userId: string): Promise<HookRecord | undefined> {
      const [row] = await db.select().from(webhookHooks).where(eq(webhookHooks.userId, userId));
      return row ? open(row) : undefined;
    },

    /** Sets the trader's hook id (a new one, or a replacement: the old id stops working at once). */
    async put(userId: string, hookId: string, now: Date, rotated: boolean): Promise<HookRecord> {
      const sealed = box.encrypt(hookId);
      const values = { userId, hookHash: hashHookId(hookId), keyId: sealed.keyId, hookEnc: sealed.ciphertext };
      const [row] = await db
        .insert(webhookHooks)
        .values({ ...values, createdAt: now })
        .onConflictDoUpdate({ target: webhookHooks.userId, set: { ...values, ...(rotated ? { rotatedAt: now } : {}) } })
        .returning();
      return open(row!);
    },

    /** The trader a hook id belongs to, or undefined. */
    async userOf(hookId: string): Promise<string | undefined> {
      const [row] = await db.select({ userId: webhookHooks.userId }).from(webhookHooks).where(eq(webhookHooks.hookHash, hashHookId(hookId)));
      return row?.userId;
    },

    async telegramIdOf(userId: string): Promise<number | undefined> {
      const [row] = await db.select({ telegramId: users.telegramId }).from(users).where(eq(users.id, userId));
      return row?.telegramId;
    },

    /** SECRET_KEY rotation: re-seals every hook id not under the current key; returns how many. */
    async reencryptAll(): Promise<number> {
      const rows = await db.select().from(webhookHooks).where(ne(webhookHooks.keyId, box.keyId));
      for (const row of rows) {
        const sealed = box.encrypt(box.decrypt({ keyId: row.keyId, ciphertext: row.hookEnc }));
        await db.update(webhookHooks).set({ keyId: sealed.keyId, hookEnc: sealed.ciphertext }).where(eq(webhookHooks.userId, row.userId));
      }
      return rows.length;
    },
  };
}

export type WebhooksRepo = ReturnType<typeof createWebhooksRepo>;
