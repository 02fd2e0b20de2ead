/**
 * Exchange credentials at rest: sealed with AES-256-GCM under SECRET_KEY, never stored in the
 * clear, and re-sealed under a new key by `npm run keys:rotate` (tested here as the real command).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { databaseKinds, openTestDatabase, seedPgliteDataDir, type TestDatabase } from '../support/databases.ts';
import { openDatabase } from '../../src/db/client.ts';
import { createAccountsRepo } from '../../src/db/repos/accounts.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { apiKeys } from '../../src/db/schema.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const OLD_KEY = 'old-secret-key-for-rotation-tests-0001';
const NEW_KEY = 'new-secret-key-for-rotation-tests-0002';
const CREDS = { apiKey: 'AKEY-1234567890-wxyz', secret: 'SECRET-abcdefghijklmnop', password: 'pass-phrase-42' };

describe.each(databaseKinds())('exchange accounts on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.destroy();
  });

  it('stores credentials sealed, shows only a hint, and opens them for the exchange', async () => {
    const { user } = await createUsersRepo(database.db).upsertFromTelegram({ telegramId: 501, chatId: 501 });
    const accounts = createAccountsRepo(database.db, createSecretBox(OLD_KEY));
    const account = await accounts.create({ userId: user.id, exchange: 'okx', mode: 'spot', credentials: CREDS });
    expect(account.apiKeyHint).toBe('…wxyz');
    const raw = JSON.stringify(await database.db.execute(sql`select * from api_keys`));
    for (const plain of Object.values(CREDS)) expect(raw).not.toContain(plain);
    expect(await accounts.credentials(account.id)).toEqual(CREDS);
  });

  it('paper accounts have no credentials', async () => {
    const { user } = await createUsersRepo(database.db).upsertFromTelegram({ telegramId: 502, chatId: 502 });
    const accounts = createAccountsRepo(database.db, createSecretBox(OLD_KEY));
    const paper = await accounts.create({ userId: user.id, exchange: 'binance', mode: 'futures' });
    expect(paper.isPaper).toBe(true);
    expect(await accounts.credentials(paper.id)).toBeUndefined();
  });

  it('re-encrypts every row under a new key; the old key alone can no longer open them', async () => {
    const rotated = createSecretBox(NEW_KEY, [OLD_KEY]);
    const accounts = createAccountsRepo(database.db, rotated);
    // the key already connected is found under the new key before the rotation runs, and after it
    const okx = (await accounts.findByApiKey('okx', CREDS.apiKey))?.id;
    expect(okx).toBeDefined();
    expect(await accounts.findByApiKey('binance', CREDS.apiKey)).toBeUndefined();
    expect(await accounts.reencryptAll()).toBe(1);
    expect((await createAccountsRepo(database.db, createSecretBox(NEW_KEY)).findByApiKey('okx', CREDS.apiKey))?.id).toBe(okx);
    expect(await createAccountsRepo(database.db, createSecretBox(NEW_KEY)).findByApiKey('okx', 'AKEY-other')).toBeUndefined();
    expect(await accounts.reencryptAll()).toBe(0);
    const rows = await database.db.select({ keyId: apiKeys.keyId }).from(apiKeys).where(sql`not is_paper`);
    expect(rows.map((r) => r.keyId)).toEqual([createSecretBox(NEW_KEY).keyId]);
    const [live] = await database.db.select({ id: apiKeys.id }).from(apiKeys).where(sql`not is_paper`);
    expect(await createAccountsRepo(database.db, createSecretBox(NEW_KEY)).credentials(live!.id)).toEqual(CREDS);
    await expect(createAccountsRepo(database.db, createSecretBox(OLD_KEY)).credentials(live!.id)).rejects.toThrow(/SECRET_KEY_PREVIOUS/);
  });
});

it('npm run keys:rotate re-seals the embedded database under the new SECRET_KEY', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-rotate-'));
  seedPgliteDataDir(dataDir);
  try {
    const database = await openDatabase({ dataDir });
    const { user } = await createUsersRepo(database.db).upsertFromTelegram({ telegramId: 601, chatId: 601 });
    const account = await createAccountsRepo(database.db, createSecretBox(OLD_KEY)).create({ userId: user.id, exchange: 'binance', mode: 'spot', credentials: CREDS });
    await database.close();

    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, SECRET_KEY: NEW_KEY, SECRET_KEY_PREVIOUS: OLD_KEY };
    const { stdout } = await run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'src', 'cli', 'rotate-keys.ts')], { env, cwd: dataDir });
    expect(stdout).toContain('Re-encrypted 1 account(s)');
    expect(stdout).not.toContain(NEW_KEY);

    const reopened = await openDatabase({ dataDir });
    expect(await createAccountsRepo(reopened.db, createSecretBox(NEW_KEY)).credentials(account.id)).toEqual(CREDS);
    await reopened.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
