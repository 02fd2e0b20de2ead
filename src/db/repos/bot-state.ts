/**
 * Key → JSON storage over the bot_storage table for grammY conversations (and any other bot state).
 * Works on both drivers. Conversation state replays the trader's updates, which can hold an API
 * secret until the dialog ends, so values are sealed with the SecretBox when one is given.
 * Also a one-shot claim (`claimOnce`) used to make a button act once on a double tap.
 */
import { and, eq, like, lt } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { botStorage } from '../schema.ts';
import type { SecretBox } from '../../security/secret-box.ts';
import type { BotStore, Claims, KeyValueStorage } from '../../domain/bot-storage.ts';

interface SealedValue {
  sealed: { keyId: string; ciphertext: string };
}

function isSealed(v: unknown): v is SealedValue {
  return typeof v === 'object' && v !== null && 'sealed' in v;
}

export function createBotStorage<T>(db: Db, options: { box?: SecretBox; prefix?: string } = {}): KeyValueStorage<T> {
  const prefix = options.prefix ?? '';
  const box = options.box;
  return {
    async read(key) {
      const [row] = await db.select().from(botStorage).where(eq(botStorage.key, prefix + key));
      if (!row) return undefined;
      if (isSealed(row.value)) {
        if (!box) return undefined;
        try {
          return JSON.parse(box.decrypt(row.value.sealed)) as T;
        } catch {
          // sealed under a key we no longer hold: the dialog is lost, not the bot
          return undefined;
        }
      }
      return row.value as T;
    },
    async write(key, value) {
      const stored: unknown = box ? ({ sealed: box.encrypt(JSON.stringify(value)) } satisfies SealedValue) : value;
      await db
        .insert(botStorage)
        .values({ key: prefix + key, value: stored })
        .onConflictDoUpdate({ target: botStorage.key, set: { value: stored, updatedAt: new Date() } });
    },
    async delete(key) {
      await db.delete(botStorage).where(eq(botStorage.key, prefix + key));
    },
  };
}

/**
 * Atomic "first one wins": true the first time `key` is claimed, false afterwards (also across
 * concurrent handlers and processes). Claims older than `olderThan` can be swept.
 */
export function createClaims(db: Db): Claims {
  const PREFIX = 'claim:';
  return {
    async claimOnce(key: string): Promise<boolean> {
      const rows = await db
        .insert(botStorage)
        .values({ key: PREFIX + key, value: { at: new Date().toISOString() } })
        .onConflictDoNothing({ target: botStorage.key })
        .returning({ key: botStorage.key });
      return rows.length > 0;
    },
    async sweep(olderThan: Date): Promise<void> {
      await db.delete(botStorage).where(and(like(botStorage.key, `${PREFIX}%`), lt(botStorage.updatedAt, olderThan)));
    },
  };
}

/** The bot's own state, for createBot: dialogs sealed with the SecretBox, and button claims. */
export function createBotStore(db: Db, box: SecretBox): BotStore {
  return { dialogs: <T>() => createBotStorage<T>(db, { box }), claims: createClaims(db) };
}
