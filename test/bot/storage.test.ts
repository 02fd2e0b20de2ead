import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createBotStorage, createClaims } from '../../src/db/repos/bot-state.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { botStorage } from '../../src/db/schema.ts';

describe.each(databaseKinds())('bot storage on %s', (kind) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await openTestDatabase(kind);
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('reads back what it wrote; with a box the row holds no readable secret', async () => {
    const box = createSecretBox('storage-test-secret-key-0123456789');
    const sealed = createBotStorage<{ text: string }>(db.db, { box, prefix: 'conv:' });
    // a key read as absent (and remembered so) is found once written
    expect(await sealed.read('42')).toBeUndefined();
    await sealed.write('42', { text: 'my api secret sk-123' });
    expect(await sealed.read('42')).toEqual({ text: 'my api secret sk-123' });
    const [row] = await db.db.select().from(botStorage).where(eq(botStorage.key, 'conv:42'));
    expect(JSON.stringify(row!.value)).not.toContain('sk-123');
    // under another key the dialog is lost, not the bot
    const other = createBotStorage<{ text: string }>(db.db, { box: createSecretBox('another-secret-key-0123456789abcd'), prefix: 'conv:' });
    expect(await other.read('42')).toBeUndefined();
    await sealed.write('42', { text: 'updated' });
    expect(await sealed.read('42')).toEqual({ text: 'updated' });
    await sealed.delete('42');
    expect(await sealed.read('42')).toBeUndefined();
    await sealed.write('42', { text: 'again' });
    expect(await sealed.read('42')).toEqual({ text: 'again' });
  });

  it('a claim is won exactly once, also when many ask at the same moment', async () => {
    const claims = createClaims(db.db);
    const results = await Promise.all(Array.from({ length: 10 }, () => claims.claimOnce('81001:7:p:close:abc:a1')));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await claims.claimOnce('81001:7:p:close:abc:a2')).toBe(true);
    await claims.sweep(new Date(Date.now() + 1000));
    expect(await claims.claimOnce('81001:7:p:close:abc:a1')).toBe(true);
  });
});
