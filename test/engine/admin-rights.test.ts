/**
 * Administrator rights are the engine's own decision (ADMIN_TELEGRAM_IDS), whatever a caller
 * claims: a forged admin action through the facade is refused and changes nothing. An
 * administrator's pause of a trader holds against the trader's own /resume.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, signalsDone, openPositionFor, type Harness } from './harness.ts';

/** Telegram id 1 is the administrator in the engine harness */
const ADMIN = { telegramId: 1 };

describe.each(databaseKinds())('administrator rights on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  afterEach(async () => {
    await h?.engine.stop();
    await db?.destroy();
  });
  const setup = async () => {
    db = await openTestDatabase(kind);
    h = await createHarness(db);
    h.feed.push('SOL/USDT', 100);
    h.feed.push('BTC/USDT', 100_000);
    await h.engine.start();
  };

  it('refuses a forged admin action and a trader acting for another, and changes nothing', async () => {
    await setup();
    const { userId, position } = await openPositionFor(h, 9101, 'SOL/USDT');
    const mallory = await h.addTrader(9102);
    // Mallory claims to be an administrator and to be Alice's user
    const forged = { telegramId: 9102, userId, admin: true };
    expect(await h.engine.facade.pauseAll(forged)).toMatchObject({ ok: false, code: 'not_admin' });
    expect(await h.engine.facade.pauseUser(forged, userId)).toMatchObject({ ok: false, code: 'not_admin' });
    expect(await h.engine.facade.listTraders(forged, 10)).toMatchObject({ ok: false, code: 'not_admin' });
    expect(await h.engine.facade.closePosition(forged, userId, position.id, 1)).toMatchObject({ ok: false, code: 'not_owner' });
    expect(await h.engine.facade.removeAccount(forged, userId, (await h.engine.facade.listAccounts(userId))[0]!.id)).toMatchObject({ ok: false });
    expect(await h.engine.facade.updateSettings(forged, userId, { riskPerTrade: 9 })).toMatchObject({ ok: false });
    expect(h.engine.facade.isAdmin(forged)).toBe(false);

    expect((await h.engine.facade.status()).pausedGlobally).toBe(false);
    expect((await h.engine.facade.traderByTelegramId(9101))!.paused).toBe(false);
    expect((await h.engine.facade.getPosition(userId, position.id))!.status).toBe('open');
    expect((await h.engine.facade.tradingSettings(userId)).riskPerTrade).not.toBe(9);
    expect(await h.engine.facade.listAccounts(mallory.userId)).toHaveLength(1);
    const refused = (await db.db.select().from(auditLog)).map((a) => a.action).filter((a) => a.endsWith('.refused'));
    expect(refused).toEqual(expect.arrayContaining(['trading.pause_all.refused', 'trading.pause_user.refused', 'admin.users.refused', 'position.close.refused']));

    // the real administrator may
    expect(await h.engine.facade.pauseAll(ADMIN)).toMatchObject({ ok: true, target: 'everyone' });
    expect((await h.engine.facade.listTraders(ADMIN, 10)).ok).toBe(true);
  });

  it("an administrator's pause holds against the trader's /resume; the administrator's resume lifts it", async () => {
    await setup();
    const alice = await h.addTrader(9201);
    const self = { telegramId: 9201, userId: alice.userId };

    expect(await h.engine.facade.pauseUser(ADMIN, alice.userId)).toMatchObject({ ok: true, target: { paused: true, heldByAdmin: true } });
    const tried = await h.engine.facade.resumeUser(self, alice.userId);
    expect(tried).toMatchObject({ ok: true, target: { paused: true, heldByAdmin: true } });
    expect(tried.ok && tried.message).toMatch(/administrator has paused your trading; it stays paused until an administrator resumes it/);
    const signal = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY' });
    await signalsDone(h);
    expect(await h.engine.facade.recentSignals(alice.userId, 5)).toMatchObject([{ id: signal, outcome: 'rejected', reasons: ['trading is paused'] }]);

    // the trader pauses themself too; the administrator's resume lifts only the hold
    await h.engine.facade.pauseUser(self, alice.userId);
    const lifted = await h.engine.facade.resumeUser(ADMIN, alice.userId);
    expect(lifted).toMatchObject({ ok: true, target: { paused: true, heldByAdmin: false } });
    expect(lifted.ok && lifted.message).toMatch(/trader's own pause stays/);
    expect(await h.engine.facade.resumeUser(self, alice.userId)).toMatchObject({ ok: true, target: { paused: false, heldByAdmin: false } });
    expect(await h.engine.facade.traderByTelegramId(9201)).toMatchObject({ paused: false, pausedByAdmin: false });
  });
});
