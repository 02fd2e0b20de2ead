/**
 * SPEC §10: the database outage notice cannot go through the alert outbox (it is in the database).
 * The real alerts wiring sends it straight to Telegram (the Bot API emulator) to the chats it
 * learned while the database answered, with the database refusing meanwhile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { createLogger } from '../../src/log.ts';
import { createOutboxRepo } from '../../src/db/repos/outbox.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import { createAlerts } from '../../src/notify/alerts.ts';
import { OUTAGE_MESSAGE } from '../../src/engine/outage-notices.ts';
import { startBotApiEmulator, type BotApiEmulator } from '../emulators/bot-api.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { refusingPglite } from '../support/db-outage.ts';

let emu: BotApiEmulator | undefined;
let db: TestDatabase | undefined;
afterEach(async () => {
  await emu?.close();
  await db?.destroy();
});

describe('the database outage notice', () => {
  it('reaches the trader through Telegram while the database refuses, and stores nothing', { timeout: 90_000 }, async () => {
    emu = await startBotApiEmulator();
    db = await openTestDatabase('pglite');
    const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: 81_021, chatId: 81_021 });
    const stranger = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: 81_022, chatId: 81_022 });
    emu.sendText({ id: 81_021, first_name: 'Tess' }, '/start'); // the trader's chat with the bot exists
    const alerts = createAlerts({ repos: { outbox: createOutboxRepo(db.db), recipients: createRecipientsRepo(db.db) }, token: emu.token, apiRoot: emu.url, logger: createLogger({ level: 'silent' }) });
    await alerts.notifier.remember!([user.id]);

    const outage = refusingPglite(db);
    outage.cut();
    await alerts.notifier.notifyNow!({ kind: 'action_needed', userId: user.id, message: OUTAGE_MESSAGE });
    await alerts.notifier.notifyNow!({ kind: 'action_needed', userId: stranger.user.id, message: OUTAGE_MESSAGE }); // never learned: nothing
    const sent = await emu.waitForMessage(81_021, /database is unavailable/, 5_000);
    expect(sent.text).toContain('Your open positions stay protected');
    outage.restore();
    await outage.close();
    expect(emu.messages(81_022)).toEqual([]);
    expect(await alerts.outbox.depth()).toBe(0);
  });
});
