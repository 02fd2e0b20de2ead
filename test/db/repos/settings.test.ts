import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { createSettingsRepo } from '../../../src/db/repos/settings.ts';
import { createUsersRepo } from '../../../src/db/repos/users.ts';
import { DEFAULT_SETTINGS } from '../../../src/domain/settings.ts';

describe.each(databaseKinds())('settings repo on %s', (kind) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await openTestDatabase(kind);
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('a new trader has the defaults; an update keeps every other value and survives a re-read', async () => {
    const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: 5, chatId: 5 });
    const repo = createSettingsRepo(db.db);
    expect(await repo.get(user.id)).toEqual(DEFAULT_SETTINGS);
    const r = await repo.update(user.id, { stopLossPct: 3.5, partialTpLevels: [{ targetPct: 1.5, fraction: 0.3 }], liquidationWarnPct: 20, breakevenAfterFirstTp: true, mode: 'futures', leverage: 3 });
    expect(r.ok).toBe(true);
    const back = await repo.get(user.id);
    expect(back).toEqual({ ...DEFAULT_SETTINGS, stopLossPct: 3.5, partialTpLevels: [{ targetPct: 1.5, fraction: 0.3 }], liquidationWarnPct: 20, breakevenAfterFirstTp: true, mode: 'futures', leverage: 3 });
  });

  it('refuses what the domain refuses, naming the key, and changes nothing', async () => {
    const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: 6, chatId: 6 });
    const repo = createSettingsRepo(db.db);
    expect(await repo.update(user.id, { stopLossPct: 0 })).toEqual({ ok: false, error: ['stop_loss_pct: Too small: expected number to be >0'] });
    expect(await repo.update(user.id, { liquidationClosePct: 30 })).toEqual({ ok: false, error: ['liquidation_close_pct: must not exceed liquidation_warn_pct'] });
    expect(await repo.update(user.id, { leverage: 2.5 })).toEqual({ ok: false, error: ['leverage: must be a whole number'] });
    expect(await repo.get(user.id)).toEqual(DEFAULT_SETTINGS);
  });
});
