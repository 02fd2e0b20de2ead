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

/** keys remembered as having no row, at most (then forgotten all at once) */
const ABSENT_KEYS_MAX = 100_000;

/**
 * Every update reads its chat's dialog state, and most chats have none: keys known to have no row
 * are remembered, so a button press costs no storage read. Sound because one process handles a
 * token's updates (Telegram gives getUpdates to one consumer) and every write goes through here; a
 * read that overlaps any write or delete remembers nothing.
 */
export function createBotStorage<T>(db: Db, options: { box?: SecretBox; prefix?: string } = {}): KeyValueStorage<T> {
  const prefix = options.prefix ?? '';
  const box = options.box;
  const absent = new Set<string>();
  /** bumped before and after every write and delete */
  let changes = 0;
  const rememberAbsent = (key: string) => {
    if (absent.size >= ABSENT_KEYS_MAX) absent.clear();
    absent.add(key);
  };
  return {
    async read(key) {
      if (absent.has(key)) return undefined;
      const seen = changes;
      const [row] = await db.select().from(botStorage).where(eq(botStorage.key, prefix + key));
      if (!row) {
        if (seen === changes) rememberAbsent(key);
        return undefined;
      }
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
      absent.delete(key);
      changes++;
      try {
        const stored: unknown = box ? ({ sealed: box.encrypt(JSON.stringify(value)) } satisfies SealedValue) : value;
        await db
          .insert(botStorage)
          .values({ key: prefix + key, value: stored })
          .onConflictDoUpdate({ target: botStorage.key, set: { value: stored, updatedAt: new Date() } });
      } finally {
        changes++;
      }
    },
    async delete(key) {
      changes++;
      try {
        await db.delete(botStorage).where(eq(botStorage.key, prefix + key));
        rememberAbsent(key);
      } finally {
        changes++;
      }
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
