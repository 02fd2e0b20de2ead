/** Exchange accounts (api_keys rows): credentials are sealed on the way in, opened only for the exchange factory. */
import { and, eq, inArray, isNull, ne, or } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { apiKeys } from '../schema.ts';
import type { SecretBox } from '../../security/secret-box.ts';

export type AccountMode = 'spot' | 'margin' | 'futures';
export type AccountMarginMode = 'cross' | 'isolated';

export interface Credentials {
  apiKey: string;
  secret: string;
  password?: string | undefined;
}

export interface AccountRecord {
  id: string;
  userId: string;
  exchange: string;
  mode: AccountMode;
  label: string | null;
  isPaper: boolean;
  apiKeyHint: string | null;
  /** margin and futures: cross or isolated; null on spot */
  marginMode: AccountMarginMode | null;
  /** trades signals (SPEC §11); a disabled account's open positions stay monitored */
  enabled: boolean;
  active: boolean;
}

export interface NewAccount {
  userId: string;
  exchange: string;
  mode: AccountMode;
  label?: string;
  credentials?: Credentials;
  /** margin and futures; ignored on spot */
  marginMode?: AccountMarginMode;
}

function toRecord(row: typeof apiKeys.$inferSelect): AccountRecord {
  return {
    id: row.id,
    userId: row.userId,
    exchange: row.exchange,
    mode: row.mode as AccountMode,
    label: row.label,
    isPaper: row.isPaper,
    apiKeyHint: row.apiKeyHint,
    marginMode: row.mode === 'spot' ? null : ((row.marginMode as AccountMarginMode | null) ?? 'isolated'),
    enabled: row.enabled,
    active: row.active,
  };
}

export function createAccountsRepo(db: Db, box: SecretBox) {
  return {
    async create(input: NewAccount): Promise<AccountRecord> {
      const c = input.credentials;
      const seal = (s: string | undefined) => (s ? box.encrypt(s).ciphertext : null);
      const [row] = await db
        .insert(apiKeys)
        .values({
          userId: input.userId,
          exchange: input.exchange,
          mode: input.mode,
          label: input.label ?? null,
          isPaper: !c,
          keyId: c ? box.keyId : null,
          apiKeyEnc: seal(c?.apiKey),
          apiSecretEnc: seal(c?.secret),
          passphraseEnc: seal(c?.password),
          apiKeyHint: c ? `…${c.apiKey.slice(-4)}` : null,
          apiKeyFp: c ? box.fingerprint(c.apiKey) : null,
          marginMode: input.mode === 'spot' ? null : (input.marginMode ?? 'isolated'),
        })
        .returning();
      return toRecord(row!);
    },

    async listForUser(userId: string): Promise<AccountRecord[]> {
      const rows = await db.select().from(apiKeys).where(and(eq(apiKeys.userId, userId), eq(apiKeys.active, true)));
      return rows.map(toRecord);
    },

    /** /accounts: an account stops (or starts again) taking signals; its open positions stay monitored */
    async setEnabled(id: string, userId: string, enabled: boolean): Promise<boolean> {
      const rows = await db
        .update(apiKeys)
        .set({ enabled, updatedAt: new Date() })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), eq(apiKeys.active, true)))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    },

    async get(id: string): Promise<AccountRecord | undefined> {
      const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
      return row ? toRecord(row) : undefined;
    },

    /** Soft delete: positions and trades keep their account reference. */
    async deactivate(id: string, userId: string): Promise<boolean> {
      const rows = await db
        .update(apiKeys)
        .set({ active: false, updatedAt: new Date() })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId)))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    },

    /** Decrypted credentials of a live account; undefined for a paper account. */
    async credentials(id: string): Promise<Credentials | undefined> {
      const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
      if (!row || row.isPaper || !row.keyId || !row.apiKeyEnc || !row.apiSecretEnc) return undefined;
      const open = (ciphertext: string) => box.decrypt({ keyId: row.keyId!, ciphertext });
      return {
        apiKey: open(row.apiKeyEnc),
        secret: open(row.apiSecretEnc),
        password: row.passphraseEnc ? open(row.passphraseEnc) : undefined,
      };
    },

    /**
     * The active live account on `exchange` already holding `apiKey`, by its fingerprint (never by
     * the key in plain text). Rows whose fingerprint is missing (made before it existed) or not
     * under the current key (a rotation not yet run) are opened and their fingerprint stored.
     * `modes`: only accounts of these modes count (default: every mode).
     */
    async findByApiKey(exchange: string, apiKey: string, modes?: readonly string[]): Promise<AccountRecord | undefined> {
      const fp = box.fingerprint(apiKey);
      const rows = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.exchange, exchange), modes ? inArray(apiKeys.mode, [...modes]) : undefined, eq(apiKeys.active, true), eq(apiKeys.isPaper, false), or(eq(apiKeys.apiKeyFp, fp), isNull(apiKeys.apiKeyFp), ne(apiKeys.keyId, box.keyId))));
      for (const row of rows) {
        if (row.apiKeyFp === fp && row.keyId === box.keyId) return toRecord(row);
        if (!row.keyId || !row.apiKeyEnc || !box.knownKeyIds.includes(row.keyId)) continue;
        const rowFp = box.fingerprint(box.decrypt({ keyId: row.keyId, ciphertext: row.apiKeyEnc }));
        if (row.keyId === box.keyId && row.apiKeyFp !== rowFp) await db.update(apiKeys).set({ apiKeyFp: rowFp }).where(eq(apiKeys.id, row.id));
        if (rowFp === fp) return toRecord(row);
      }
      return undefined;
    },

    /** Re-seals every credential not yet under the current key. Returns how many accounts changed. */
    async reencryptAll(): Promise<number> {
      const rows = await db.select().from(apiKeys).where(and(eq(apiKeys.isPaper, false), ne(apiKeys.keyId, box.keyId)));
      let changed = 0;
      for (const row of rows) {
        if (!row.keyId) continue;
        const reseal = (ciphertext: string | null) =>
          ciphertext ? box.encrypt(box.decrypt({ keyId: row.keyId!, ciphertext })).ciphertext : null;
        await db
          .update(apiKeys)
          .set({
            keyId: box.keyId,
            apiKeyFp: row.apiKeyEnc ? box.fingerprint(box.decrypt({ keyId: row.keyId, ciphertext: row.apiKeyEnc })) : null,
            apiKeyEnc: reseal(row.apiKeyEnc),
            apiSecretEnc: reseal(row.apiSecretEnc),
            passphraseEnc: reseal(row.passphraseEnc),
            updatedAt: new Date(),
          })
          .where(and(eq(apiKeys.id, row.id), eq(apiKeys.keyId, row.keyId)));
        changed++;
      }
      return changed;
    },
  };
}

export type AccountsRepo = ReturnType<typeof createAccountsRepo>;
